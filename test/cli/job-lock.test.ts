import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';

// retry JOB and job cancel take the job's lock like run: a job held by a live process (pid 1,
// always alive, on this host) is refused with who holds it, exit 2, nothing done.
const ctx = useEmulator({ processingTimeMs: 100 });
const dir = tempDir();

describe('a job held by another process', () => {
  it('job cancel and retry JOB say who holds it (exit 2) and leave the lock', async () => {
    const input = writeRequests(dir, 'four.jsonl', 4);
    const state = join(dir, 'job');
    expect(
      (await runCli(['run', input, '--state', state, '--interval', '50ms'], { env: ctx.env })).code,
    ).toBe(0);
    const lock = join(state, 'lock.json');
    const owner = {
      pid: 1,
      host: hostname(),
      command: 'run four.jsonl',
      since: '2026-12-01T10:00:00.000Z',
      token: 't',
    };
    writeFileSync(lock, JSON.stringify(owner));
    const before = readFileSync(join(state, 'manifest.json'), 'utf8');
    for (const argv of [
      ['job', 'cancel', '--state', state],
      ['retry', state, '--expired'],
      ['run', input, '--state', state],
    ]) {
      const r = await runCli(argv, { env: ctx.env, cwd: dir });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `error: The job is held by pid 1 on ${hostname()} (run four.jsonl, since 2026-12-01T10:00:00.000Z)\nhint: add --wait to wait for it to finish, or stop that process first (nothing was sent)\n`,
      );
    }
    expect(existsSync(lock)).toBe(true);
    expect(readFileSync(join(state, 'manifest.json'), 'utf8')).toBe(before);
  });
});
