/** Splitting a request file into what must be sent and what was already answered. */
import { renameSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';
import { garbagePacer } from '../fs/memory.js';
import { lineFile } from '../job/split.js';
import { openSource } from '../requests/file.js';
import { resultFacts } from '../results/line.js';
import { OutputSpecs } from '../results/output.js';
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
  /**
   * Of those, requests sent again although an answer was found: it is not a valid structured
   * answer (the request asks for a schema or a forced tool). Such answers are never reused:
   * `retry --invalid-output` resends a job's shards only, not its reused answers.
   */
  invalid: number;
  /** The reused results, summarised (their cost is the money not spent again). */
  summary: ResultsSummary;
}

/**
 * Streams a (validated) request file: each request whose params already have a succeeded result
 * in `index` gets that result, with this request's custom_id, in `dir/reused.jsonl` (and the
 * request in `dir/reused-requests.jsonl`); every other line goes to `dir/to-send.jsonl` (or the
 * `paths` given).
 * Memory: one line at a time, beside the index.
 */
export async function applyReuse(
  input: string,
  dir: string,
  index: ReuseIndex,
  paths: { toSend: string; reusedRequests: string; reusedResults: string } = {
    toSend: join(dir, TO_SEND),
    reusedRequests: join(dir, REUSED_REQUESTS),
    reusedResults: join(dir, REUSED_RESULTS),
  },
): Promise<ReuseOutcome> {
  const send = lineFile(paths.toSend);
  const reusedRequests = lineFile(paths.reusedRequests);
  const reusedResults = lineFile(paths.reusedResults);
  const summary = new SummaryBuilder();
  let reused = 0;
  let toSend = 0;
  let invalid = 0;
  const specs = OutputSpecs.empty();
  // Each reused answer is parsed, copied and written: more garbage than the request line read, so
  // young garbage is also collected by the bytes of answers handled (see garbagePacer).
  const pace = garbagePacer();
  try {
    for await (const { bytes } of readLines(openSource(input))) {
      if (isBlank(bytes)) continue;
      const request = JSON.parse(decodeUtf8(bytes) ?? 'null') as { custom_id: string; params: unknown };
      const found = index.find(request.params);
      const result = found && { ...found.result, custom_id: request.custom_id };
      const facts = result && resultFacts(result);
      const bad = facts ? specs.checkParams(request.params, facts)?.output_error : undefined;
      if (bad) invalid += 1;
      if (!result || !facts || bad) {
        toSend += 1;
        await send.line(bytes);
        continue;
      }
      reused += 1;
      summary.add(facts);
      await reusedRequests.line(bytes);
      const line = Buffer.from(JSON.stringify(result));
      pace(2 * line.length);
      await reusedResults.line(line);
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
  return { reused, toSend, invalid, summary: summary.build() };
}

/** What {@link prepareReusedSubmit} made: the requests to send, and the reused answers. */
export interface ReusedSubmit extends ReuseOutcome {
  /** The request file to submit (the requests not answered yet). */
  toSendFile: string;
  /**
   * Moves the reused results to their lasting place beside the input: `INPUT.reused-<batch id>.jsonl`
   * (`INPUT.reused.jsonl` when no batch was made); returns that path.
   */
  keep(batchId?: string): string;
  /** Removes the working files (what `keep` moved stays). */
  cleanup(): Promise<void>;
}

/**
 * `submit --reuse`: splits a (validated) request file, in a working folder beside it, into the
 * requests to send and the answers reused for the others (see {@link applyReuse}).
 */
export async function prepareReusedSubmit(input: string, index: ReuseIndex): Promise<ReusedSubmit> {
  const work = await mkdtemp(join(dirname(input), `.${basename(input)}.reuse-`));
  const cleanup = () => rm(work, { recursive: true, force: true });
  try {
    const outcome = await applyReuse(input, work, index);
    return {
      ...outcome,
      toSendFile: join(work, TO_SEND),
      keep(batchId?: string) {
        const target = `${input}.reused${batchId ? `-${batchId}` : ''}.jsonl`;
        renameSync(join(work, REUSED_RESULTS), target);
        return target;
      },
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
