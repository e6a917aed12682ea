import { backoff } from '../api/retry.js';

/**
 * How often to poll a batch, from the batch's age (not the watcher's): most batches end within
 * the hour, so poll often while one is young and rarely once it is old.
 */

const MINUTE = 60_000;

/** Adaptive poll interval for a batch `ageMs` old: 10 s up to 5 minutes, 60 s up to an hour, 300 s after. */
export function pollInterval(ageMs: number): number {
  if (ageMs < 5 * MINUTE) return 10_000;
  if (ageMs < 60 * MINUTE) return 60_000;
  return 300_000;
}

/**
 * When to poll next for a set of running batches: the shortest interval any of them needs,
 * or the fixed interval when one is given. Unknown ages (not yet seen) count as new.
 */
export function nextPollDelay(agesMs: Array<number | undefined>, fixedMs?: number): number {
  if (fixedMs !== undefined) return fixedMs;
  if (agesMs.length === 0) return 10_000;
  return Math.min(...agesMs.map((age) => pollInterval(age ?? 0)));
}

/** Backoff after a failed poll: 2 s, 4 s, 8 s … capped at `capMs` (and never beyond the next regular poll). */
export function retryDelay(failures: number, capMs: number): number {
  return backoff(failures, 2000, capMs);
}
