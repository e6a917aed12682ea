import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps a streaming loop's garbage from piling up. Every chunk a download or a file read hands
 * over is a fresh Buffer; they die at once, but V8 only collects them when its young generation
 * fills (16 MB a semi-space on 64-bit) or external memory has grown by tens of MB, so a loop
 * that moves 100 MB/s holds 30-60 MB of dead buffers at any time. A young-generation collection
 * (a scavenge: about a millisecond here, since almost nothing survives) every few MB keeps that
 * garbage to a few MB. `gc` is reached the way Node's documentation shows for
 * `v8.setFlagsFromString`; where that is not possible the pacer does nothing.
 */
type Collect = (options: { type: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let collect: Collect | null | undefined;

function collector(): Collect | null {
  if (collect !== undefined) return collect;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    collect = typeof gc === 'function' ? (gc as Collect) : null;
  } catch {
    collect = null;
  }
  return collect;
}

/**
 * A full collection, for the end of a phase that leaves much old garbage behind (a map of 100,000
 * ids built, used and dropped): without it V8 keeps that garbage until its old generation fills.
 */
export function collectOldGarbage(): void {
  collector()?.({ type: 'major' });
}

/** Bytes moved between two young-generation collections. */
export const COLLECT_EVERY_BYTES = 2 << 20;

/** A function to call with the size of each chunk moved; it collects young garbage every `every` bytes. */
export function garbagePacer(every = COLLECT_EVERY_BYTES): (bytes: number) => void {
  const gc = collector();
  if (!gc) return () => {};
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < every) return;
    since = 0;
    gc({ type: 'minor' });
  };
}

/**
 * Chunk size for file reads that are split into lines. A chunk stays reachable while its lines
 * are handled; at 1 MB that spans several young collections, so each chunk was promoted and
 * kept until a full collection. At 64 KB (the default of Node's file streams) it dies young.
 */
export const READ_CHUNK_BYTES = 1 << 16;

/** Passes a byte stream's chunks through, collecting young garbage every few MB (see {@link garbagePacer}). */
export async function* paced<T extends Uint8Array | string>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const pace = garbagePacer();
  for await (const chunk of source) {
    pace(chunk.length);
    yield chunk;
  }
}
