import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/core/api/client.js';
import { monitorBatches } from '../../src/core/monitor/monitor.js';
import { submitRequests } from '../../src/core/submit/submit.js';
import { startEmulator } from '../../src/emulator/server.js';
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
