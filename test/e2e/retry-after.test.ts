import { afterEach, describe, expect, it } from 'vitest';
import { FaultPlan, parseFaults } from '../../src/emulator/faults.js';
import { type Emulator, startEmulator } from '../../src/emulator/server.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeRequests } from '../helpers/files.js';

// A create answered 429 is retried after the wait the API asks for, in whichever form it comes:
// measured between the two creates the emulator received (real HTTP, the real SDK, the CLI).
const dir = tempDir();
const started: Emulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});

/** The first seed whose first HTTP answer is a 429 and whose second is not faulted. */
function seedFor(spec: string): number {
  for (let seed = 1; seed < 10_000; seed += 1) {
    const plan = new FaultPlan(parseFaults(spec), seed);
    if (plan.httpFault()?.status === 429 && plan.httpFault() === undefined) return seed;
  }
  throw new Error('no seed found');
}

/** Submits against an emulator whose first answer is a 429 asking for `spec`'s wait; the gap between the creates. */
async function gapAfter429(spec: string): Promise<{ gap: number; stderr: string }> {
  const emu = await startEmulator({ processingTimeMs: 100, faults: spec, seed: seedFor(spec) });
  started.push(emu);
  const env = { ANTHROPIC_BASE_URL: emu.url, ANTHROPIC_API_KEY: 'test-key' };
  const r = await runCli(['submit', writeRequests(dir, `${emu.port}.jsonl`, 2)], { env });
  expect(r.code).toBe(0);
  const creates = emu.log.filter((l) => l.method === 'POST' && l.path === '/v1/messages/batches');
  expect(creates.map((l) => [l.status, l.fault])).toEqual([
    [429, '429'],
    [200, undefined],
  ]);
  const [first, second] = creates as [(typeof creates)[0], (typeof creates)[0]];
  return { gap: second.at - first.at, stderr: r.stderr };
}

describe('a create answered 429 waits what the API asks', () => {
  it('retry-after in seconds only: waits those seconds (not the 1 s default)', async () => {
    const { gap, stderr } = await gapAfter429('429=0.5,retry-after=2s,retry-after-only=seconds');
    expect(gap).toBeGreaterThanOrEqual(1950);
    expect(gap).toBeLessThan(3000);
    expect(stderr).toContain('nothing was created. Trying again in 2 s (attempt 2 of 3).');
  });

  it('retry-after as an HTTP date only: waits until that date', async () => {
    // The date is rounded up to the second: the wait is from 2 s to 3 s.
    const { gap } = await gapAfter429('429=0.5,retry-after=2s,retry-after-only=date');
    expect(gap).toBeGreaterThanOrEqual(1950);
    expect(gap).toBeLessThan(3500);
  });

  it('retry-after-ms only, and both forms at once: the milliseconds', async () => {
    const only = await gapAfter429('429=0.5,retry-after=300ms,retry-after-only=ms');
    expect(only.gap).toBeGreaterThanOrEqual(280);
    expect(only.gap).toBeLessThan(900);
    // Both sent (retry-after: 1, rounded up): retry-after-ms wins, as in the SDK.
    const both = await gapAfter429('429=0.5,retry-after=300ms');
    expect(both.gap).toBeGreaterThanOrEqual(280);
    expect(both.gap).toBeLessThan(900);
  });
});
