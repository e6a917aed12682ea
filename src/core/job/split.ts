import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { isBlank, readLines } from '../fs/lines.js';
import { ChunkWriter, fileSink } from '../fs/streams.js';
import { openSource } from '../requests/file.js';
import { BODY_OVERHEAD_BYTES } from '../requests/limits.js';
import { SHARD_MAX_BYTES, SHARD_MAX_REQUESTS } from './defaults.js';
import type { Shard } from './manifest.js';

export { SHARD_MAX_BYTES, SHARD_MAX_REQUESTS } from './defaults.js';

/** Opens the stream a shard file is written to (tests pass a failing one). */
export type OpenStream = (path: string) => Writable;

const openFile: OpenStream = (path) => createWriteStream(path);

/**
 * A file of lines, written in ~1 MB chunks; a write waits while the disk catches up and fails
 * with a clear error if the disk does (`cannot write …: the disk is full (ENOSPC)`). Commit it
 * to finish; abort removes it.
 */
export function lineFile(path: string, open: OpenStream = openFile) {
  const file = fileSink(open(path), path);
  const lines = new ChunkWriter(file, 1 << 20, true);
  return {
    /** Adds a line (its bytes; the `\n` is added). */
    line: (bytes: Uint8Array): Promise<void> | undefined => lines.write(bytes),
    async commit(): Promise<void> {
      await lines.flush();
      await file.commit();
    },
    async abort(): Promise<void> {
      lines.clear();
      await file.abort();
    },
  };
}

/**
 * Cuts a (validated) request file into shard files in `dir/shards/`, each within `maxRequests`
 * requests and `maxBytes` bytes of create body, streaming: memory holds one line at a time.
 */
export async function splitRequests(
  input: string,
  dir: string,
  limits: { maxRequests?: number; maxBytes?: number; openStream?: OpenStream } = {},
): Promise<Shard[]> {
  const maxRequests = limits.maxRequests ?? SHARD_MAX_REQUESTS;
  const maxBytes = limits.maxBytes ?? SHARD_MAX_BYTES;
  const shards: Shard[] = [];
  let out: ReturnType<typeof lineFile> | undefined;
  let current: Shard | undefined;
  try {
    for await (const { number, bytes } of readLines(openSource(input))) {
      if (isBlank(bytes)) continue;
      const added = bytes.length + (current && current.requests > 0 ? 1 : 0);
      if (!current || current.requests >= maxRequests || current.bytes + added > maxBytes) {
        if (out) await out.commit();
        const index = shards.length;
        const file = join('shards', `shard-${String(index).padStart(3, '0')}.jsonl`);
        current = {
          index,
          file,
          first_line: number,
          last_line: number,
          requests: 0,
          bytes: BODY_OVERHEAD_BYTES,
          attempts: [],
        };
        shards.push(current);
        out = lineFile(join(dir, file), limits.openStream);
      }
      current.bytes += bytes.length + (current.requests > 0 ? 1 : 0);
      current.requests += 1;
      current.last_line = number;
      await out?.line(bytes);
    }
    await out?.commit();
  } catch (error) {
    await out?.abort();
    throw error;
  }
  return shards;
}

/** How a request file would be cut, without writing anything: shard count and sizes. */
export async function planShards(
  input: string,
  limits: { maxRequests?: number; maxBytes?: number } = {},
): Promise<Array<{ requests: number; bytes: number }>> {
  const maxRequests = limits.maxRequests ?? SHARD_MAX_REQUESTS;
  const maxBytes = limits.maxBytes ?? SHARD_MAX_BYTES;
  const shards: Array<{ requests: number; bytes: number }> = [];
  let current: { requests: number; bytes: number } | undefined;
  for await (const { bytes } of readLines(openSource(input))) {
    if (isBlank(bytes)) continue;
    const added = bytes.length + (current && current.requests > 0 ? 1 : 0);
    if (!current || current.requests >= maxRequests || current.bytes + added > maxBytes) {
      current = { requests: 0, bytes: BODY_OVERHEAD_BYTES };
      shards.push(current);
    }
    current.bytes += bytes.length + (current.requests > 0 ? 1 : 0);
    current.requests += 1;
  }
  return shards;
}
