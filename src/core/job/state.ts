/** What a job holds and where it stands, read from its manifest (and refreshed from the API). */
import type { BatchClient } from '../api/client.js';
import type { MessageBatch } from '../api/types.js';
import { BatchStateError } from '../errors.js';
import type { JoinSource } from '../join/join.js';
import { fetchBatches } from '../monitor/monitor.js';
import { latestAttempt, type Manifest, shardCounts, writeManifest } from './manifest.js';
import { jobComplete } from './run.js';

/** A job's state in one word: `done` (every shard has results), `ended`, `running` or `pending`. */
export type JobState = 'done' | 'ended' | 'running' | 'pending';

/** Counts over every shard, each custom_id counted from its latest attempt. */
export interface JobTotals {
  requests: number;
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** Combined counts over every shard, each custom_id counted from its latest attempt. */
export function jobTotals(manifest: Manifest): JobTotals {
  const totals = { requests: 0, processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  // Reused answers are succeeded results the job did not send again.
  totals.requests += manifest.reused?.requests ?? 0;
  totals.succeeded += manifest.reused?.requests ?? 0;
  for (const shard of manifest.shards) {
    totals.requests += shard.requests;
    const counts = shardCounts(shard);
    if (counts) {
      for (const key of ['processing', 'succeeded', 'errored', 'canceled', 'expired'] as const)
        totals[key] += counts[key];
    }
  }
  return totals;
}

/** The state of a job in one word. */
export function jobState(manifest: Manifest): JobState {
  if (jobComplete(manifest)) return 'done';
  const latest = manifest.shards.map(latestAttempt);
  if (latest.every((a) => a?.status === 'ended')) return 'ended';
  if (latest.some((a) => a?.batch_id)) return 'running';
  return 'pending';
}

/** Throws a `state` error unless every shard of the job has its results. */
export function assertJobComplete(manifest: Manifest, dir: string): void {
  if (jobComplete(manifest)) return;
  throw new BatchStateError(
    `Job ${manifest.job_id} has not finished: some shards have no results yet`,
    manifest.job_id,
    {
      kind: 'state',
      hint: `continue it with: claude-batch run ${manifest.input.path}${dir ? ` --state ${dir}` : ''}`,
    },
  );
}

/**
 * Refreshes the statuses of a job's unfinished batches from the API (one list request for many)
 * and writes the manifest. Nothing is asked when every batch has ended.
 */
export async function refreshJob(
  client: BatchClient | (() => Promise<BatchClient>),
  dir: string,
  manifest: Manifest,
  signal?: AbortSignal,
): Promise<void> {
  const running = manifest.shards
    .flatMap((s) => s.attempts)
    .filter((a) => a.batch_id && a.status !== 'ended');
  if (running.length === 0) return;
  const api = typeof client === 'function' ? await client() : client;
  const { found } = await fetchBatches(
    api,
    running.map((a) => a.batch_id as string),
    new Map(),
    signal,
  );
  for (const a of running) {
    const b = found.get(a.batch_id as string) as MessageBatch;
    a.status = b.processing_status;
    a.request_counts = b.request_counts;
  }
  writeManifest(dir, manifest);
}

/** How to read a job's input back the way the job built it (for a join). */
export interface InputReading {
  source?: JoinSource;
  delimiter?: string;
  splitBy?: string;
}

/**
 * For a job made by `run <source>`: how its input was read (source, delimiter, split), with any
 * choice the caller gives taking precedence.
 */
export function inputReadingOf(manifest: Manifest, given: InputReading = {}): InputReading {
  const built = manifest.options;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const source = str(built.source);
  const builtSource: JoinSource | undefined =
    source === 'csv' || source === 'text'
      ? source
      : source === 'json' && built.jsonl === true
        ? 'jsonl'
        : undefined;
  const out: InputReading = {};
  const delimiter = given.delimiter ?? str(built.delimiter);
  const splitBy = given.splitBy ?? str(built.splitBy);
  const chosen = given.source ?? builtSource;
  if (delimiter !== undefined && (chosen ?? 'csv') === 'csv') out.delimiter = delimiter;
  if (splitBy !== undefined && chosen === 'text') out.splitBy = splitBy;
  if (chosen !== undefined) out.source = chosen;
  return out;
}

/** The input as the user gave it: the build source's file for `run <source>`, else the request file. */
export function jobInputOf(manifest: Manifest): string {
  const source = manifest.options.input;
  return typeof source === 'string' ? source : manifest.input.path;
}
