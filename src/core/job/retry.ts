import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';
import { openSource } from '../requests/file.js';
import type { ResultFacts } from '../results/line.js';
import { OutputSpecs } from '../results/output.js';
import { type ResultsSummary, SummaryBuilder } from '../results/summary.js';
import { visitLatestResults } from './latest.js';
import { latestAttempt, type Manifest, type Shard } from './manifest.js';
import { lineFile } from './split.js';

export { RETRYABLE_ERRORS } from './defaults.js';

/** Which results to send again. */
export interface RetryRules {
  errorTypes: ReadonlySet<string>;
  expired: boolean;
  canceled: boolean;
  /** Succeeded results whose structured answer is invalid (an `output_error`: cut, not JSON, not matching). */
  invalidOutput?: boolean | undefined;
}

/**
 * Whether a result should be sent again under the rules; `specs` (what the requests asked for)
 * decides whether a succeeded answer is an invalid structured answer.
 */
export function shouldRetry(f: ResultFacts, rules: RetryRules, specs?: OutputSpecs): boolean {
  if (f.type === 'succeeded') return rules.invalidOutput === true && !!specs?.check(f)?.output_error;
  if (f.type === 'errored') return rules.errorTypes.has(f.error_type ?? '');
  if (f.type === 'expired') return rules.expired;
  if (f.type === 'canceled') return rules.canceled;
  return false;
}

/**
 * Copies the requests whose custom_id is in `ids` from a request file to `out`, streaming.
 * Returns how many were copied.
 */
export async function extractRequests(
  requestFile: string,
  ids: ReadonlySet<string>,
  out: string,
): Promise<number> {
  const file = lineFile(out);
  let copied = 0;
  try {
    for await (const { bytes } of readLines(openSource(requestFile))) {
      if (isBlank(bytes)) continue;
      const id = (JSON.parse(decodeUtf8(bytes) ?? '{}') as { custom_id?: string }).custom_id;
      if (id === undefined || !ids.has(id)) continue;
      copied += 1;
      await file.line(bytes);
    }
    await file.commit();
  } catch (error) {
    await file.abort();
    throw error;
  }
  return copied;
}

/**
 * What the requests of `files` asked for, for `--invalid-output`: refused when none asked for a
 * structured answer (nothing could be invalid).
 */
export async function structuredSpecs(files: readonly string[], what: string): Promise<OutputSpecs> {
  const specs = await OutputSpecs.fromRequests(files);
  if (!specs.any) {
    throw new UsageError(
      `--invalid-output: no request of ${what} asked for a structured answer`,
      'it resends answers that do not match their schema: requests built with --schema FILE, or a forced --tool-choice',
    );
  }
  return specs;
}

/** What planning retries found. */
export interface RetryPlan {
  /** Requests that will be sent again. */
  requests: number;
  /** Shards that get a new attempt. */
  shards: number;
  /** Shards with retryable results that already used every attempt allowed. */
  exhausted: number;
  /** The results being retried, summarised (the most common errors in `topErrors`). */
  retried: ResultsSummary;
}

/**
 * Adds an attempt to each shard whose latest results include retryable ones, holding only those
 * requests (copied from the shard's file). Shards whose latest attempt has not ended are left
 * alone; so are shards at `maxAttempts`. The caller writes the manifest and submits.
 */
export async function planRetries(
  dir: string,
  manifest: Manifest,
  rules: RetryRules,
  maxAttempts: number,
): Promise<RetryPlan> {
  const retried = new SummaryBuilder();
  const specs = rules.invalidOutput
    ? await structuredSpecs(
        manifest.shards.map((s) => join(dir, s.file)),
        `job ${manifest.job_id}`,
      )
    : undefined;
  if (specs) retried.countOutputs();
  let requests = 0;
  let shards = 0;
  let exhausted = 0;
  for (const shard of manifest.shards) {
    const latest = latestAttempt(shard);
    if (!latest?.results_file) continue;
    const ids = new Set<string>();
    const replaces = { errored: 0, expired: 0, canceled: 0, succeeded: 0 };
    await visitLatestResults(dir, shard, (facts) => {
      if (!shouldRetry(facts, rules, specs)) return;
      ids.add(facts.custom_id);
      retried.add(facts);
      retried.addOutput(facts, specs?.check(facts));
      // A succeeded answer is resent when its output was invalid (--invalid-output).
      if (
        facts.type === 'errored' ||
        facts.type === 'expired' ||
        facts.type === 'canceled' ||
        facts.type === 'succeeded'
      )
        replaces[facts.type] += 1;
    });
    if (ids.size === 0) continue;
    if (shard.attempts.length >= maxAttempts) {
      exhausted += 1;
      continue;
    }
    const number = shard.attempts.length + 1;
    const file = join('shards', `${baseName(shard)}.attempt-${number}.jsonl`);
    const copied = await extractRequests(join(dir, shard.file), ids, join(dir, file));
    shard.attempts.push({
      number,
      file,
      requests: copied,
      intent_at: '',
      batch_id: null,
      status: 'pending',
      request_counts: null,
      results_file: null,
      replaces,
    });
    requests += copied;
    shards += 1;
  }
  return { requests, shards, exhausted, retried: retried.build() };
}

function baseName(shard: Shard): string {
  return shard.file.replace(/^shards\//, '').replace(/\.jsonl$/, '');
}
