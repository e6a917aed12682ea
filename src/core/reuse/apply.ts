/** Splitting a request file into what must be sent and what was already answered. */
import { join } from 'node:path';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';
import { lineFile } from '../job/split.js';
import { openSource } from '../requests/file.js';
import { resultFacts } from '../results/line.js';
import { type ResultsSummary, SummaryBuilder } from '../results/summary.js';
import type { ReuseIndex } from './index.js';

/** The files a job keeps for its reused answers (relative to the job folder). */
export const REUSED_REQUESTS = 'reused-requests.jsonl';
export const REUSED_RESULTS = 'reused.jsonl';
/** The requests left to send (split into shards, then removed). */
export const TO_SEND = 'to-send.jsonl';

/** What {@link applyReuse} did. */
export interface ReuseOutcome {
  /** Requests answered from earlier results (not sent). */
  reused: number;
  /** Requests left to send. */
  toSend: number;
  /** The reused results, summarised (their cost is the money not spent again). */
  summary: ResultsSummary;
}

/**
 * Streams a (validated) request file: each request whose params already have a succeeded result
 * in `index` gets that result, with this request's custom_id, in `dir/reused.jsonl` (and the
 * request in `dir/reused-requests.jsonl`); every other line goes to `dir/to-send.jsonl`.
 * Memory: one line at a time, beside the index.
 */
export async function applyReuse(input: string, dir: string, index: ReuseIndex): Promise<ReuseOutcome> {
  const send = lineFile(join(dir, TO_SEND));
  const reusedRequests = lineFile(join(dir, REUSED_REQUESTS));
  const reusedResults = lineFile(join(dir, REUSED_RESULTS));
  const summary = new SummaryBuilder();
  let reused = 0;
  let toSend = 0;
  try {
    for await (const { bytes } of readLines(openSource(input))) {
      if (isBlank(bytes)) continue;
      const request = JSON.parse(decodeUtf8(bytes) ?? 'null') as { custom_id: string; params: unknown };
      const found = index.find(request.params);
      if (!found) {
        toSend += 1;
        await send.line(bytes);
        continue;
      }
      const result = { ...found.result, custom_id: request.custom_id };
      reused += 1;
      summary.add(resultFacts(result));
      await reusedRequests.line(bytes);
      await reusedResults.line(Buffer.from(JSON.stringify(result)));
    }
    await send.commit();
    await reusedRequests.commit();
    await reusedResults.commit();
  } catch (error) {
    await send.abort();
    await reusedRequests.abort();
    await reusedResults.abort();
    throw error;
  } finally {
    index.close();
  }
  return { reused, toSend, summary: summary.build() };
}
