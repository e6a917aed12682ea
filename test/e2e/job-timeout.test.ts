import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';

// --timeout is one deadline for the whole job: the waits between paced shards (and after a 429)
// get what is left of it, not a fresh one each. Each batch takes 1.5 s, under the 2.5 s timeout,
// so a clock restarted at every wait would let the 6 shards run ~10 s and finish.
// One emulator per test, so that no batch of the other's is in the queue.
const paced = useEmulator({ processingTimeMs: 1500, queueLimit: 1 });
const refused = useEmulator({ processingTimeMs: 1500, queueLimit: 1 });
const dir = tempDir();
const TIMEOUT_MS = 2500;

async function timedRun(ctx: typeof paced, name: string, extra: string[]) {
  const input = writeRequests(dir, `${name}.jsonl`, 6);
  const start = Date.now();
  const r = await runCli(
    [
      'run',
      input,
      '--state',
      join(dir, name),
      '--max-requests',
      '1',
      '--interval',
      '100ms',
      '--timeout',
      `${TIMEOUT_MS}ms`,
      ...extra,
    ],
    { env: ctx.env, cwd: dir },
  );
  return { ...r, elapsed: Date.now() - start };
}

describe('run --timeout across the waits of a paced job', () => {
  it('paced by --max-queued: times out (exit 5) about when the timeout is up', async () => {
    const r = await timedRun(paced, 'paced', ['--max-queued', '1']);
    expect(r.stderr).toContain('waiting for earlier batches to end');
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('Timed out after 2s');
    expect(r.elapsed).toBeLessThan(TIMEOUT_MS + 4000);
  }, 60_000);

  it('paced by the API (429s): times out (exit 5) about when the timeout is up', async () => {
    const r = await timedRun(refused, 'refused', []);
    expect(r.stderr).toContain('the API refused the batch (429');
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("at the job's 2s timeout");
    expect(r.elapsed).toBeLessThan(TIMEOUT_MS + 4000);
  }, 60_000);
});
