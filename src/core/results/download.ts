import { createReadStream } from 'node:fs';
import { getBatch, totalRequests } from '../api/batches.js';
import type { BatchClient } from '../api/client.js';
import { callApi, toCliError } from '../api/errors.js';
import {
  describeFailure,
  isNotFound,
  READ_TIMEOUT_MS,
  type RetryPolicy,
  retryDelayFor,
  sleep,
} from '../api/retry.js';
import type { MessageBatch } from '../api/types.js';
import { BatchStateError, CliError, InterruptedError } from '../errors.js';
import { bufferedSink, type Sink } from '../fs/atomic-file.js';
import { decodeUtf8, readLines } from '../fs/lines.js';
import { READ_CHUNK_BYTES } from '../fs/memory.js';
import { compactLine, flatCsvHeader, flatCsvLine, flatOutputs, resultFacts } from './line.js';
import type { OutputSpecs } from './output.js';
import { scanSucceeded } from './scan.js';
import { type ResultsSummary, SummaryBuilder } from './summary.js';

/**
 * How results are written: `jsonl` is every line as the API sent it; `compact` is one flat JSON
 * object a result; `csv` is one flat CSV row a result, under a header.
 */
export type ResultsFormat = 'jsonl' | 'compact' | 'csv';

/** Options for {@link downloadResults}. */
export interface DownloadOptions {
  format?: ResultsFormat;
  /**
   * What structured answers were asked for (compact and csv): each answer's output fields, its
   * `output_error`, and the counts in the summary.
   */
  outputs?: OutputSpecs | undefined;
  signal?: AbortSignal | undefined;
  /** Called now and then with the number of results written so far. */
  onProgress?: (results: number) => void;
  /** Called with a line saying what happened when a broken download is restarted. */
  onNotice?: (message: string) => void;
  /**
   * Give up after this many downloads in a row that add no result (default 5); downloads that
   * make progress do not count, but there are never more than four times as many in all.
   */
  maxAttempts?: number;
  /**
   * First wait before a restart, doubling (while no progress is made) up to 2 s, less up to a
   * quarter of jitter (default 100 ms); a retry-after from the API is obeyed instead, up to 60 s.
   */
  retryDelayMs?: number;
  /** The jitter's source, uniform in [0, 1) (default Math.random). */
  random?: () => number;
  /**
   * A file of results to add after the batch's own (the answers `submit --reuse` reused for
   * requests it did not send), in the same format and summary; ids the batch has are skipped.
   */
  extra?: string | undefined;
}

/** Default bound on download attempts in a row that make no progress. */
export const MAX_DOWNLOAD_ATTEMPTS = 5;

/** The results stream broke while it was being read (a reset, a line that is not JSON). */
class BrokenDownload extends Error {
  override name = 'BrokenDownload';
}

/** What a download produced. */
export interface DownloadResult {
  batch: MessageBatch;
  summary: ResultsSummary;
}

/** Throws exit-3 errors for a batch whose results cannot be read yet (or any more). */
export function assertResultsReady(batch: MessageBatch): string {
  if (batch.processing_status !== 'ended') {
    const n = totalRequests(batch).toLocaleString('en-US');
    throw new BatchStateError(
      `Batch ${batch.id} has not ended yet (status: ${batch.processing_status}, ${n} requests)`,
      batch.id,
      { hint: `wait for it with: claude-batch monitor ${batch.id}`, status: batch.processing_status },
    );
  }
  if (!batch.results_url) {
    const why = batch.archived_at
      ? `they were archived at ${batch.archived_at}`
      : 'the API gave no results URL';
    throw new BatchStateError(`The results of batch ${batch.id} are not available: ${why}`, batch.id, {
      hint: 'results stay available for 29 days after a batch is created',
      status: batch.processing_status,
    });
  }
  return batch.results_url;
}

