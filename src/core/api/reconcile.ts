/**
 * Finding the batch a create made when the create's answer was lost. The API takes no
 * idempotency key, so the only evidence is the list: a batch created since the create was sent,
 * with the same number of requests.
 */
import { totalRequests } from './batches.js';
import type { BatchClient } from './client.js';
import { READ_TIMEOUT_MS } from './retry.js';
import type { MessageBatch } from './types.js';

/**
 * Margin before the send time. The local clock is mapped to the server's with the list's `Date`
 * header, taken at its lowest (the header is truncated to the second), so the window may open
 * up to a second earlier than needed, never later: a batch made in that second with the same
 * request count would also be a candidate (see the docs).
 */
export const WINDOW_MARGIN_MS = 250;

/** What a look at the list found. */
export interface ReconcileFinding {
  /** Batches created since `sentAt` (server time, margin included) with the expected request count. */
  candidates: MessageBatch[];
  /** The start of the window, in server time (ms since the epoch). */
  since: number;
}

/** Options for {@link findCreatedBatches}. */
export interface ReconcileOptions {
  signal?: AbortSignal | undefined;
  /** SDK retries for the list call (default: the client's). */
  maxRetries?: number;
  timeoutMs?: number;
  /** Ids that are known not to be this create's (e.g. seen before it). */
  exclude?: ReadonlySet<string>;
}

/**
 * Lists the newest batches (up to 1,000, stopping at the first one older than the window) and
 * returns those created at or after `sentAt` (the local time the first create was sent) with
 * `requests` requests. The local clock is mapped to the API's with the `Date` header of the
 * list's answer, so a skewed clock does not widen or shift the window.
 */
export async function findCreatedBatches(
  client: BatchClient,
  requests: number,
  sentAt: number,
  options: ReconcileOptions = {},
): Promise<ReconcileFinding> {
  const { data: page, response } = await client.sdk.messages.batches
    .list(
      { limit: 1000 },
      {
        signal: options.signal,
        timeout: options.timeoutMs ?? READ_TIMEOUT_MS,
        ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
      },
    )
    .withResponse();
  const received = Date.now();
  const serverDate = Date.parse(response.headers.get('date') ?? '');
  // The Date header is truncated to the second: the server's clock is in [date, date + 1 s).
  const offset = Number.isNaN(serverDate) ? 0 : serverDate - received;
  const since = sentAt + offset - WINDOW_MARGIN_MS;
  const candidates = page.data.filter(
    (b) => Date.parse(b.created_at) >= since && totalRequests(b) === requests && !options.exclude?.has(b.id),
  );
  return { candidates, since };
}
