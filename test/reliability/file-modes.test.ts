import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';

// Spawns the built binary under a given umask (run `npm run build` first; `npm test` does).
const ctx = useEmulator({ processingTimeMs: 20 });
const dir = tempDir();

async function endedBatch(): Promise<string> {
  const r = await runCli(['submit', writeRequests(dir, `m${Math.random()}.jsonl`, 2)], { env: ctx.env });
  expect(r.code).toBe(0);
  ctx.endBatches();
  return r.stdout.trim();
}

/** Runs the binary through sh with the given umask (asynchronously: the emulator runs in this process). */
function withUmask(umask: string, argv: string[]): Promise<number | null> {
  const quoted = [process.execPath, BIN, ...argv].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('sh', ['-c', `umask ${umask} && exec ${quoted}`], {
    env: { PATH: process.env.PATH, CLAUDE_BATCH_HOME: process.env.CLAUDE_BATCH_HOME, ...ctx.env },
    stdio: 'ignore',
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

describe('output files and the umask', () => {
  it.each([
    ['022', '0644', 0o644],
    ['077', '0600', 0o600],
    ['002', '0664', 0o664],
  ])('umask %s: a results file gets mode %s, never world-writable', async (umask, _shown, mode) => {
    const id = await endedBatch();
    const out = join(dir, `results-${umask}.jsonl`);
    expect(await withUmask(umask, ['results', id, '-o', out])).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(mode);
    expect(statSync(out).mode & 0o002).toBe(0);
  });

  it('in-process, the file follows this process umask', async () => {
    const id = await endedBatch();
    const out = join(dir, 'in-process.jsonl');
    expect((await runCli(['results', id, '-o', out], { env: ctx.env })).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o666 & ~process.umask());
  });

  it('an existing file is not replaced without --force, and keeps its content', async () => {
    const id = await endedBatch();
    const out = join(dir, 'kept.jsonl');
    writeFileSync(out, 'precious\n');
    const r = await runCli(['results', id, '-o', out], { env: ctx.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${out} already exists`);
    expect(statSync(out).size).toBe(9);
  });
});
