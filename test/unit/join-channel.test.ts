import { describe, expect, it } from 'vitest';
import { channel } from '../../src/core/join/batch.js';

/** Rejects if `promise` does not settle within `ms`. */
function within<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)),
  ]);
}

describe('the join channel (a PassThrough)', () => {
  it('passes every chunk in order and ends on commit', async () => {
    const pipe = channel();
    const reading = (async () => {
      const parts: string[] = [];
      for await (const chunk of pipe.stream) parts.push(Buffer.from(chunk).toString());
      return parts.join('');
    })();
    for (let i = 0; i < 100; i += 1) await pipe.sink.write(`line ${i}\n`);
    await pipe.sink.commit();
    const text = await reading;
    expect(text.split('\n').filter(Boolean)).toHaveLength(100);
    expect(text.startsWith('line 0\nline 1\n')).toBe(true);
  });

  it('fails the reader on abort, and the writer once the reader stops', async () => {
    const aborted = channel();
    const reader = (async () => {
      for await (const _ of aborted.stream);
    })();
    await aborted.sink.write('a');
    await aborted.sink.abort();
    await expect(reader).rejects.toThrow('the results download failed');

    const stopped = channel();
    const first = (async () => {
      for await (const _ of stopped.stream) break;
    })();
    await stopped.sink.write('a');
    await first;
    await expect(within(stopped.sink.write('b'))).rejects.toThrow('the join stopped reading the results');
  });
});
