/** Sending failed requests again: for a whole job (new attempts per shard) or for one batch. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchClient } from '../api/client.js';
import type { MessageBatch } from '../api/types.js';
import { UsageError } from '../errors.js';
import { openAtomicFile } from '../fs/atomic-file.js';
import { decodeUtf8, readLines } from '../fs/lines.js';
import { assertReadableFile } from '../fs/readable.js';
import { openSource } from '../requests/file.js';
import { downloadResults } from '../results/download.js';
import { resultFacts } from '../results/line.js';
import { type ResultsSummary, SummaryBuilder } from '../results/summary.js';
import { submitRequests } from '../submit/submit.js';
import { type Manifest, writeManifest } from './manifest.js';
import { assertResultsTarget, writeJobResults } from './outputs.js';
import {
  extractRequests,
  planRetries,
  RETRYABLE_ERRORS,
  type RetryPlan,
  type RetryRules,
  shouldRetry,
  structuredSpecs,
} from './retry.js';
import { finishAttempts, type JobOptions, jobComplete, submitPending } from './run.js';

/** The rules from what a user chose: error types (default {@link RETRYABLE_ERRORS}), expired, canceled. */
export function retryRules(choice: {
  errorTypes?: string[];
  expired?: boolean;
  canceled?: boolean;
  invalidOutput?: boolean;
}): RetryRules {
  return {
    errorTypes: new Set(choice.errorTypes ?? RETRYABLE_ERRORS),
    expired: choice.expired === true,
    canceled: choice.canceled === true,
    invalidOutput: choice.invalidOutput === true,
  };
}

/** What {@link retryJob} did. */
export interface RetryJobResult {
  plan: RetryPlan;
  /** The merged results, when anything was retried. */
  summary?: ResultsSummary;
  /** The files that now hold the merged results. */
  files?: string[];
}

/**
 * `retry JOB`: waits for any unfinished batch of the job (what failed is known only once every
 * batch has ended and its results are down), adds an attempt to each shard with retryable
 * results (at most `maxAttempts` per shard), submits, waits, downloads, and merges every
 * custom_id's latest result into `output()`. A retry whose create was never sent is taken back,
 * so that the job does not stay stuck on it.
 */
export async function retryJob(
  client: BatchClient,
  dir: string,
  manifest: Manifest,
  options: JobOptions & {
    rules: RetryRules;
    maxAttempts: number;
    /** A `--results` file for the merged results, remembered by the job (see {@link writeJobResults}). */
    results?: string | undefined;
    /** Replace `results` when it exists and is not already the job's. */
    force?: boolean | undefined;
    /** Told before the wait for unfinished batches. */
    onWaiting?: () => void;
    /** Told the plan before anything is sent. */
    onPlanned?: (plan: RetryPlan) => void;
  },
): Promise<RetryJobResult> {
  // One deadline for every wait of the retry (see JobOptions.startedAt).
  options = { ...options, startedAt: options.startedAt ?? Date.now() };
  if (options.results !== undefined)
    await assertResultsTarget(dir, manifest, options.results, options.force === true);
  if (!jobComplete(manifest)) {
    options.onWaiting?.();
    await submitPending(client, dir, manifest, options);
    await finishAttempts(client, dir, manifest, options);
  }
  const plan = await planRetries(dir, manifest, options.rules, options.maxAttempts);
  writeManifest(dir, manifest);
  if (plan.requests === 0) return { plan };
  options.onPlanned?.(plan);
  try {
    await submitPending(client, dir, manifest, options);
  } catch (error) {
    for (const shard of manifest.shards) {
      const last = shard.attempts.at(-1);
      if (last && last.number > 1 && !last.batch_id && !last.intent_at) shard.attempts.pop();
    }
    writeManifest(dir, manifest);
    throw error;
  }
  await finishAttempts(client, dir, manifest, options);
  const { summary, files } = await writeJobResults(dir, manifest, {
    add: options.results,
    force: options.force,
  });
  return { plan, summary, files };
}

/** What {@link retryBatch} did. */
export interface RetryBatchResult {
  /** The new batch; absent when nothing matched the rules. */
  batch?: MessageBatch;
  /** Requests sent again. */
  requests: number;
  /** The results that are being retried, summarised. */
  retried: ResultsSummary;
}

/**
 * `retry BATCH_ID --requests FILE`: downloads the batch's results, picks the ones the rules
 * retry, copies their requests from the file the batch was made from, and submits them as a new
 * batch. Refuses when the file does not hold every one of them.
 */
export async function retryBatch(
  client: BatchClient,
  id: string,
  requestFile: string,
  rules: RetryRules,
  options: {
    signal?: AbortSignal;
    onCreated?: (batch: MessageBatch) => void;
    /** The betas the batch was created with: the new batch is sent with them too. */
    betas?: readonly string[] | undefined;
  } = {},
): Promise<RetryBatchResult> {
  await assertReadableFile(requestFile);
  const specs = rules.invalidOutput ? await structuredSpecs([requestFile], requestFile) : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'claude-batch-retry-'));
  try {
    const resultsPath = join(dir, 'results.jsonl');
    await downloadResults(client, id, await openAtomicFile(resultsPath), {
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const ids = new Set<string>();
    const retried = new SummaryBuilder();
    if (specs) retried.countOutputs();
    for await (const { bytes } of readLines(openSource(resultsPath))) {
      if (bytes.length === 0) continue;
      const facts = resultFacts(JSON.parse(decodeUtf8(bytes) ?? 'null'));
      if (shouldRetry(facts, rules, specs)) {
        ids.add(facts.custom_id);
        retried.add(facts);
        retried.addOutput(facts, specs?.check(facts));
      }
    }
    if (ids.size === 0) return { requests: 0, retried: retried.build() };
    const file = join(dir, 'retry.jsonl');
    const copied = await extractRequests(requestFile, ids, file);
    if (copied !== ids.size) {
      throw new UsageError(
        `${requestFile} holds ${copied} of the ${ids.size} requests to retry`,
        'give the request file the batch was made from',
      );
    }
    const { batch } = await submitRequests(
      client,
      { path: file, name: 'retry requests' },
      {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onCreated ? { onCreated: options.onCreated } : {}),
        betas: options.betas,
      },
    );
    return { ...(batch ? { batch } : {}), requests: copied, retried: retried.build() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
