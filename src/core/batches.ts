import { callApi } from './api-errors.js';
import type { BatchClient } from './client.js';
import { BatchStateError } from './errors.js';
import type { DeletedMessageBatch, MessageBatch } from './types.js';

/** Options every API call takes. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}

const ctx = (client: BatchClient, batchId?: string) => ({
  baseUrl: client.baseUrl,
  ...(batchId === undefined ? {} : { batchId }),
});

/** Fetches one batch. A 404 becomes `Batch not found: ID` (exit 3). */
export function getBatch(client: BatchClient, id: string, options: CallOptions = {}): Promise<MessageBatch> {
  return callApi(ctx(client, id), () =>
    client.sdk.messages.batches.retrieve(id, {}, { signal: options.signal }),
  );
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
  options: CallOptions & { limit?: number; all?: boolean; afterId?: string } = {},
): Promise<BatchList> {
  const wanted = options.all ? Number.POSITIVE_INFINITY : (options.limit ?? 20);
  const batches: MessageBatch[] = [];
  let afterId = options.afterId;
  for (;;) {
    const pageSize = Math.min(1000, Math.max(1, wanted - batches.length));
    const page = await callApi(ctx(client), () =>
      client.sdk.messages.batches.list(
        { limit: pageSize, ...(afterId ? { after_id: afterId } : {}) },
        { signal: options.signal },
      ),
    );
    const taken = page.data.slice(0, wanted - batches.length);
    batches.push(...taken);
    const more = page.has_more && page.last_id !== null;
    if (batches.length >= wanted || !more) {
      return { batches, hasMore: more || page.data.length > taken.length };
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
  return callApi(ctx(client, id), () =>
    client.sdk.messages.batches.cancel(id, {}, { signal: options.signal }),
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
    client.sdk.messages.batches.delete(id, {}, { signal: options.signal }),
  );
}

/** The total number of requests in a batch. */
export function totalRequests(batch: Pick<MessageBatch, 'request_counts'>): number {
  const c = batch.request_counts;
  return c.processing + c.succeeded + c.errored + c.canceled + c.expired;
}
