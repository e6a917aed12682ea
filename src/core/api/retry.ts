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

/** Exponential backoff: `base`, 2×, 4×… capped at `max`. `attempt` counts from 1. */
export function backoff(attempt: number, base: number, max = 8000): number {
  return Math.min(max, base * 2 ** Math.max(0, attempt - 1));
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