/** Opens the raw results stream of an ended batch. */
export function openResultsStream(
  client: BatchClient,
  batch: MessageBatch,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<AsyncIterable<Uint8Array>> {
  return callApi({ baseUrl: client.baseUrl, batchId: batch.id }, () => openRaw(client, batch, options));
}

/** Opens the results stream; SDK errors are thrown as they are. */
async function openRaw(
  client: BatchClient,
  batch: MessageBatch,
  options: { signal?: AbortSignal | undefined },
): Promise<AsyncIterable<Uint8Array>> {
  const url = assertResultsReady(batch);
  const response = await client.sdk
    .get(url, {
      headers: { accept: 'application/binary' },
      __binaryResponse: true,
      signal: options.signal,
      timeout: READ_TIMEOUT_MS,
    })
    .asResponse();
  if (!response.body) throw new CliError(`The results of batch ${batch.id} came back empty`);
  return response.body as unknown as AsyncIterable<Uint8Array>;
}

/**
 * A signal of its own that follows `parent` (aborted with its reason) until `unlink` is called,
 * which removes the one listener it put on `parent`.
 */
function linkedSignal(parent: AbortSignal | undefined): { signal: AbortSignal | undefined; unlink(): void } {
  if (!parent) return { signal: undefined, unlink() {} };
  const controller = new AbortController();
  const follow = () => controller.abort(parent.reason);
  if (parent.aborted) follow();
  else parent.addEventListener('abort', follow, { once: true });
  return { signal: controller.signal, unlink: () => parent.removeEventListener('abort', follow) };
}

/** Passes a stream's chunks through, turning a failure of the stream itself into a BrokenDownload. */
async function* tagged(stream: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const iterator = stream[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await iterator.next();
    } catch (error) {
      throw new BrokenDownload(describeFailure(error), { cause: error });
    }
    if (next.done) return;
    yield next.value;
  }
}

/**
 * Streams every result of an ended batch into a sink, line by line, in bounded memory:
 * `jsonl` keeps each line exactly as the API sent it; `compact` writes one flat object a result.
 * A download that breaks (a reset, a line cut short, fewer results than the batch's
 * request_counts, a 404 or a 5xx) is restarted from the beginning, skipping the custom_ids
 * already written, until `maxAttempts` downloads in a row add nothing (at most 4 × that in
 * all). Checks that the file holds one result per request
 * (no more, no fewer, no repeat) before committing; on any failure the sink is aborted, so no
 * partial file is left.
 */
