import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { renderError } from '../../src/cli/render-error.js';
import { BatchStateError, CliError, EnvironmentError, type ErrorKind } from '../../src/core/errors.js';
import { runCli } from '../helpers/cli.js';
import { closedPortUrl, requestsTo, useEmulator } from '../helpers/emulator.js';

const KEY = { ANTHROPIC_API_KEY: 'test-key-not-secret' };
const REQUEST = `${JSON.stringify({
  custom_id: 'a',
  params: { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
})}\n`;

async function requestFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cb-errors-'));
  const file = join(dir, 'r.jsonl');
  await writeFile(file, REQUEST);
  return file;
}

/** A system error as Node raises it (what fs, net and dns throw). */
function systemError(code: string, facts: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${code}: something`), { code, ...facts });
}

describe('errors by kind', () => {
  const emu = useEmulator();

  it('maps every kind to its documented exit code', () => {
    const expected: Record<ErrorKind, number> = {
      usage: 2,
      'not-found': 3,
      state: 3,
      auth: 4,
      timeout: 5,
      interrupted: 130,
      environment: 1,
      api: 1,
      bug: 1,
    };
    for (const [kind, code] of Object.entries(expected)) expect(exitCodeFor(kind as ErrorKind)).toBe(code);
    expect(new BatchStateError('x', 'msgbatch_x').kind).toBe('not-found');
    expect(new BatchStateError('x', 'msgbatch_x', { status: 'in_progress' }).kind).toBe('state');
  });

  it('words system errors as environment errors (exit 1), never as a bug', () => {
    const cases: [Error, RegExp, RegExp][] = [
      [
        systemError('EADDRINUSE', { address: '127.0.0.1', port: 8080 }),
        /^error: 127\.0\.0\.1:8080: the port is already in use \(EADDRINUSE\)$/m,
        /^hint: choose another --port/m,
      ],
      [
        systemError('ENOSPC', { path: '/data/out.jsonl' }),
        /\/data\/out\.jsonl: the disk is full \(ENOSPC\)/,
        /free some space/,
      ],
      [systemError('EACCES', { path: '/root/x' }), /\/root\/x: permission denied \(EACCES\)/, /permissions/],
      [
        systemError('EISDIR', { path: '/tmp' }),
        /\/tmp: that is a folder, not a file \(EISDIR\)/,
        /give a file path/,
      ],
      [
        systemError('ENOTDIR', { path: '/a/b' }),
        /\/a\/b: a part of the path is not a folder \(ENOTDIR\)/,
        /check the path/,
      ],
      [
        new Error('fetch failed', { cause: systemError('ENOTFOUND', { hostname: 'api.example.invalid' }) }),
        /api\.example\.invalid: host not found \(ENOTFOUND\)/,
        /DNS/,
      ],
      [
        systemError('ECONNREFUSED', { address: '127.0.0.1', port: 9 }),
        /127\.0\.0\.1:9: connection refused/,
        /server running/,
      ],
    ];
    for (const [error, message, hint] of cases) {
      const { text, exitCode } = renderError(error, { verbose: false, secret: undefined });
      expect(exitCode).toBe(1);
      expect(text).toMatch(message);
      expect(text).toMatch(hint);
      expect(text).not.toMatch(/bug/);
    }
    const env = renderError(
      new EnvironmentError('Cannot reach the API at http://x', { code: 'ECONNREFUSED' }),
      {
        verbose: false,
        secret: undefined,
      },
    );
    expect(env.text).toBe(
      'error: Cannot reach the API at http://x: connection refused (ECONNREFUSED)\nhint: is the server running at --base-url? for an offline API run `claude-batch emulator`\n',
    );
  });

  it('keeps the truly unexpected a bug', () => {
    const { text, exitCode } = renderError(new TypeError('x is undefined'), {
      verbose: false,
      secret: undefined,
    });
    expect(exitCode).toBe(1);
    expect(text).toMatch(/unexpected failure: x is undefined\nhint: this is a bug in claude-batch/);
    const plain = renderError(new CliError('The API failed: overloaded'), {
      verbose: false,
      secret: undefined,
    });
    expect(plain.text).toBe('error: The API failed: overloaded\n');
  });

  it('emulator --port in use: exit 1, the port and what to do', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const r = await runCli(['emulator', '--port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `error: 127.0.0.1:${port}: the port is already in use (EADDRINUSE)\nhint: choose another --port (0 picks a free one), or stop the program that holds it\n`,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a refused connection on create says nothing was sent', async () => {
    const file = await requestFile();
    const url = await closedPortUrl();
    const r = await runCli(['submit', file, '--base-url', url], { env: KEY });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: Cannot reach the API at ${url}; nothing was sent: connection refused \\(ECONNREFUSED\\)\n`,
      ),
    );
    expect(r.stderr).toMatch(/^hint: is the server running/m);
    expect(r.stderr).not.toMatch(/may have been created|answer was lost|bug/);
  });

  it('a host that does not resolve: exit 1, host not found, nothing sent', async () => {
    const file = await requestFile();
    const r = await runCli(['submit', file, '--base-url', 'http://no-such-host.invalid'], { env: KEY });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    // Without a DNS server the lookup fails as "try again" rather than "not found"; both are environment errors.
    expect(r.stderr).toMatch(
      /^error: Cannot reach the API at http:\/\/no-such-host\.invalid; nothing was sent: (host not found \(ENOTFOUND\)|the host name could not be looked up now \(EAI_AGAIN\))\n/,
    );
    expect(r.stderr).not.toMatch(/bug/);
  });

  it('a batch that is not there is not-found (exit 3); the emulator saw the request', async () => {
    const before = requestsTo(emu.emulator, /GET/);
    const r = await runCli(['status', 'msgbatch_nope'], { env: emu.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: Batch not found: msgbatch_nope\n/);
    expect(requestsTo(emu.emulator, /GET/)).toBeGreaterThan(before);
  });
});
