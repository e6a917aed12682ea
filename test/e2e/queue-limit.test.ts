import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';

// The account's cap on requests in the processing queue: an emulator whose queue holds 4
// requests (2 shards' worth), and a job of 5 shards of 2.
const ctx = useEmulator({ processingTimeMs: 600, queueLimit: 4 });
const dir = tempDir();
const CREATE = '/v1/messages/batches';
const creates = (since: number, status: number) =>
  ctx.emulator.log.filter(
    (r) => r.at >= since && r.method === 'POST' && r.path === CREATE && r.status === status,
  ).length;

describe('run under the processing-queue cap', () => {
  it('the API refuses the third shard (429): the job waits, sends it again, and finishes with no failure', async () => {
    const input = writeRequests(dir, 'ten.jsonl', 10);
    const state = join(dir, 'job-a');
    const start = Date.now();
    const run = await runBin(['run', input, '--state', state, '--max-requests', '2', '--interval', '100ms'], {
      env: ctx.env,
      timeoutMs: 60_000,
    });
    expect(run.code).toBe(0);
    expect(creates(start, 200)).toBe(5);
    expect(creates(start, 429)).toBeGreaterThan(0);
    expect(run.stderr).toMatch(
      /shard 3\/5: the API refused the batch \(429 rate_limit_error: .*processing queue.*\); nothing was created/,
    );
    expect(run.stderr).toContain('Results: 10 · 10 succeeded');
    const manifest = JSON.parse(readFileSync(join(state, 'manifest.json'), 'utf8'));
    const ids = manifest.shards.flatMap((s: { attempts: Array<{ batch_id: string }> }) =>
      s.attempts.map((a) => a.batch_id),
    );
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
  }, 90_000);

  it('with --max-queued 4, the job paces itself: no create is refused', async () => {
    const input = writeRequests(dir, 'ten-b.jsonl', 10);
    const start = Date.now();
    const run = await runBin(
      [
        'run',
        input,
        '--state',
        join(dir, 'job-b'),
        '--max-requests',
        '2',
        '--interval',
        '100ms',
        '--max-queued',
        '4',
      ],
      { env: ctx.env, timeoutMs: 60_000 },
    );
    expect(run.code).toBe(0);
    expect(creates(start, 200)).toBe(5);
    expect(creates(start, 429)).toBe(0);
    expect(run.stderr).toContain(
      'shard 3/5: waiting for earlier batches to end (4 requests queued; --max-queued 4)',
    );
    expect(run.stderr).toContain('Results: 10 · 10 succeeded');
  }, 90_000);

  it('submit gives up on a full queue after its attempts, saying nothing was created (exit 1)', async () => {
    const big = writeRequests(dir, 'five.jsonl', 5);
    const start = Date.now();
    const submit = await runBin(['submit', big], { env: ctx.env, timeoutMs: 60_000 });
    expect(submit.code).toBe(1);
    expect(submit.stdout).toBe('');
    expect(submit.stderr).toContain('nothing was created');
    expect(creates(start, 200)).toBe(0);
  }, 90_000);
});
