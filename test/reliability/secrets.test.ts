import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin, runCli } from '../helpers/cli.js';
import { closedPortUrl, useEmulator } from '../helpers/emulator.js';
import { tempDir, writeRequests, writeText } from '../helpers/files.js';

// A canary key: if any output or any file the CLI writes ever contains it, a test fails.
const CANARY = 'sk-canary-0123456789abcdefSECRET';
const ctx = useEmulator({ processingTimeMs: 150 });
const strict = useEmulator({ apiKey: 'the-right-key' });
const dir = tempDir();

/** Every file under a folder, recursively. */
function files(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const path = join(root, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe('the API key never shows', () => {
  it('in the output of any command, on success or failure, with --verbose and --json, nor in any file written', async () => {
    const env = { ANTHROPIC_API_KEY: CANARY, ANTHROPIC_BASE_URL: ctx.emulator.url };
    const requests = writeRequests(dir, 'requests.jsonl', 3, (i) =>
      i === 0 ? 'EMULATE_ERROR=api_error' : `hi ${i}`,
    );
    const csv = writeText(dir, 'rows.csv', 'id,text\na,hello\nb,world\n');
    const outputs: string[] = [];
    const run = async (argv: string[], e: Record<string, string> = env) => {
      const r = await runCli(argv, { env: e, cwd: dir });
      outputs.push(`${argv.join(' ')} → ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r;
    };

    const submitted = await run(['submit', requests, '--verbose']);
    const id = submitted.stdout.trim();
    await run(['submit', requests, '--json']);
    await run(['submit', requests, '--dry-run']);
    await run(['status', id, '--json', '--verbose']);
    await run(['status', id]);
    await run(['list', '--verbose']);
    await run(['list', '--json']);
    await run(['results', id]);
    await run([
      'monitor',
      id,
      '--interval',
      '50ms',
      '-o',
      join(dir, 'monitor.log'),
      '--results',
      join(dir, 'res.jsonl'),
      '--verbose',
    ]);
    await run(['results', id, '--format', 'compact', '-o', join(dir, 'compact.jsonl'), '--json']);
    await run(['build', 'csv', csv, '--prompt-column', 'text', '-o', join(dir, 'built.jsonl'), '--json']);
    await run(['estimate', requests, '--exact-sample', '2', '--json']);
    await run(['run', requests, '--interval', '50ms', '--results', join(dir, 'job.jsonl'), '--verbose']);
    await run(['job', 'list', '--json']);
    await run(['retry', id, '--requests', requests, '--verbose']);
    await run(['cancel', id, '--verbose']);
    await run(['delete', id, '--json']);
    // Failure paths: unknown batch, refused key, unreachable API, bad input, a usage error.
    await run(['status', 'msgbatch_nope', '--verbose']);
    await run(['list', '--verbose'], { ANTHROPIC_API_KEY: CANARY, ANTHROPIC_BASE_URL: strict.emulator.url });
    await run(['status', 'msgbatch_x', '--verbose'], {
      ANTHROPIC_API_KEY: CANARY,
      ANTHROPIC_BASE_URL: await closedPortUrl(),
    });
    await run(['submit', writeText(dir, 'bad.jsonl', '{oops\n'), '--verbose']);
    await run(['results', id, '--bogus']);
    // The spawned binary too (its real process.env, its signal handlers).
    const spawned = await runBin(['status', id, '--verbose', '--json'], { env });
    outputs.push(spawned.stdout, spawned.stderr);

    expect(outputs.length).toBeGreaterThan(20);
    for (const text of outputs) expect(text).not.toContain(CANARY);
    const written = files(dir);
    expect(written.some((f) => f.endsWith('manifest.json'))).toBe(true);
    expect(written.some((f) => f.endsWith('monitor.log'))).toBe(true);
    for (const file of written) expect(readFileSync(file, 'utf8'), file).not.toContain(CANARY);
  }, 60_000);
});
