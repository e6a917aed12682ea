import { callApi } from './api-errors.js';
import type { Sink } from './atomic-file.js';
import { getBatch, totalRequests } from './batches.js';
import type { BatchClient } from './client.js';
import { BatchStateError, CliError } from './errors.js';
import { decodeUtf8, readLines } from './lines.js';
import { compactLine, resultFacts } from './result-line.js';
import { type ResultsSummary, SummaryBuilder } from './results-summary.js';
import type { MessageBatch } from './types.js';

/** How results are written: `jsonl` is every line as the API sent it; `compact` is one flat object a result. */
export type ResultsFormat = 'jsonl' | 'compact';

/** Options for {@link downloadResults}. */
export interface DownloadOptions {
  format?: ResultsFormat;
  signal?: AbortSignal | undefined;
  /** Called now and then with the number of results written so far. */
  onProgress?: (results: number) => void;
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
export async function openResultsStream(
  client: BatchClient,
  batch: MessageBatch,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<AsyncIterable<Uint8Array>> {
  const url = assertResultsReady(batch);
  const response = await callApi({ baseUrl: client.baseUrl, batchId: batch.id }, () =>
    client.sdk
      .get(url, {
        headers: { accept: 'application/binary' },
        __binaryResponse: true,
        signal: options.signal,
      })
      .asResponse(),
  );
  if (!response.body) throw new CliError(`The results of batch ${batch.id} came back empty`);
  return response.body as unknown as AsyncIterable<Uint8Array>;
}

/**
 * Streams every result of an ended batch into a sink, line by line, in bounded memory:
 * `jsonl` keeps each line exactly as the API sent it; `compact` writes one flat object a result.
 * Checks that the file holds one result per request (no more, no fewer, no repeat) before
 * committing; on any failure the sink is aborted, so no partial file is left.
 */
export async function downloadResults(
  client: BatchClient,
  id: string,
  sink: Sink,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const format = options.format ?? 'jsonl';
  try {
    const batch = await getBatch(client, id, options);
    const stream = await openResultsStream(client, batch, options);
    const summary = new SummaryBuilder();
    const seen = new Set<string>();
    const newline = Buffer.from('\n');
    for await (const { number, bytes } of readLines(stream)) {
      if (bytes.length === 0) continue;
      const text = decodeUtf8(bytes);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text ?? '');
      } catch {
        throw new CliError(`The results of batch ${id} have a line that is not JSON (line ${number})`, {
          hint: 'download them again; if it persists, report it with the batch id',
        });
      }
      const facts = resultFacts(parsed);
      if (seen.has(facts.custom_id)) continue;
      seen.add(facts.custom_id);
      summary.add(facts);
      if (format === 'jsonl') {
        await sink.write(bytes);
        await sink.write(newline);
      } else {
        await sink.write(`${compactLine(facts)}\n`);
      }
      if (seen.size % 10_000 === 0) options.onProgress?.(seen.size);
    }
    const expected = totalRequests(batch);
    if (seen.size !== expected) {
      throw new CliError(
        `The results download of batch ${id} was incomplete: ${seen.size} of ${expected} results`,
        { hint: 'run the command again to download them afresh' },
      );
    }
    await sink.commit();
    return { batch, summary: summary.build() };
  } catch (error) {
    await sink.abort();
    throw error;
  }
}
