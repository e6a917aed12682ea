/** Small building blocks for retrying by hand what the SDK does not retry for us. */

import { setTimeout as delay } from 'node:timers/promises';
import { APIError } from '@anthropic-ai/sdk/core/error';
import { causes, InterruptedError } from '../errors.js';

/** The SDK's automatic retries for reads (retrieve, list, cancel, delete, results): 4 tries in all. */
export const READ_RETRIES = 3;

/** How long one read may wait for the API's answer (headers) before it is retried: 60 s. */
export const READ_TIMEOUT_MS = 60_000;

/** Waits `ms`, or rejects with an InterruptedError as soon as the signal is aborted. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw interrupted(signal);
    throw error;
  }
}

function interrupted(signal: AbortSignal | undefined): InterruptedError {
  return signal?.reason instanceof InterruptedError ? signal.reason : new InterruptedError();
}

/** Exponential backoff before jitter: `base`, 2×, 4×… capped at `max`. `attempt` counts from 1. */
export function backoff(attempt: number, base: number, max = 8000): number {
  return Math.min(max, base * 2 ** Math.max(0, attempt - 1));
}

/** The longest wait one timer can hold; the SDK ignores a retry-after beyond it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * How to wait before a retry. The defaults are the SDK's (`calculateDefaultRetryTimeoutMillis`):
 * 500 ms doubling up to 8 s, less up to a quarter of jitter.
 */
export interface RetryPolicy {
  /** First backoff wait, doubling at each attempt (default 500 ms). */
  baseMs?: number;
  /** Cap on the backoff wait (default 8000 ms). */
  maxMs?: number;
  /** Cap on a wait the API asks for with retry-after(-ms) (default {@link MAX_TIMER_MS}). */
  maxAskedMs?: number;
  /**
   * Errors retried whatever the SDK's rules say (e.g. a 404 just after a create, a results
   * stream cut short). The SDK's rules decide for every other error.
   */
  retryIf?: (error: unknown) => boolean;
  /** Uniform in [0, 1): the jitter's source (default Math.random; tests inject their own). */
  random?: () => number;
  /** The clock an HTTP-date retry-after is read against (default Date.now). */
  now?: () => number;
}

/** The jittered backoff wait for an attempt (from 1): the nominal wait less up to 25 %, as the SDK does. */
export function backoffDelay(attempt: number, policy: RetryPolicy = {}): number {
  const nominal = backoff(attempt, policy.baseMs ?? 500, policy.maxMs ?? 8000);
  const jitter = 1 - (policy.random ?? Math.random)() * 0.25;
  return nominal * jitter;
}

/**
 * The wait an answer's headers ask for, read as the SDK reads them (`retryRequest`):
 * `retry-after-ms` first, then `retry-after` in seconds or as an HTTP date. Undefined when
 * there is none, or when it is not a positive wait one timer can hold (the SDK then backs off).
 */
export function askedDelay(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  let ms: number | undefined;
  const msHeader = headers?.get('retry-after-ms');
  if (msHeader) {
    const value = Number.parseFloat(msHeader);
    if (!Number.isNaN(value)) ms = value;
  }
  const header = headers?.get('retry-after');
  if (header && !ms) {
    const seconds = Number.parseFloat(header);
    ms = Number.isNaN(seconds) ? Date.parse(header) - now : seconds * 1000;
  }
  return ms !== undefined && ms > 0 && ms <= MAX_TIMER_MS ? ms : undefined;
}

/**
 * Whether the SDK would retry this failure (`shouldRetry`): as the API's `x-should-retry`
 * header says when it says; otherwise no answer (connection refused, reset, timeout), 408,
 * 409, 429 and 5xx are retried. An abort and an error that is not the SDK's are not.
 */
export function shouldRetry(error: unknown): boolean {
  const api = apiErrorOf(error);
  if (!api || api.name === 'APIUserAbortError') return false;
  const header = api.headers?.get('x-should-retry');
  if (header === 'true') return true;
  if (header === 'false') return false;
  return isTransient(api);
}

/**
 * The one retry rule: how long to wait before retrying after `error` at `attempt` (from 1),
 * or undefined when it must not be retried. The SDK's rules: not retried when
 * {@link shouldRetry} says so (unless `policy.retryIf` takes it); the wait the API asks for
 * ({@link askedDelay}, capped at `maxAskedMs`, no jitter); otherwise the jittered backoff.
 */
export function retryDelayFor(error: unknown, attempt: number, policy: RetryPolicy = {}): number | undefined {
  if (!policy.retryIf?.(error) && !shouldRetry(error)) return undefined;
  const asked = askedDelay(apiErrorOf(error)?.headers, (policy.now ?? Date.now)());
  if (asked !== undefined) return Math.min(asked, policy.maxAskedMs ?? MAX_TIMER_MS);
  return backoffDelay(attempt, policy);
}

/** The SDK error in an error's cause chain (CliErrors made from SDK errors keep it as their cause). */
export function apiErrorOf(error: unknown): APIError | undefined {
  for (const e of causes(error)) if (e instanceof APIError) return e;
  return undefined;
}

/**
 * True when the outcome of a call is unknown or the failure is temporary: no answer (connection
 * refused, reset, timeout), 408, 409, 429, or a server error (5xx, 529).
 */
export function isTransient(error: unknown): boolean {
  const api = apiErrorOf(error);
  if (!api || api.name === 'APIUserAbortError') return false;
  const s = api.status;
  return s === undefined || s === 408 || s === 409 || s === 429 || s >= 500;
}

/** True for a 404 from the API. */
export function isNotFound(error: unknown): boolean {
  return apiErrorOf(error)?.status === 404;
}

/** A short reason for a failure, for "retrying because…" messages. */
export function describeFailure(error: unknown): string {
  const api = apiErrorOf(error);
  if (api?.status !== undefined) return `${api.status} ${api.type ?? 'error'}`;
  let deepest: Error | undefined;
  for (const e of causes(api ?? error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z_]+|UND_ERR_[A-Z_]+)$/.test(code))
      return e.message.includes(code) ? e.message : `${e.message} (${code})`;
    deepest = e;
  }
  return deepest?.message ?? (error instanceof Error ? error.message : String(error));
}
