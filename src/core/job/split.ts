import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { isBlank, readLines } from '../fs/lines.js';
import { openSource } from '../requests/file.js';
import { BODY_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_BATCH_REQUESTS } from '../requests/limits.js';
import type { Shard } from './manifest.js';

/** Default shard limits: headroom under the API's 100,000 requests and 256 MB. */
export const SHARD_MAX_REQUESTS = Math.floor(MAX_BATCH_REQUESTS * 0.99);
export const SHARD_MAX_BYTES = Math.floor(MAX_BATCH_BYTES * 0.97);

/** Writes one line (its bytes, then `\n`), waiting for the stream to drain when its buffer is full. */
export async function writeLine(stream: WriteStream, bytes: Uint8Array): Promise<void> {
  const roomy = stream.write(bytes);
  // Both writes always happen: a full buffer after the first must not drop the newline.
  if (!stream.write('\n') || !roomy)
    await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
}

/** Ends a write stream and waits for it to close. */
export function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

/**
 * Cuts a (validated) request file into shard files in `dir/shards/`, each within `maxRequests`
 * requests and `maxBytes` bytes of create body, streaming: memory holds one line at a time.
 */
export async function splitRequests(
  input: string,
  dir: string,
  limits: { maxRequests?: number; maxBytes?: number } = {},
): Promise<Shard[]> {
  const maxRequests = limits.maxRequests ?? SHARD_MAX_REQUESTS;
  const maxBytes = limits.maxBytes ?? SHARD_MAX_BYTES;
  const shards: Shard[] = [];
  let out: WriteStream | undefined;
  let current: Shard | undefined;
  for await (const { number, bytes } of readLines(openSource(input))) {
    if (isBlank(bytes)) continue;
    const added = bytes.length + (current && current.requests > 0 ? 1 : 0);
    if (!current || current.requests >= maxRequests || current.bytes + added > maxBytes) {
      if (out) await closeStream(out);
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
      out = createWriteStream(join(dir, file));
    }
    current.bytes += bytes.length + (current.requests > 0 ? 1 : 0);
    current.requests += 1;
    current.last_line = number;
    await writeLine(out as WriteStream, bytes);
  }
  if (out) await closeStream(out);
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
