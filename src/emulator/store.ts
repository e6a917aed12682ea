import type { MessageBatch } from '../core/api/types.js';
import { BATCH_EXPIRY_MS } from '../core/requests/limits.js';
import { resultLine, type StoredRequest, spoilOutput, storeRequest } from './answers.js';
import type { ResultFault } from './faults.js';
import { randomId, timestamp } from './http.js';

type Outcome = 'succeeded' | 'errored' | 'expired' | 'canceled';

/** One batch as the emulator holds it. State is derived from the clock, never stored. */
interface BatchRecord {
  id: string;
  seq: number;
  createdAt: number;
  processingMs: number;
  cancelAt?: number;
  requests: StoredRequest[];
}

/** How the store behaves. */
export interface StoreOptions {
  now: () => number;
  /** How long a batch takes from create to end. */
  processingMs: number;
  /** How long `canceling` lasts before the batch ends. */
  cancelMs: number;
  /** Characters of text in each answer (default: a short sentence). */
  answerSize?: number | undefined;
  /** The minimum cacheable prefix in tokens, for every model (default: `MIN_CACHEABLE_TOKENS` by model). */
  minCacheTokens?: number | undefined;
  /** The models served: a request for another comes back errored `not_found_error` (default: any). */
  models?: ReadonlySet<string> | undefined;
  /** A fault to impose on a request that would succeed (fault injection), asked once per request. */
  resultFault?: ((customId: string) => ResultFault | undefined) | undefined;
}

/** The emulator's batches, kept in memory. */
export class BatchStore {
  private batches = new Map<string, BatchRecord>();
  private seq = 0;

  constructor(private readonly options: StoreOptions) {}

  /** Creates a batch from checked requests. */
  create(
    requests: Array<{ custom_id: string; params: Record<string, unknown> }>,
    apiVersion: string,
  ): BatchRecord {
    const cached = new Set<string>();
    const record: BatchRecord = {
      id: randomId('msgbatch_'),
      seq: this.seq++,
      createdAt: this.options.now(),
      processingMs: this.options.processingMs,
      requests: requests.map((r) => {
        const stored = storeRequest(r, apiVersion, cached, this.options.minCacheTokens, this.options.models);
        const fault = this.options.resultFault?.(r.custom_id);
        if (!fault || stored.outcome !== 'succeeded') return stored;
        if (fault.outcome !== 'succeeded') return { ...stored, ...fault };
        // invalid-output: only a structured answer can break its schema.
        return stored.jsonOutput === undefined
          ? stored
          : { ...stored, jsonOutput: spoilOutput(stored.jsonOutput) };
      }),
    };
    this.batches.set(record.id, record);
    return record;
  }

  get(id: string): BatchRecord | undefined {
    return this.batches.get(id);
  }

  /** When the batch ends (or ended): at the end of processing, or when a cancel completes. */
  private endsAt(b: BatchRecord): number {
    const natural = b.createdAt + b.processingMs;
    return b.cancelAt === undefined ? natural : Math.min(natural, b.cancelAt + this.options.cancelMs);
  }

  private ended(b: BatchRecord): boolean {
    return this.options.now() >= this.endsAt(b);
  }

  /** The fate of request `i` once the batch has ended: requests not done when a cancel began are canceled. */
  private outcome(b: BatchRecord, i: number): Outcome {
    const r = b.requests[i] as StoredRequest;
    if (b.cancelAt !== undefined) {
      const doneAt = b.createdAt + (b.processingMs * (i + 1)) / b.requests.length;
      if (doneAt > b.cancelAt) return 'canceled';
    }
    return r.outcome;
  }

  /** The batch as the API shows it. `baseUrl` is where its results can be fetched. */
  view(b: BatchRecord, baseUrl: string): MessageBatch {
    const ended = this.ended(b);
    const counts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    if (ended) {
      for (let i = 0; i < b.requests.length; i += 1) counts[this.outcome(b, i)] += 1;
    } else {
      counts.processing = b.requests.length;
    }
    return {
      id: b.id,
      type: 'message_batch',
      processing_status: ended ? 'ended' : b.cancelAt !== undefined ? 'canceling' : 'in_progress',
      request_counts: counts,
      ended_at: ended ? timestamp(this.endsAt(b)) : null,
      created_at: timestamp(b.createdAt),
      expires_at: timestamp(b.createdAt + BATCH_EXPIRY_MS),
      archived_at: null,
      cancel_initiated_at: b.cancelAt === undefined ? null : timestamp(b.cancelAt),
      results_url: ended ? `${baseUrl}/v1/messages/batches/${b.id}/results` : null,
    };
  }

  /** Starts cancelling; a batch that has ended, or is already cancelling, is left as it is. */
  cancel(b: BatchRecord): void {
    if (b.cancelAt === undefined && !this.ended(b)) b.cancelAt = this.options.now();
  }

  /** Deletes an ended batch; returns false (and keeps it) while it is still processing. */
  delete(b: BatchRecord): boolean {
    if (!this.ended(b)) return false;
    this.batches.delete(b.id);
    return true;
  }

  /** Requests of unfinished batches (the processing queue), and how long until the next of them ends. */
  queue(): { queued: number; nextEndMs: number | undefined } {
    let queued = 0;
    let next: number | undefined;
    const now = this.options.now();
    for (const b of this.batches.values()) {
      if (this.ended(b)) continue;
      queued += b.requests.length;
      const left = this.endsAt(b) - now;
      next = next === undefined ? left : Math.min(next, left);
    }
    return { queued, nextEndMs: next };
  }

  isEnded(b: BatchRecord): boolean {
    return this.ended(b);
  }

  /** Every batch, newest first. */
  newestFirst(): BatchRecord[] {
    return [...this.batches.values()].sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq);
  }

  /**
   * The result lines of an ended batch. Like the API, the order is not the request order:
   * even positions first, then odd ones, so clients cannot come to rely on it. `beta`: in the
   * beta shapes (for a beta call).
   */
  *resultLines(b: BatchRecord, beta = false): Generator<string> {
    const n = b.requests.length;
    for (const start of [0, 1]) {
      for (let i = start; i < n; i += 2) {
        yield resultLine(
          b.requests[i] as StoredRequest,
          this.outcome(b, i),
          b.id,
          this.options.answerSize,
          beta,
        );
      }
    }
  }
}

export type { BatchRecord };
