import type { Sink } from '../atomic-file.js';
import type { BatchClient } from '../client.js';
import { type DownloadOptions, downloadResults } from '../results.js';
import type { MessageBatch } from '../types.js';
import { checkJoinOptions, type JoinOptions, type JoinSummary, joinResults } from './join.js';

/** The other side of a {@link channel} went away (its own error is the one to report). */
class ChannelClosed extends Error {}

/**
 * A sink read as a stream: what is written to it comes out of `stream`, one chunk at a time, and
 * a write waits until the reader has taken the chunk before it. `commit` ends the stream, `abort`
 * fails it; once the reader gives up, writes fail. Memory: one chunk.
 */
export function channel(): { sink: Sink; stream: AsyncIterable<Uint8Array>; close(error?: unknown): void } {
  let waiting: ((item: IteratorResult<Uint8Array>) => void) | undefined;
  let failWaiting: ((error: unknown) => void) | undefined;
  let pending: { chunk: Uint8Array; taken: () => void } | undefined;
  let ended = false;
  let failure: unknown;
  let closed: unknown;
  const deliver = () => {
    if (!waiting) return;
    const resolve = waiting;
    const reject = failWaiting;
    if (pending) {
      const { chunk, taken } = pending;
      pending = undefined;
      waiting = undefined;
      resolve({ value: chunk, done: false });
      taken();
    } else if (failure !== undefined) {
      waiting = undefined;
      reject?.(failure);
    } else if (ended) {
      waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  };
  const sink: Sink = {
    target: 'the join',
    write(chunk) {
      if (closed !== undefined) return Promise.reject(closed);
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      return new Promise<void>((taken) => {
        pending = { chunk: bytes, taken };
        deliver();
      });
    },
    async commit() {
      ended = true;
      deliver();
    },
    async abort() {
      failure ??= new ChannelClosed('the results download failed');
      deliver();
    },
  };
  const stream: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
          waiting = resolve;
          failWaiting = reject;
          deliver();
        }),
      return: async () => {
        closed ??= new ChannelClosed('the join stopped reading the results');
        pending?.taken();
        return { value: undefined, done: true };
      },
    }),
  };
  return {
    sink,
    stream,
    close(error) {
      closed ??= error ?? new ChannelClosed('the join stopped reading the results');
      const p = pending;
      pending = undefined;
      p?.taken();
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
 * result per request) straight into the join, which indexes them as they come. The output sink
 * is aborted if either fails.
 */
export async function joinBatchResults(
  client: BatchClient,
  batchId: string,
  options: Omit<JoinOptions, 'results'> &
    Pick<DownloadOptions, 'onNotice'> & {
      onDownloadProgress?: (results: number) => void;
    },
): Promise<BatchJoinResult> {
  try {
    await checkJoinOptions(options);
    // The join indexes each result as it arrives: no copy of the results on disk, and the
    // download's waits overlap with the indexing.
    const pipe = channel();
    const joining = joinResults({ ...options, results: pipe.stream }).finally(() => pipe.close());
    const downloading = downloadResults(client, batchId, pipe.sink, {
      format: 'jsonl',
      signal: options.signal,
      onNotice: options.onNotice,
      onProgress: options.onDownloadProgress,
    });
    // Report the failure that came first: a download error reaches the join as a closed channel,
    // and a join error reaches the download the same way.
    const joinFailure = joining.then(
      () => undefined,
      (error: unknown) => error,
    );
    let download: Awaited<typeof downloading>;
    try {
      download = await downloading;
    } catch (error) {
      const other = await joinFailure;
      throw other !== undefined && !(other instanceof ChannelClosed) ? other : error;
    }
    const summary = await joining;
    return { batch: download.batch, summary };
  } catch (error) {
    await options.sink.abort();
    throw error;
  }
}
