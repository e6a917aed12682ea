import { PassThrough } from 'node:stream';
import type { BatchClient } from '../api/client.js';
import type { MessageBatch } from '../api/types.js';
import type { Sink } from '../fs/atomic-file.js';
import { drained } from '../fs/streams.js';
import { type DownloadOptions, downloadResults } from '../results/download.js';
import { checkJoinOptions, type JoinOptions, type JoinSummary, joinResults } from './join.js';

/** The other side of a {@link channel} went away (its own error is the one to report). */
class ChannelClosed extends Error {}

/**
 * A sink read as a stream (a PassThrough with a one-byte buffer): what is written to it comes
 * out of `stream`, and a write waits until the reader has taken it. `commit` ends the stream,
 * `abort` fails it; once the reader gives up (or `close` is called), writes fail. Memory: a chunk or two.
 */
export function channel(): { sink: Sink; stream: AsyncIterable<Uint8Array>; close(error?: unknown): void } {
  const pipe = new PassThrough({ highWaterMark: 1 });
  let closed: unknown;
  // The reader sees the stream's error through its iterator; this keeps it from being unhandled.
  pipe.on('error', () => {});
  pipe.on('close', () => {
    closed ??= new ChannelClosed('the join stopped reading the results');
  });
  const sink: Sink = {
    target: 'the join',
    async write(chunk) {
      if (closed !== undefined) throw closed;
      if (!pipe.write(chunk)) {
        await drained(pipe).catch(() => {
          throw closed ?? new ChannelClosed('the join stopped reading the results');
        });
      }
    },
    async commit() {
      pipe.end();
    },
    async abort() {
      pipe.destroy(new ChannelClosed('the results download failed'));
    },
  };
  return {
    sink,
    stream: pipe,
    close(error) {
      closed ??= error ?? new ChannelClosed('the join stopped reading the results');
      pipe.destroy();
    },
  };
}

/** What {@link joinBatchResults} did: the batch, and the join's summary. */
export interface BatchJoinResult {
  batch: MessageBatch;
  summary: JoinSummary;
}

/**
 * Joins results that `produce` writes into a sink (a download, a job's merge) as they come: the
 * join indexes each result as it arrives, so no copy of the results goes to disk and the
 * producer's waits overlap with the indexing. The first real failure is the one thrown; the
 * output sink is aborted if either side fails.
 */
export async function joinProduced<T>(
  produce: (sink: Sink) => Promise<T>,
  options: Omit<JoinOptions, 'results'>,
): Promise<{ produced: T; summary: JoinSummary }> {
  try {
    const prepared = await checkJoinOptions(options);
    const pipe = channel();
    const joining = joinResults({ ...options, prepared, results: pipe.stream }).finally(() => pipe.close());
    const producing = produce(pipe.sink);
    // A producer's error reaches the join as a closed channel, and a join error reaches the
    // producer the same way: report the one that is not just the other's echo.
    const joinFailure = joining.then(
      () => undefined,
      (error: unknown) => error,
    );
    let produced: T;
    try {
      produced = await producing;
    } catch (error) {
      const other = await joinFailure;
      throw other !== undefined && !(other instanceof ChannelClosed) ? other : error;
    }
    return { produced, summary: await joining };
  } catch (error) {
    await options.sink.abort();
    throw error;
  }
}

/**
 * Downloads the results of an ended batch (with `downloadResults`' restarts and its check of one
 * result per request) straight into the join.
 */
export async function joinBatchResults(
  client: BatchClient,
  batchId: string,
  options: Omit<JoinOptions, 'results'> &
    Pick<DownloadOptions, 'onNotice' | 'extra'> & {
      onDownloadProgress?: (results: number) => void;
    },
): Promise<BatchJoinResult> {
  const { produced, summary } = await joinProduced(
    (sink) =>
      downloadResults(client, batchId, sink, {
        format: 'jsonl',
        signal: options.signal,
        onNotice: options.onNotice,
        onProgress: options.onDownloadProgress,
        extra: options.extra,
      }),
    options,
  );
  return { batch: produced.batch, summary };
}
