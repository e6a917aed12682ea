import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Shard, shardCounts } from '../../src/core/job/manifest.js';
import { extractRequests } from '../../src/core/job/retry.js';
import { request, tempDir } from '../helpers/files.js';

const dir = tempDir();

describe('extractRequests', () => {
  it('copies the chosen requests whole, one a line, however much it writes (past the stream buffer)', async () => {
    const source = join(dir, 'all.jsonl');
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify(request(`r${i}`, 'x'.repeat(250))));
    writeFileSync(source, `${lines.join('\n')}\n`);
    const wanted = new Set(Array.from({ length: 1500 }, (_, i) => `r${i + 100}`));
    const out = join(dir, 'some.jsonl');
    expect(await extractRequests(source, wanted, out)).toBe(1500);
    const copied = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(copied).toHaveLength(1500);
    expect(copied.map((l) => JSON.parse(l).custom_id)).toEqual([...wanted]);
  });
});

describe('shardCounts', () => {
  it('counts each custom_id from its latest attempt', () => {
    const attempt = (
      n: number,
      counts: [number, number, number, number],
      replaces?: [number, number, number],
    ) => ({
      number: n,
      file: '',
      requests: counts.reduce((a, b) => a + b, 0),
      intent_at: 'x',
      batch_id: `b${n}`,
      status: 'ended' as const,
      request_counts: {
        processing: 0,
        succeeded: counts[0],
        errored: counts[1],
        canceled: counts[2],
        expired: counts[3],
      },
      results_file: 'r',
      ...(replaces
        ? { replaces: { errored: replaces[0], expired: replaces[1], canceled: replaces[2] } }
        : {}),
    });
    const shard: Shard = {
      index: 0,
      file: 's',
      first_line: 1,
      last_line: 10,
      requests: 10,
      bytes: 1,
      // 10 requests: 6 ok, 2 errored, 1 canceled, 1 expired; a retry of the 4 failures: 3 ok, 1 errored.
      attempts: [attempt(1, [6, 2, 1, 1]), attempt(2, [3, 1, 0, 0], [2, 1, 1])],
    };
    expect(shardCounts(shard)).toEqual({ processing: 0, succeeded: 9, errored: 1, canceled: 0, expired: 0 });
  });
});
