import { createReadStream } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sink } from '../atomic-file.js';
import type { BatchClient } from '../client.js';
import { type DownloadOptions, downloadResults } from '../results.js';
import type { MessageBatch } from '../types.js';
import { checkJoinOptions, type JoinOptions, type JoinSummary, joinResults } from './join.js';

/**
 * A private temporary file, unlinked as soon as it is open (so nothing is left even on a hard
 * exit), written through a {@link Sink} and read back from the start through its handle.
 */
async function openSpool(
  tempDir: string,
): Promise<{ sink: Sink; read(): AsyncIterable<Uint8Array>; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tempDir, 'claude-batch-results-'));
  const path = join(dir, 'results.jsonl');
  let file: FileHandle;
  try {
    file = await open(path, 'w+', 0o600);
    await unlink(path).catch(() => undefined);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let position = 0;
  const sink: Sink = {
    target: 'a temporary file',
    async write(chunk) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    },
    async commit() {},
    async abort() {},
  };
  return {
    sink,
    read: () => createReadStream('', { fd: file, start: 0, autoClose: false, highWaterMark: 1 << 20 }),
    async close() {
      await file.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What {@link joinBatchResults} did: the batch, and the join's summary. */
export interface BatchJoinResult {
  batch: MessageBatch;
  summary: JoinSummary;
}

/**
 * Downloads the results of an ended batch (with `downloadResults`' restarts and its check of one
 * result per request) into a private temporary file, then joins them to the input. The output
 * sink is aborted if either step fails.
 */
export async function joinBatchResults(
  client: BatchClient,
  batchId: string,
  options: Omit<JoinOptions, 'results'> &
    Pick<DownloadOptions, 'onNotice'> & {
      onDownloadProgress?: (results: number) => void;
    },
): Promise<BatchJoinResult> {
  let spool: Awaited<ReturnType<typeof openSpool>> | undefined;
  try {
    await checkJoinOptions(options);
    spool = await openSpool(options.tempDir ?? tmpdir());
    const { batch } = await downloadResults(client, batchId, spool.sink, {
      format: 'jsonl',
      signal: options.signal,
      onNotice: options.onNotice,
      onProgress: options.onDownloadProgress,
    });
    const summary = await joinResults({ ...options, results: spool.read() });
    return { batch, summary };
  } catch (error) {
    await options.sink.abort();
    throw error;
  } finally {
    await spool?.close();
  }
}
