import { backoff, type RetryPolicy } from '../api/retry.js';

/**
 * How often to poll a batch, from the batch's age (not the watcher's): most batches end within
 * the hour, so poll often while one is young and rarely once it is old.
 */

const MINUTE = 60_000;

/** The interval for a batch past the last step's age. */
const OLD_BATCH_EVERY_MS = 5 * MINUTE;

/** Adaptive polling, step by step: every `everyMs` while the batch is younger than `untilAgeMs`. */
export const ADAPTIVE_POLLING: ReadonlyArray<{ untilAgeMs: number; everyMs: number }> = [
  { untilAgeMs: 5 * MINUTE, everyMs: 10_000 },
  { untilAgeMs: 60 * MINUTE, everyMs: 60_000 },
  { untilAgeMs: Number.POSITIVE_INFINITY, everyMs: OLD_BATCH_EVERY_MS },
];

/** Adaptive poll interval for a batch `ageMs` old: 10 s up to 5 minutes, 60 s up to an hour, 300 s after. */
export function pollInterval(ageMs: number): number {
  return ADAPTIVE_POLLING.find((step) => ageMs < step.untilAgeMs)?.everyMs ?? OLD_BATCH_EVERY_MS;
}

/**
 * When to poll next for a set of running batches: the shortest interval any of them needs,
 * or the fixed interval when one is given. Unknown ages (not yet seen) count as new.
 */
export function nextPollDelay(agesMs: Array<number | undefined>, fixedMs?: number): number {
  if (fixedMs !== undefined) return fixedMs;
  if (agesMs.length === 0) return pollInterval(0);
  return Math.min(...agesMs.map((age) => pollInterval(age ?? 0)));
}

/** First wait after a failed poll. */
export const POLL_RETRY_BASE_MS = 2000;

/** The longest wait a retry-after may impose on a watch (the longest regular poll interval). */
export const POLL_RETRY_MAX_ASKED_MS = 300_000;

/**
 * The retry policy after a failed poll: 2 s, 4 s, 8 s … capped at `capMs` (the next regular
 * poll), less up to a quarter of jitter; a retry-after from the API is obeyed, up to 5 minutes.
 */
export function retryPolicy(capMs: number): RetryPolicy {
  return { baseMs: POLL_RETRY_BASE_MS, maxMs: capMs, maxAskedMs: POLL_RETRY_MAX_ASKED_MS };
}

/** The nominal backoff after `failures` failed polls, before jitter: 2 s, 4 s, 8 s … capped at `capMs`. */
export function retryDelay(failures: number, capMs: number): number {
  const policy = retryPolicy(capMs);
  return backoff(failures, policy.baseMs ?? POLL_RETRY_BASE_MS, policy.maxMs);
}
