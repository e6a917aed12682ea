import { join } from 'node:path';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';
import { openSource } from '../requests/file.js';
import type { ResultFacts } from '../results/line.js';
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
}

/** Whether a result should be sent again under the rules. */
export function shouldRetry(f: ResultFacts, rules: RetryRules): boolean {
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
  let requests = 0;
  let shards = 0;
  let exhausted = 0;
  for (const shard of manifest.shards) {
    const latest = latestAttempt(shard);
    if (!latest?.results_file) continue;
    const ids = new Set<string>();
    const replaces = { errored: 0, expired: 0, canceled: 0 };
    await visitLatestResults(dir, shard, (facts) => {
      if (!shouldRetry(facts, rules)) return;
      ids.add(facts.custom_id);
      retried.add(facts);
      if (facts.type === 'errored' || facts.type === 'expired' || facts.type === 'canceled')
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
