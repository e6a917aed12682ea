import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { requestsTo, useEmulator, waitFor } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';
import { spawnBin } from '../helpers/spawn.js';

// One job, one runner: the job's lock, between two spawned binaries. The emulator's clock stands
// still, so the first run holds the job (its batches running) until the test ends them.
const ctx = useEmulator({ processingTimeMs: 1000, stoppedClock: true });
const dir = tempDir();
const creates = () => requestsTo(ctx.emulator, /^POST \/v1\/messages\/batches$/);
const RUN = ['--max-requests', '2', '--interval', '100ms'];

/**
 * Ends the emulator's batches until every run is done: a create is counted as it arrives, but
 * its batch is made once its body is read, so ending them once could miss the last one.
 */
async function endUntilDone(...runs: Array<Promise<unknown>>): Promise<void> {
  let done = false;
  void Promise.allSettled(runs).then(() => {
    done = true;
  });
  while (!done) {
    ctx.endBatches();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('two runs of one job', () => {
  it('started together: one runs, the other says who holds the job (exit 2); 5 batches in all', async () => {
    const input = writeRequests(dir, 'ten.jsonl', 10);
    const state = join(dir, 'job-a');
    const before = creates();
    const first = spawnBin(['run', input, '--state', state, ...RUN], { env: ctx.env, timeoutMs: 60_000 });
    const second = spawnBin(['run', input, '--state', state, ...RUN], { env: ctx.env, timeoutMs: 60_000 });
    const refused = await Promise.race([first.done, second.done]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/The job is held by pid \d+ on .+ \(run .*ten\.jsonl, since \d{4}-/);
    expect(refused.stderr).toContain('--wait');
    await waitFor(() => creates() - before === 5, 'the 5 batches', { timeoutMs: 30_000 });
    await endUntilDone(first.done, second.done);
    const [a, b] = await Promise.all([first.done, second.done]);
    const ran = a === refused ? b : a;
    expect(ran.code).toBe(0);
    expect(creates() - before).toBe(5);
    expect(existsSync(join(state, 'lock.json'))).toBe(false);
    expect(readFileSync(join(state, 'results.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(10);
  }, 90_000);

  it('with --wait, the second waits for the first, then finds the job done: 5 batches in all', async () => {
    const input = writeRequests(dir, 'ten-b.jsonl', 10);
    const state = join(dir, 'job-b');
    const before = creates();
    const args = ['run', input, '--state', state, ...RUN, '--wait'];
    const first = spawnBin(args, { env: ctx.env, timeoutMs: 60_000 });
    const second = spawnBin(args, { env: ctx.env, timeoutMs: 60_000 });
    await waitFor(() => /waiting for it to finish/.test(first.stderr() + second.stderr()), 'a waiting note', {
      timeoutMs: 30_000,
    });
    await waitFor(() => creates() - before === 5, 'the 5 batches', { timeoutMs: 30_000 });
    await endUntilDone(first.done, second.done);
    const [a, b] = await Promise.all([first.done, second.done]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(creates() - before).toBe(5);
    expect(existsSync(join(state, 'lock.json'))).toBe(false);
  }, 90_000);

  it('a lock left by a process that is gone is taken over, with a note', async () => {
    const input = writeRequests(dir, 'two.jsonl', 2);
    const state = join(dir, 'job-c');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const owner = {
      pid: gone,
      host: hostname(),
      command: 'run two.jsonl',
      since: new Date().toISOString(),
      token: 'x',
    };
    const { mkdirSync } = await import('node:fs');
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, 'lock.json'), JSON.stringify(owner));
    const run = spawnBin(['run', input, '--state', state, ...RUN], { env: ctx.env, timeoutMs: 60_000 });
    await waitFor(() => /Taking over the job from pid/.test(run.stderr()), 'the note', { timeoutMs: 30_000 });
    await waitFor(
      () => existsSync(join(state, 'manifest.json')) && /submitted|Submitted|batch/.test(run.stderr()),
      'a submit',
      { timeoutMs: 30_000 },
    );
    await endUntilDone(run.done);
    const done = await run.done;
    expect(done.code).toBe(0);
    expect(done.stderr).toContain(`Taking over the job from pid ${gone} on ${hostname()}`);
    expect(existsSync(join(state, 'lock.json'))).toBe(false);
  }, 90_000);

  it('a lock from another host is never taken over: exit 2, saying how to remove it', async () => {
    const input = writeRequests(dir, 'three.jsonl', 3);
    const state = join(dir, 'job-d');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(state, { recursive: true });
    const owner = {
      pid: 1,
      host: 'elsewhere.example',
      command: 'run three.jsonl',
      since: '2026-01-01T00:00:00.000Z',
      token: 'y',
    };
    writeFileSync(join(state, 'lock.json'), JSON.stringify(owner));
    const before = creates();
    const run = await runBin(['run', input, '--state', state, ...RUN], { env: ctx.env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'The job is held by pid 1 on elsewhere.example (run three.jsonl, since 2026-01-01T00:00:00.000Z)',
    );
    expect(run.stderr).toContain(`remove ${join(state, 'lock.json')}`);
    expect(run.stdout).toBe('');
    expect(creates()).toBe(before);
    expect(existsSync(join(state, 'lock.json'))).toBe(true);
  });

  it('SIGTERM releases the lock (exit 130), and the next run continues the job', async () => {
    const input = writeRequests(dir, 'four.jsonl', 4);
    const state = join(dir, 'job-e');
    const before = creates();
    const run = spawnBin(['run', input, '--state', state, ...RUN], { env: ctx.env, timeoutMs: 60_000 });
    await waitFor(() => creates() - before === 2, 'the 2 batches', { timeoutMs: 30_000 });
    await waitFor(() => existsSync(join(state, 'lock.json')), 'the lock');
    run.child.kill('SIGTERM');
    expect((await run.done).code).toBe(130);
    expect(existsSync(join(state, 'lock.json'))).toBe(false);
    const rerun = runBin(['run', input, '--state', state, ...RUN], { env: ctx.env });
    await endUntilDone(rerun);
    const again = await rerun;
    expect(again.code).toBe(0);
    expect(creates() - before).toBe(2);
  }, 90_000);
});
