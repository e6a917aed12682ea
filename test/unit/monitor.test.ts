import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/core/api/client.js';
import { monitorBatches } from '../../src/core/monitor/monitor.js';
import { submitRequests } from '../../src/core/submit/submit.js';
import { FaultPlan, parseFaults } from '../../src/emulator/faults.js';
import { startEmulator } from '../../src/emulator/server.js';
import { closedPortUrl } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';

const dir = tempDir();

describe('monitorBatches on a simulated clock', () => {
  it('watches 50 batches for an hour with one list request per poll, on the adaptive schedule', async () => {
    let clock = Date.parse('2026-11-23T00:00:00Z');
    const now = () => clock;
    const emulator = await startEmulator({ now, processingTimeMs: 60 * 60_000 });
    try {
      const client = await createClient({ env: { ANTHROPIC_API_KEY: 'k' }, baseUrl: emulator.url });
      const file = writeRequests(dir, 'fifty.jsonl', 2);
      const ids: string[] = [];
      for (let i = 0; i < 50; i += 1) {
        const { batch } = await submitRequests(client, { path: file });
        ids.push(batch?.id as string);
      }
      const delays: number[] = [];
      const result = await monitorBatches(client, ids, {
        now,
        sleep: async (ms) => {
          delays.push(ms);
          clock += ms;
        },
      });
      expect(result.batches.every((b) => b.processing_status === 'ended')).toBe(true);
      // 5 minutes at 10 s, then 55 minutes at 60 s: 30 + 55 polls, plus the one that sees the end.
      expect(delays.filter((d) => d === 10_000)).toHaveLength(30);
      expect(delays.filter((d) => d === 60_000)).toHaveLength(55);
      expect(result.polls).toBe(86);
      expect(result.requests).toBe(result.polls);
      expect(emulator.counts['GET /v1/messages/batches']).toBe(86);
      expect(emulator.counts['GET /v1/messages/batches/{id}'] ?? 0).toBe(0);
    } finally {
      await emulator.close();
    }
  });

  it('waits out a batch the API does not show yet, then fails once the grace is over', async () => {
    let clock = Date.now();
    const emulator = await startEmulator({ now: () => clock });
    try {
      const client = await createClient({
        env: { ANTHROPIC_API_KEY: 'k' },
        baseUrl: emulator.url,
        maxRetries: 0,
      });
      const warnings: string[] = [];
      await expect(
        monitorBatches(client, ['msgbatch_missing'], {
          now: () => clock,
          sleep: async (ms) => {
            clock += ms;
          },
          onWarning: (w) => warnings.push(w),
          notFoundGraceMs: 30_000,
        }),
      ).rejects.toMatchObject({ message: 'Batch not found: msgbatch_missing', kind: 'not-found' });
      expect(warnings.length).toBeGreaterThan(2);
      expect(warnings[0]).toMatch(/^Batch not found: msgbatch_missing — retrying/);
    } finally {
      await emulator.close();
    }
  });
});

describe('monitorBatches retries a failed poll with the one retry rule', () => {
  /** The first seed whose HTTP fault decisions begin with `pattern`. */
  function seedWhere(spec: string, pattern: Array<number | undefined>): number {
    for (let seed = 1; seed < 10_000; seed += 1) {
      const plan = new FaultPlan(parseFaults(spec), seed);
      if (pattern.every((want) => plan.httpFault()?.status === want)) return seed;
    }
    throw new Error('no seed found');
  }

  it('waits the retry-after (in seconds) a 429 asks for', async () => {
    let clock = Date.now();
    const spec = '429=0.5,retry-after=3s,retry-after-only=seconds';
    const emulator = await startEmulator({
      now: () => clock,
      processingTimeMs: 20_000,
      faults: spec,
      seed: seedWhere(spec, [undefined, 429, undefined, undefined, undefined]),
    });
    try {
      const client = await createClient({
        env: { ANTHROPIC_API_KEY: 'k' },
        baseUrl: emulator.url,
        maxRetries: 0,
      });
      const { batch } = await submitRequests(client, { path: writeRequests(dir, 'ra.jsonl', 1) });
      const delays: number[] = [];
      const warnings: string[] = [];
      await monitorBatches(client, [batch?.id as string], {
        now: () => clock,
        intervalMs: 15_000,
        random: () => 0,
        sleep: async (ms) => {
          delays.push(ms);
          clock += ms;
        },
        onWarning: (w) => warnings.push(w),
      });
      // The failed first poll waits 3 s (not the 2 s backoff), then the regular 15 s polls.
      expect(delays[0]).toBe(3000);
      expect(delays.slice(1).every((d) => d === 15_000)).toBe(true);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/429 rate_limit_error.* — retrying \(attempt 2\)$/);
    } finally {
      await emulator.close();
    }
  });

  it('backs off with jitter (from the injected random) up to the poll interval when nothing answers', async () => {
    const client = await createClient({
      env: { ANTHROPIC_API_KEY: 'k' },
      baseUrl: await closedPortUrl(),
      maxRetries: 0,
    });
    let clock = 0;
    const delays: number[] = [];
    const error = await monitorBatches(client, ['msgbatch_x'], {
      now: () => clock,
      intervalMs: 10_000,
      timeoutMs: 40_000,
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
        clock += ms;
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout' });
    // 2 s, 4 s, 8 s, then the 10 s cap; each less an eighth (random 0.5 takes half of the 25 %).
    expect(delays.slice(0, 5)).toEqual([1750, 3500, 7000, 8750, 8750]);
  });
});
