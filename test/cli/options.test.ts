import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';
import { parseDuration } from '../../src/core/duration.js';
import { readManifest, writeManifest } from '../../src/core/job/manifest.js';
import { runCli } from '../helpers/cli.js';
import { closedPortUrl, useEmulator, waitFor } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';

const ctx = useEmulator({ processingTimeMs: 100 });
const dir = tempDir();
const key = { ANTHROPIC_API_KEY: 'test-key-not-secret' };

/** The usage line commander prints after a bad option value. */
const USAGE_HINT = '(run with --help for usage)\n';

describe('values are checked at the boundary (exit 2, a clear message)', () => {
  it.each(['99999', '-1', '80.5', 'http'])('emulator --port %s is refused, not a bug', async (port) => {
    const r = await runCli(['emulator', '--port', port]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: option '--port <port>' argument '${port}' is invalid. a port is a whole number from 0 to 65535 (0 picks a free one).\n${USAGE_HINT}`,
    );
  });

  it('--base-url not-a-url is refused before anything is sent', async () => {
    const r = await runCli(['--base-url', 'not-a-url', 'list'], { env: key });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "error: option '--base-url <url>' argument 'not-a-url' is invalid. it is not an http(s) URL: give a URL such as https://api.anthropic.com (or http://127.0.0.1:8787 for the emulator).\n" +
        USAGE_HINT,
    );
  });

  it('--base-url localhost:32999 is refused with the URL that was meant', async () => {
    const r = await runCli(['--base-url', 'localhost:32999', 'status', 'msgbatch_x'], { env: key });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "error: option '--base-url <url>' argument 'localhost:32999' is invalid. it has no http:// or https:// in front: give http://localhost:32999.\n" +
        USAGE_HINT,
    );
  });

  it('a bad ANTHROPIC_BASE_URL gets the same check, naming the variable', async () => {
    const r = await runCli(['list'], { env: { ...key, ANTHROPIC_BASE_URL: 'localhost:32999' } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: ANTHROPIC_BASE_URL localhost:32999 cannot be used: it has no http:// or https:// in front\n' +
        'hint: export ANTHROPIC_BASE_URL=http://localhost:32999\n',
    );
    const ftp = await runCli(['list'], { env: { ...key, ANTHROPIC_BASE_URL: 'ftp://example.com' } });
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toBe(
      'error: ANTHROPIC_BASE_URL ftp://example.com cannot be used: it is not an http(s) URL\n' +
        'hint: give a URL such as https://api.anthropic.com (or http://127.0.0.1:8787 for the emulator)\n',
    );
  });

  it('a base URL holding a user name or password is refused without printing the password', async () => {
    const flag = await runCli(['--base-url', 'https://bob:s3cret@api.example.com', 'list'], { env: key });
    expect(flag.code).toBe(2);
    expect(flag.stdout).toBe('');
    expect(flag.stderr).toBe(
      'error: --base-url cannot be used: it holds a user name or password (give the API key in ANTHROPIC_API_KEY instead)\n' +
        'hint: --base-url https://api.example.com\n',
    );
    const env = await runCli(['list'], {
      env: { ...key, ANTHROPIC_BASE_URL: 'https://bob:s3cret@api.example.com/v1' },
    });
    expect(env.code).toBe(2);
    expect(env.stderr).not.toContain('s3cret');
    expect(env.stderr).toContain('ANTHROPIC_BASE_URL https://***@api.example.com/v1 cannot be used');
  });

  it('commands that need no API do not read ANTHROPIC_BASE_URL', async () => {
    const file = writeRequests(dir, 'offline.jsonl', 2);
    const r = await runCli(['estimate', file], { env: { ANTHROPIC_BASE_URL: 'not-a-url' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('claude-haiku-4-5');
  });

  it('--base-url with a trailing /v1 works: the /v1 is dropped, with a note on stderr', async () => {
    const file = writeRequests(dir, 'v1.jsonl', 2);
    const url = `${ctx.emulator.url}/v1`;
    const r = await runCli(['--base-url', url, 'submit', file], { env: key });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^msgbatch_\w+\n$/);
    expect(r.stderr).toContain(
      `note: --base-url ends in /v1, which the client adds to every path itself; using ${ctx.emulator.url}\n`,
    );
    expect(r.stderr).toContain('✓ Submitted 2 requests');

    const id = r.stdout.trim();
    const fromEnv = await runCli(['status', id, '--json'], {
      env: { ...key, ANTHROPIC_BASE_URL: `${url}/` },
    });
    expect(fromEnv.code).toBe(0);
    expect(JSON.parse(fromEnv.stdout).id).toBe(id);
    expect(fromEnv.stderr).toBe(
      `note: ANTHROPIC_BASE_URL ends in /v1, which the client adds to every path itself; using ${ctx.emulator.url}\n`,
    );
  });
});

describe('durations: one grammar for every duration flag', () => {
  it('--interval 1h30m is accepted (monitor of an ended batch returns at once)', async () => {
    const file = writeRequests(dir, 'interval.jsonl', 1);
    const submitted = await runCli(['submit', file], { env: ctx.env });
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.trim();
    // The first poll comes at once; with the batch ended there is no second one to wait 1h30m for.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const r = await runCli(['monitor', id, '--interval', '1h30m', '--timeout', '1m30s'], { env: ctx.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${id}`);
    expect(r.stderr).toContain('ended');
  });

  it('emulator --processing-time 1m30s is taken and said back in the same grammar', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const r = await runCli(['emulator', '--port', '0', '--processing-time', '1m30s'], {
      signal: controller.signal,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Batches API emulator listening on http:\/\/127\.0\.0\.1:\d+\n/);
    expect(r.stderr).toBe(
      'Batches end 1m30s after they are created. Ctrl-C stops the emulator.\nEmulator stopped.\n',
    );
  });

  it.each([
    ['--interval', '1h30', 'use a duration such as 90s, 5m, 1h30m or 2h (a bare number is seconds).'],
    ['--interval', '30m1h', 'use a duration such as 90s, 5m, 1h30m or 2h (a bare number is seconds).'],
    ['--interval', '0s', 'must be more than 0, such as 30s.'],
    ['--timeout', 'soon', 'use a duration such as 90s, 5m, 1h30m or 2h (a bare number is seconds).'],
  ])('monitor %s %s is refused', async (flag, value, message) => {
    const r = await runCli(['monitor', 'msgbatch_x', flag, value], { env: ctx.env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: option '${flag} <duration>' argument '${value}' is invalid. ${message}\n${USAGE_HINT}`,
    );
  });

  it('help shows duration defaults in the same grammar', async () => {
    const emulator = await runCli(['emulator', '--help']);
    expect(emulator.code).toBe(0);
    expect(emulator.stdout).toContain('how long each batch takes to end (default: 2s)');
    const demo = await runCli(['demo', '--help']);
    expect(demo.stdout).toContain('how long the emulated batch takes (default: 5s)');
    const monitor = await runCli(['monitor', '--help']);
    expect(monitor.stdout).toContain('(default: adaptive, 10s → 1m → 5m as a batch');
  });

  it('every duration option of every command parses with the grammar and shows its default in it', () => {
    const sink = { stdout: new PassThrough(), stderr: new PassThrough() };
    const all = (cmd: Command): Command[] => [cmd, ...cmd.commands.flatMap(all)];
    const durations = all(createProgram(sink, async () => {}, '0.0.0')).flatMap((cmd) =>
      cmd.options.filter((o) => o.flags.includes('<duration>')).map((o) => ({ cmd, o })),
    );
    expect(durations.length).toBeGreaterThanOrEqual(8);
    for (const { cmd, o } of durations) {
      const where = `${cmd.name()} ${o.long}`;
      expect(o.parseArg?.('1h30m', undefined), where).toBe(5_400_000);
      if (o.defaultValue !== undefined) {
        expect(o.defaultValueDescription, where).toBeDefined();
        expect(parseDuration(o.defaultValueDescription as string), where).toBe(o.defaultValue);
      }
    }
  });

  it('help shows the shard limits and retryable errors the core uses', async () => {
    const run = await runCli(['run', 'file', '--help']);
    expect(run.stdout).toContain('requests per shard at most (default: 99,000)');
    expect(run.stdout).toContain('bytes per shard at most (default: 248,320,000)');
    const retry = await runCli(['retry', '--help']);
    expect(retry.stdout.replace(/\s+/g, ' ')).toContain(
      'comma list of error types to retry (default: "rate_limit_error,api_error,overloaded_error,timeout_error")',
    );
  });
});

describe("run <source>: the job's identity is the options that shape the requests", () => {
  it('a re-run with other run-only flags, in another order, continues the job; another template is refused', async () => {
    const csv = join(dir, 'identity.csv');
    writeFileSync(csv, 'id,text\na1,Hello\na2,World\n');
    const out = join(dir, 'identity-results.jsonl');
    const first = await runCli(
      [
        'run',
        'csv',
        csv,
        '--template',
        'Say: {{text}}',
        '--id-column',
        'id',
        '--results',
        out,
        '--interval',
        '50ms',
      ],
      { env: ctx.env, cwd: dir },
    );
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('Results: 2 · 2 succeeded');
    const creates = ctx.emulator.counts['POST /v1/messages/batches'];

    const again = await runCli(
      [
        '--base-url',
        ctx.emulator.url,
        'run',
        'csv',
        csv,
        '--id-column',
        'id',
        '--template',
        'Say: {{text}}',
        '--results',
        out,
        '--force',
        '--interval',
        '1h30m',
        '--timeout',
        '2m',
        '--max-cost',
        '100',
        '--json',
      ],
      { env: key, cwd: dir },
    );
    expect(again.stderr).not.toContain('refusing');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout.trimEnd().split('\n').at(-1) as string)).toMatchObject({
      type: 'summary',
      succeeded: 2,
    });
    expect(ctx.emulator.counts['POST /v1/messages/batches']).toBe(creates);

    // A job folder written with its options in another order (as earlier versions could) is the same job.
    const jobDir = join(
      dir,
      '.claude-batch',
      'jobs',
      /"job_id":"(job-[0-9a-f]+)"/.exec(again.stdout)?.[1] as string,
    );
    const manifest = readManifest(jobDir);
    if (!manifest) throw new Error(`no manifest in ${jobDir}`);
    manifest.options = Object.fromEntries(Object.entries(manifest.options).reverse());
    writeManifest(jobDir, manifest);
    const reordered = await runCli(
      ['run', 'csv', csv, '--template', 'Say: {{text}}', '--id-column', 'id', '--results', out, '--force'],
      { env: ctx.env, cwd: dir },
    );
    expect(reordered.stderr).not.toContain('refusing');
    expect(reordered.code).toBe(0);

    const other = await runCli(
      ['run', 'csv', csv, '--template', 'Shout: {{text}}', '--id-column', 'id', '--results', out, '--force'],
      { env: ctx.env, cwd: dir },
    );
    expect(other.code).toBe(2);
    // Another template builds other requests: the job refuses to mix them with the first run's.
    expect(other.stderr).toContain('refusing to mix two runs');
  });
});

describe('emulator --models FILE', () => {
  it('serves the names in the file besides the API models', async () => {
    const file = join(dir, 'models.txt');
    writeFileSync(file, '# a newer model\nclaude-newer-9\n');
    const url = await closedPortUrl();
    const controller = new AbortController();
    const running = runCli(['emulator', '--port', new URL(url).port, '--models', file], {
      signal: controller.signal,
    });
    const headers = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' };
    const get = (model: string) => fetch(`${url}/v1/models/${model}`, { headers }).then((r) => r.status);
    await waitFor(
      () =>
        get('claude-newer-9').then(
          (s) => s === 200,
          () => false,
        ),
      'the emulator to serve the added model',
    );
    const unknown = await get('claude-newer-8');
    controller.abort();
    const r = await running;
    expect(r.code).toBe(0);
    expect(unknown).toBe(404);
  });

  it('a models file that does not exist is an environment error, not a bug', async () => {
    const r = await runCli(['emulator', '--port', '0', '--models', join(dir, 'no-such-models.txt')]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no-such-models.txt');
    expect(r.stderr).not.toMatch(/bug/i);
  });
});
