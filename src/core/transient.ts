import { APIError } from '@anthropic-ai/sdk/core/error';

/**
 * True when an error (or the SDK error it wraps) is worth waiting out: no answer from the
 * network, a timeout, 408/409, a rate limit (429), or a server failure (5xx, 529).
 */
export function isTransient(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth += 1) {
    if (e instanceof APIError) {
      const s = e.status;
      return s === undefined || s === 408 || s === 409 || s === 429 || s >= 500;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
