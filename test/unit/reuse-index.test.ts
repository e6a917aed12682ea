import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReuseIndex } from '../../src/core/reuse/index.js';
import { tempDir } from '../helpers/files.js';

const dir = tempDir();

/** A source of `count` requests, and its results (every third one errored), in shuffled order. */
function source(name: string, count: number) {
  const requests: string[] = [];
  const results: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const params = {
      model: 'claude-haiku-4-5',
      max_tokens: 16,
      messages: [{ role: 'user', content: `q${i}` }],
    };
    requests.push(JSON.stringify({ custom_id: `${name}-${i}`, params }));
  }
  // Results in another order than the requests, as the API returns them.
  for (let k = 0; k < count; k += 1) {
    const i = (k * 7919) % count;
    const result =
      i % 3 === 2
        ? { type: 'errored', error: { type: 'error', error: { type: 'api_error', message: 'x' } } }
        : { type: 'succeeded', message: { id: `msg_${i}`, content: [{ type: 'text', text: `a${i}` }] } };
    results.push(JSON.stringify({ custom_id: `${name}-${i}`, result }));
  }
  const paths = {
    requests: join(dir, `${name}.requests.jsonl`),
    results: join(dir, `${name}.results.jsonl`),
  };
  writeFileSync(paths.requests, `${requests.join('\n')}\n`);
  writeFileSync(paths.results, `${results.join('\n')}\n`);
  return paths;
}

const params = (i: number) => ({
  // Keys in another order: the hash is of canonical JSON.
  messages: [{ content: `q${i}`, role: 'user' }],
  max_tokens: 16,
  model: 'claude-haiku-4-5',
});

describe('ReuseIndex', () => {
  const index = new ReuseIndex();
  afterAll(() => index.close());

  it('finds every succeeded answer across more than one page of 65,536 entries, and nothing else', async () => {
    const count = 100_000;
    const added = await index.addSource(source('big', count));
    const succeeded = count - Math.floor((count + 1) / 3);
    expect(added).toBe(succeeded);
    expect(index.size).toBe(succeeded);
    // Entries on the first page, at the boundary and on the second page (the results' order is shuffled).
    for (const i of [0, 1, 65_535, 65_536, 65_537, 80_000, 99_999]) {
      const hit = index.find(params(i));
      if (i % 3 === 2) expect(hit).toBeUndefined();
      else {
        expect(hit?.result.custom_id).toBe(`big-${i}`);
        expect((hit?.result.result as { message?: { id: string } } | undefined)?.message?.id).toBe(
          `msg_${i}`,
        );
      }
    }
    expect(index.find(params(count + 5))).toBeUndefined();
  });

  it('keeps the first answer for the same params when a later source has it too', async () => {
    const again = await index.addSource(source('small', 10));
    expect(again).toBe(0);
    expect(index.find(params(4))?.result.custom_id).toBe('big-4');
  });
});