export async function downloadResults(
  client: BatchClient,
  id: string,
  target: Sink,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const format = options.format ?? 'jsonl';
  const sink = bufferedSink(target);
  const maxAttempts = Math.max(1, options.maxAttempts ?? MAX_DOWNLOAD_ATTEMPTS);
  try {
    const batch = await getBatch(client, id, options);
    const expected = totalRequests(batch);
    const summary = new SummaryBuilder();
    const specs = format === 'jsonl' ? undefined : options.outputs;
    const outputs = specs ? flatOutputs(specs.columns()) : undefined;
    if (specs) summary.countOutputs();
    const seen = new Set<string>();
    let jsonLooking = 0;
    const newline = Buffer.from('\n');
    if (format === 'csv') await sink.write(flatCsvHeader(outputs));
    let stalled = 0;
    const policy: RetryPolicy = {
      baseMs: options.retryDelayMs ?? 100,
      maxMs: 2000,
      maxAskedMs: 60_000,
      // A broken stream and a 404 (results not there yet) are restarted too.
      retryIf: (error) => error instanceof BrokenDownload || isNotFound(error),
      ...(options.random ? { random: options.random } : {}),
    };
    for (let attempt = 1; ; attempt += 1) {
      let failure: unknown;
      const before = seen.size;
      // Each attempt has its own signal, linked to the caller's for the attempt only: the SDK
      // keeps its abort listener on the signal it is given until the response body is collected,
      // so a long-lived (process-wide) signal would gather one per broken download.
      const attemptSignal = linkedSignal(options.signal);
      try {
        const stream = await openRaw(client, batch, { signal: attemptSignal.signal });
        for await (const { number, bytes, terminated } of readLines(tagged(stream))) {
          if (bytes.length === 0) continue;
          // A whole succeeded line is read as bytes (no decode, no parse) when only jsonl is written.
          let facts = format === 'jsonl' && terminated ? scanSucceeded(bytes) : undefined;
          if (!facts) {
            let parsed: unknown;
            try {
              parsed = JSON.parse(decodeUtf8(bytes) ?? '');
            } catch {
              throw new BrokenDownload(`line ${number} is not JSON`);
            }
            facts = resultFacts(parsed);
          }
          if (seen.has(facts.custom_id)) continue;
          seen.add(facts.custom_id);
          summary.add(facts);
          const out = specs?.check(facts);
          summary.addOutput(facts, out);
          if (!specs && format !== 'jsonl' && facts.text?.startsWith('{')) jsonLooking += 1;
          if (format === 'jsonl') {
            await sink.write(bytes);
            await sink.write(newline);
          } else if (format === 'csv') {
            await sink.write(flatCsvLine(facts, outputs, out));
          } else {
            await sink.write(`${compactLine(facts, outputs, out)}\n`);
          }
          if (seen.size % 10_000 === 0) options.onProgress?.(seen.size);
        }
        if (seen.size > expected) {
          throw new CliError(
            `The results of batch ${id} hold ${seen.size} results, more than its ${expected} requests`,
            { hint: 'report it with the batch id' },
          );
        }
        if (seen.size === expected) break;
        failure = new BrokenDownload(`it ended after ${seen.size} of ${expected} results`);
      } catch (error) {
        if (options.signal?.aborted) throw error instanceof CliError ? error : new InterruptedError();
        failure = error;
      } finally {
        attemptSignal.unlink();
      }
      stalled = seen.size > before ? 0 : stalled + 1;
      const wait = retryDelayFor(failure, Math.max(1, stalled), policy);
      if (wait === undefined) throw toCliError(failure, { baseUrl: client.baseUrl, batchId: id });
      const why = failure instanceof BrokenDownload ? failure.message : describeFailure(failure);
      if (stalled >= maxAttempts || attempt >= maxAttempts * 4) {
        throw new CliError(
          `The results download of batch ${id} was incomplete: ${seen.size} of ${expected} results after ${attempt} attempts (last: ${why})`,
          { hint: 'run the command again to download them afresh; nothing was kept' },
        );
      }
      options.onNotice?.(
        `The results download broke (${why}); restarting (attempt ${attempt + 1}), skipping the ${seen.size.toLocaleString('en-US')} results already written.`,
      );
      await sleep(wait, options.signal);
    }
    if (options.extra !== undefined) {
      for await (const { bytes } of readLines(
        createReadStream(options.extra, { highWaterMark: READ_CHUNK_BYTES }),
      )) {
        if (bytes.length === 0) continue;
        const facts = resultFacts(JSON.parse(decodeUtf8(bytes) ?? 'null'));
        if (seen.has(facts.custom_id)) continue;
        seen.add(facts.custom_id);
        summary.add(facts);
        const out = specs?.check(facts);
        summary.addOutput(facts, out);
        if (format === 'jsonl') {
          await sink.write(bytes);
          await sink.write(newline);
        } else if (format === 'csv') await sink.write(flatCsvLine(facts, outputs, out));
        else await sink.write(`${compactLine(facts, outputs, out)}\n`);
      }
    }
    await sink.commit();
    if (jsonLooking > 0) {
      // Never guessed: say how to get the columns.
      options.onNotice?.(
        `${jsonLooking.toLocaleString('en-US')} answers look like JSON objects; for their fields as out_ columns (and output_error), pass --requests FILE (the request file with their schema) or --schema FILE`,
      );
    }
    return { batch, summary: summary.build() };
  } catch (error) {
    await sink.abort();
    throw error;
  }
}
