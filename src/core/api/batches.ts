import { BatchStateError, UsageError } from '../errors.js';
import type { BatchClient } from './client.js';
import { callApi } from './errors.js';
import { isNotFound, READ_TIMEOUT_MS, retryDelayFor, sleep } from './retry.js';
import type { DeletedMessageBatch, MessageBatch } from './types.js';

/** Options every API call takes. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/**
 * How long after its creation a batch that answers 404 is waited for: the API can briefly not
 * know a batch it has just created. Past this, a 404 is final.
 */
export const NOT_FOUND_GRACE_MS = 60_000;

/** Options of {@link getBatch}. */
export interface GetBatchOptions extends CallOptions {
  /**
   * How long after creation a 404 is retried (default {@link NOT_FOUND_GRACE_MS}); 0 makes a
   * 404 final at once. On a 404, the newest batches are listed once to learn whether the batch
   * exists and when it was created; an unknown id costs that one extra request.
   */
  notFoundGraceMs?: number;
  /** First wait between tries after a 404 (doubling, at most 2 s, less up to a quarter of jitter; default 250 ms). */
  notFoundDelayMs?: number;
  /** The jitter's source, uniform in [0, 1) (default Math.random). */
  random?: () => number;
}

const ctx = (client: BatchClient, batchId?: string) => ({
  baseUrl: client.baseUrl,
  ...(batchId === undefined ? {} : { batchId }),
});

/**
 * Refuses what cannot be a batch id before it reaches a URL: an empty argument (a script whose
 * `id=$(claude-batch submit …)` failed) or characters no id has.
 */
function badId(id: string): UsageError | undefined {
  try {
    assertBatchId(id);
    return undefined;
  } catch (error) {
    return error as UsageError;
  }
}

/** Throws a usage error when `id` cannot be a batch id (see {@link badId}). */
export function assertBatchId(id: string): void {
  if (id.trim() === '') {
    throw new UsageError(
      'no batch id given (the argument is empty)',
      'did the command that set it fail? list batches with: claude-batch list',
    );
  }
  if (!/^[A-Za-z0-9_-]+$/.test(id)) {
    throw new UsageError(
      `${JSON.stringify(id)} is not a batch id`,
      'batch ids look like msgbatch_01…: claude-batch list',
    );
  }
}

/**
 * Fetches one batch. A 404 for a batch created less than a minute ago (it shows in the list)
 * is retried until the API knows it; otherwise a 404 becomes `Batch not found: ID` (exit 3).
 * 429, 5xx and network failures are retried by the SDK.
 */
export function getBatch(
  client: BatchClient,
  id: string,
  options: GetBatchOptions = {},
): Promise<MessageBatch> {
  const refused = badId(id);
  if (refused) return Promise.reject(refused);
  const grace = options.notFoundGraceMs ?? NOT_FOUND_GRACE_MS;
  const retrieve = () =>
    client.sdk.messages.batches.retrieve(id, {}, { signal: options.signal, timeout: READ_TIMEOUT_MS });
  return callApi(ctx(client, id), async () => {
    let createdAt: number | undefined;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await retrieve();
      } catch (error) {
        if (!isNotFound(error) || grace <= 0) throw error;
        if (createdAt === undefined) {
          const listed = await recentBatch(client, id, options.signal);
          if (!listed) throw error;
          createdAt = Date.parse(listed.created_at);
        }
        const left = createdAt + grace - Date.now();
        if (!(left > 0)) throw error;
        const wait = retryDelayFor(error, attempt, {
          baseMs: options.notFoundDelayMs ?? 250,
          maxMs: 2000,
          retryIf: isNotFound,
          ...(options.random ? { random: options.random } : {}),
        });
        await sleep(Math.min(left, wait ?? 0), options.signal);
      }
    }
  });
}

/** The batch with this id among the 100 newest, if it is there. */
async function recentBatch(
  client: BatchClient,
  id: string,
  signal: AbortSignal | undefined,
): Promise<MessageBatch | undefined> {
  const page = await client.sdk.messages.batches.list({ limit: 100 }, { signal, timeout: READ_TIMEOUT_MS });
  return page.data.find((b) => b.id === id);
}

/** One page of the batch list plus whether there is more. */
export interface BatchList {
  batches: MessageBatch[];
  hasMore: boolean;
}

/**
 * Lists batches newest first. `limit` caps how many are returned (the SDK's own iterator would
 * walk every page); `all` walks every page. Pages are fetched at up to 1,000 a request.
 */
export async function listBatches(
  client: BatchClient,
  options: CallOptions & {
    limit?: number;
    all?: boolean;
    afterId?: string;
    /** Only these batches are returned (and counted against `limit`). */
    keep?: (batch: MessageBatch) => boolean;
    /** Stop walking the pages once this holds for the batches kept so far. */
    enough?: (kept: MessageBatch[]) => boolean;
  } = {},
): Promise<BatchList> {
  const wanted = options.all ? Number.POSITIVE_INFINITY : (options.limit ?? 20);
  const batches: MessageBatch[] = [];
  let afterId = options.afterId;
  for (;;) {
    const pageSize = options.keep ? 1000 : Math.min(1000, Math.max(1, wanted - batches.length));
    const page = await callApi(ctx(client), () =>
      client.sdk.messages.batches.list(
        { limit: pageSize, ...(afterId ? { after_id: afterId } : {}) },
        { signal: options.signal, timeout: READ_TIMEOUT_MS },
      ),
    );
    const data = options.keep ? page.data.filter(options.keep) : page.data;
    const taken = data.slice(0, wanted - batches.length);
    batches.push(...taken);
    const more = page.has_more && page.last_id !== null && !options.enough?.(batches);
    if (batches.length >= wanted || !more) {
      return { batches, hasMore: more || data.length > taken.length };
    }
    afterId = page.last_id ?? undefined;
  }
}

/** Starts cancelling a batch; returns it (usually `canceling`). */
export function cancelBatch(
  client: BatchClient,
  id: string,
  options: CallOptions = {},
): Promise<MessageBatch> {
  const refused = badId(id);
  if (refused) return Promise.reject(refused);
  return callApi(ctx(client, id), () =>
    client.sdk.messages.batches.cancel(id, {}, { signal: options.signal, timeout: READ_TIMEOUT_MS }),
  );
}

/**
 * Deletes a batch that has ended. One still processing is refused before the call, with the
 * command to cancel it first.
 */
export async function deleteBatch(
  client: BatchClient,
  id: string,
  options: CallOptions = {},
): Promise<DeletedMessageBatch> {
  const batch = await getBatch(client, id, options);
  if (batch.processing_status !== 'ended') {
    throw new BatchStateError(
      `Batch ${id} is ${batch.processing_status}: only an ended batch can be deleted`,
      id,
      {
        hint: `cancel it first: claude-batch cancel ${id}`,
        status: batch.processing_status,
      },
    );
  }
  return callApi(ctx(client, id), () =>
    client.sdk.messages.batches.delete(id, {}, { signal: options.signal, timeout: READ_TIMEOUT_MS }),
  );
}

/** The total number of requests in a batch. */
export function totalRequests(batch: Pick<MessageBatch, 'request_counts'>): number {
  const c = batch.request_counts;
  return c.processing + c.succeeded + c.errored + c.canceled + c.expired;
}
