import type { Readable } from 'node:stream';

/**
 * Reads an object-mode stream in batches: every object already buffered is taken at once, so a
 * consumer pays one promise per batch instead of one per object. Stream errors are thrown.
 */
export async function* readBatches<T>(stream: Readable): AsyncGenerator<T[]> {
  let failure: Error | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  const onEnd = () => {
    ended = true;
    poke();
  };
  const onError = (error: Error) => {
    failure ??= error;
    poke();
  };
  stream.on('readable', poke);
  stream.on('end', onEnd);
  stream.on('error', onError);
  try {
    for (;;) {
      if (failure) throw failure;
      const batch: T[] = [];
      for (let item = stream.read() as T | null; item !== null; item = stream.read() as T | null)
        batch.push(item);
      if (batch.length > 0) {
        yield batch;
        continue;
      }
      if (ended || stream.readableEnded) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    stream.off('readable', poke);
    stream.off('end', onEnd);
    stream.off('error', onError);
  }
}
