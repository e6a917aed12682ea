import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BatchClient } from '../api/client.js';
import { findCreatedBatches } from '../api/reconcile.js';
import { backoffDelay, sleep } from '../api/retry.js';
import type { MessageBatch } from '../api/types.js';
import { checkBudget } from '../cost/budget.js';
import { type Estimate, estimateCost } from '../cost/estimate.js';
import { BUILT_IN_PRICES, type PriceTable } from '../cost/prices.js';
import { formatDuration } from '../duration.js';
import { TimeoutError } from '../errors.js';
import { bufferedSink, openAtomicFile, type Sink } from '../fs/atomic-file.js';
import { decodeUtf8, readLines } from '../fs/lines.js';
import { monitorBatches, type PollSnapshot } from '../monitor/monitor.js';
import { type BatchOrigin, mapBeside, recordBatch, recordDownload, recordEnded } from '../registry/record.js';
import type { Registry } from '../registry/registry.js';
import { openSource, validateRequests } from '../requests/file.js';
import { requestFileWarnings } from '../requests/warnings.js';
import type { ResultsFormat } from '../results/download.js';
import { downloadResults } from '../results/download.js';
import {
  compactLine,
  flatCsvHeader,
  flatCsvLine,
  flatOutputs,
  type ResultFacts,
  resultFacts,
} from '../results/line.js';
import { OutputSpecs } from '../results/output.js';
import { type ResultsSummary, SummaryBuilder } from '../results/summary.js';
import { applyReuse, REUSED_REQUESTS, REUSED_RESULTS, type ReuseOutcome, TO_SEND } from '../reuse/apply.js';
import type { ReuseIndex } from '../reuse/index.js';
import { type RateLimited, type SentFile, submitRequests } from '../submit/submit.js';
import { DEFAULT_MAX_QUEUED } from './defaults.js';
import { assertSameInput, assertSameOptions, jobIdentity } from './identity.js';
import { visitLatestResults } from './latest.js';
import {
  type Attempt,
  fingerprint,
  jobIdFor,
  jobsRoot,
  latestAttempt,
  type Manifest,
  makeJobDir,
  readManifest,
  type Shard,
  writeManifest,
} from './manifest.js';
import { planShards, splitRequests } from './split.js';

/** How long a job waits for a batch it created that the API does not know yet. */
const JOB_NOT_FOUND_GRACE_MS = 60_000;

/** Something a job did, for the CLI to show. */
export type JobEvent =
  | { kind: 'created'; dir: string; manifest: Manifest }
  | { kind: 'resumed'; dir: string; manifest: Manifest }
  | { kind: 'submitted'; shard: Shard; attempt: Attempt }
  | { kind: 'reconciled'; shard: Shard; attempt: Attempt; found: boolean }
  | { kind: 'poll'; poll: PollSnapshot }
  | { kind: 'downloaded'; shard: Shard; attempt: Attempt; summary: ResultsSummary }
  | { kind: 'reused'; outcome: ReuseOutcome }
  | { kind: 'warning'; message: string }
  /** A shard waits for room in the processing queue (`--max-queued`) before its batch is created. */
  | { kind: 'paced'; shard: Shard; queued: number; maxQueued: number }
  /** The API refused a shard's create with a 429 (nothing created); it is sent again after `waitMs`. */
  | { kind: 'refused'; shard: Shard; refusal: RateLimited; waitMs: number };

/** Options of {@link prepareJob} and {@link runJob}. */
export interface JobOptions {
  cwd: string;
  /** The request file the job sends (for a build source, the file built from it). */
  input: string;
  /** How the input is named in messages (for a build source, the file the user gave). */
  inputName?: string | undefined;
  /** The job folder (default `.claude-batch/jobs/<job-id>` under cwd). */
  stateDir?: string | undefined;
  maxRequests?: number | undefined;
  maxBytes?: number | undefined;
  /** Options that shape the requests (e.g. the build options); a resume with others is refused. */
  options?: Record<string, unknown>;
  intervalMs?: number | undefined;
  /** Give up waiting (exit code 5) this long after `startedAt`: one deadline for every wait of the job. */
  timeoutMs?: number | undefined;
  /**
   * When the job's `timeoutMs` clock started (ms since the epoch). {@link runJob} sets it once, so
   * the pacing waits, the 429 waits and the final wait share one deadline (default: when
   * {@link submitPending} or {@link finishAttempts} is called).
   */
  startedAt?: number | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: (event: JobEvent) => void;
  /** A budget in USD for a new job: refused (nothing written or sent) when the estimated ceiling is over it or unknown. */
  maxCost?: number | undefined;
  /** Prices for the budget check (default: the built-in table). */
  prices?: PriceTable | undefined;
  /**
   * Requests of this job waiting in the API's processing queue at most: a shard whose batch would
   * go over it waits for earlier ones to end (default {@link DEFAULT_MAX_QUEUED}).
   */
  maxQueued?: number | undefined;
  /** The wait after a 429 on create without a retry-after: 2 s doubling up to this (default 60 s). */
  maxRefusedWaitMs?: number | undefined;
  /** Where the job and each batch it creates are recorded (none: not recorded). */
  registry?: Registry | undefined;
  /** For a new job: answers already paid for; requests whose params have one are not sent. */
  reuse?: ReuseIndex | undefined;
  /** What the registry records of each batch beside the job: the command, a label, the input and its map. */
  origin?: Pick<BatchOrigin, 'command' | 'label' | 'source' | 'map'> | undefined;
}

/**
 * Opens the job for an input: resumes the one already there (refusing if the input or the
 * options changed), or validates the whole input (ids unique across every shard), splits it
 * into shards and writes a new manifest. Sends nothing.
 */
export async function prepareJob(
  opts: JobOptions,
): Promise<{ dir: string; manifest: Manifest; resumed: boolean }> {
  const dir = resolve(opts.cwd, opts.stateDir ?? join(jobsRoot(opts.cwd), jobIdFor(opts.input)));
  const options = jobIdentity(opts.options ?? {}, opts);
  const print = await fingerprint(opts.input);
  const existing = readManifest(dir);
  if (existing) {
    assertSameOptions(existing, dir, options);
    assertSameInput(existing, dir, print, opts.inputName ?? opts.input);
    opts.onEvent?.({ kind: 'resumed', dir, manifest: existing });
    return { dir, manifest: existing, resumed: true };
  }
  const stats = await validateRequests(openSource(opts.input), {
    file: opts.input,
    maxRequests: Number.POSITIVE_INFINITY,
    maxBytes: Number.POSITIVE_INFINITY,
  });
  for (const message of requestFileWarnings(stats, opts.prices ?? BUILT_IN_PRICES)) {
    opts.onEvent?.({ kind: 'warning', message });
  }
  if (opts.maxCost !== undefined) {
    checkBudget(await estimateCost(stats, opts.prices ?? BUILT_IN_PRICES), opts.maxCost);
  }
  await makeJobDir(dir);
  let reused: Manifest['reused'];
  let toSplit = opts.input;
  if (opts.reuse) {
    const outcome = await applyReuse(opts.input, dir, opts.reuse);
    reused = { requests: outcome.reused, results_file: REUSED_RESULTS, requests_file: REUSED_REQUESTS };
    toSplit = join(dir, TO_SEND);
    opts.onEvent?.({ kind: 'reused', outcome });
  }
  const shards = await splitRequests(toSplit, dir, {
    maxRequests: options.max_requests,
    maxBytes: options.max_bytes,
  });
  if (toSplit !== opts.input) await rm(toSplit, { force: true });
  const manifest: Manifest = {
    version: 1,
    job_id: dir.split(/[\\/]/).at(-1) ?? jobIdFor(opts.input),
    created_at: new Date().toISOString(),
    input: { path: resolve(opts.input), ...print },
    options,
    shards,
    ...(reused ? { reused } : {}),
  };
  writeManifest(dir, manifest);
  opts.registry?.append({
    event: 'job',
    id: manifest.job_id,
    dir,
    input: resolve(opts.origin?.source ?? opts.input),
    created_at: manifest.created_at,
  });
  opts.onEvent?.({ kind: 'created', dir, manifest });
  return { dir, manifest, resumed: false };
}

/** What a job would be, worked out without writing or sending anything (`run --dry-run`). */
export interface JobPreview {
  requests: number;
  shards: Array<{ requests: number; bytes: number }>;
  estimate: Estimate;
  /** Warnings about the requests (unknown model or price, prompts over the context window). */
  warnings: string[];
}

/**
 * Validates a request file, plans its shards and estimates its cost; refuses when `maxCost` is
 * set and the ceiling is over it. Writes nothing anywhere.
 */
export async function previewJob(
  input: string,
  options: {
    maxRequests?: number | undefined;
    maxBytes?: number | undefined;
    prices?: PriceTable;
    maxCost?: number | undefined;
  },
): Promise<JobPreview> {
  const stats = await validateRequests(openSource(input), {
    file: input,
    maxRequests: Number.POSITIVE_INFINITY,
    maxBytes: Number.POSITIVE_INFINITY,
  });
  const estimate = await estimateCost(stats, options.prices ?? BUILT_IN_PRICES);
  checkBudget(estimate, options.maxCost);
  const shards = await planShards(input, {
    ...(options.maxRequests === undefined ? {} : { maxRequests: options.maxRequests }),
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
  });
  const warnings = requestFileWarnings(stats, options.prices ?? BUILT_IN_PRICES);
  return { requests: stats.requests, shards, estimate, warnings };
}

/** Adds a first attempt to shards that have none. */
function planFirstAttempts(manifest: Manifest): void {
  for (const shard of manifest.shards) {
    if (shard.attempts.length === 0) {
      shard.attempts.push({
        number: 1,
        file: shard.file,
        requests: shard.requests,
        intent_at: '',
        batch_id: null,
        status: 'pending',
        request_counts: null,
        results_file: null,
      });
    }
  }
}

/**
 * Makes sure every latest attempt has its batch. An attempt whose intent was recorded but whose
 * id was not (a crash between the two) is first looked for in the list (created since the
 * intent, same request count, not claimed by another attempt); only if none is found is it
 * created again. The intent is on disk before every create, the id right after.
 */
export async function submitPending(
  client: BatchClient,
  dir: string,
  manifest: Manifest,
  options: JobOptions,
): Promise<void> {
  const opts = withStart(options);
  const claimed = () =>
    new Set(
      manifest.shards.flatMap((s) => s.attempts.map((a) => a.batch_id).filter((id): id is string => !!id)),
    );
  for (const shard of manifest.shards) {
    const attempt = latestAttempt(shard);
    if (!attempt || attempt.batch_id) continue;
    if (attempt.intent_at) {
      const { candidates } = await findCreatedBatches(
        client,
        attempt.requests,
        Date.parse(attempt.intent_at),
        {
          exclude: claimed(),
          signal: opts.signal,
        },
      );
      const found = candidates.sort((a, b) => a.created_at.localeCompare(b.created_at))[0];
      if (found) {
        record(attempt, found);
        writeManifest(dir, manifest);
        register(client, dir, manifest, attempt, found, opts);
      }
      opts.onEvent?.({ kind: 'reconciled', shard, attempt, found: !!found });
      if (found) continue;
    }
    await waitForRoom(client, dir, manifest, shard, attempt.requests, opts);
    await submitRequests(
      client,
      { path: join(dir, attempt.file), name: `${manifest.job_id}/${attempt.file}` },
      {
        signal: opts.signal,
        betas: jobBetas(manifest),
        // Batches of this job's other attempts are not this create's (were it interrupted and looked for).
        exclude: claimed,
        onValidated: () => {
          attempt.intent_at = new Date().toISOString();
          writeManifest(dir, manifest);
        },
        onCreated: (batch, sent) => {
          record(attempt, batch);
          writeManifest(dir, manifest);
          register(client, dir, manifest, attempt, batch, opts, sent);
        },
        onNotice: (message) => opts.onEvent?.({ kind: 'warning', message }),
        // A 429 created nothing: never a failure of the job; wait as asked, or back off, and send again.
        onRateLimited: async (refusal) => {
          const waitMs =
            refusal.askedMs ??
            backoffDelay(refusal.refusals, { baseMs: 2000, maxMs: opts.maxRefusedWaitMs ?? 60_000 });
          if (opts.timeoutMs !== undefined && Date.now() + waitMs - opts.startedAt > opts.timeoutMs) {
            throw new TimeoutError(
              `The API was still refusing shard ${shard.index + 1}'s batch at the job's ${formatDuration(opts.timeoutMs)} timeout (${refusal.reason}: ${refusal.message}); nothing was created for it`,
              'wait for batches of the account to end, or raise the tier; run the same command again to continue',
            );
          }
          opts.onEvent?.({ kind: 'refused', shard, refusal, waitMs });
          await sleep(waitMs, opts.signal);
          if (refusal.nothingSent) {
            attempt.intent_at = new Date().toISOString();
            writeManifest(dir, manifest);
          }
        },
      },
    );
    opts.onEvent?.({ kind: 'submitted', shard, attempt });
  }
}

/** The options with the job's clock started (kept if the caller started it). */
function withStart(opts: JobOptions): JobOptions & { startedAt: number } {
  return { ...opts, startedAt: opts.startedAt ?? Date.now() };
}

/** The betas a job was run with (`--beta`, kept in its options): every batch of the job is sent with them. */
export function jobBetas(manifest: Manifest): string[] | undefined {
  const betas = manifest.options.beta;
  return Array.isArray(betas) && betas.every((b) => typeof b === 'string') ? betas : undefined;
}

/** Requests of the job's batches still waiting in the processing queue (as last seen). */
export function queuedRequests(manifest: Manifest): number {
  let queued = 0;
  for (const { attempt } of attemptsWithBatch(manifest)) {
    if (attempt.status === 'ended') continue;
    queued += attempt.request_counts?.processing ?? attempt.requests;
  }
  return queued;
}

/**
 * Paces the creates under `maxQueued`: while the job's unfinished batches and this shard's would
 * go over it, the unfinished batches are watched (recording their statuses) until enough end.
 * A shard larger than the cap alone is sent once nothing of the job is queued.
 */
async function waitForRoom(
  client: BatchClient,
  dir: string,
  manifest: Manifest,
  shard: Shard,
  requests: number,
  opts: JobOptions,
): Promise<void> {
  const maxQueued = opts.maxQueued ?? DEFAULT_MAX_QUEUED;
  const fits = () => {
    const queued = queuedRequests(manifest);
    return queued === 0 || queued + requests <= maxQueued;
  };
  if (fits()) return;
  opts.onEvent?.({ kind: 'paced', shard, queued: queuedRequests(manifest), maxQueued });
  await watchUnfinished(client, dir, manifest, opts, fits);
}

/**
 * Watches the job's batches that have not ended, recording each poll's statuses in the manifest
 * and the registry, until they all end (or `stopWhen` says enough have).
 */
async function watchUnfinished(
  client: BatchClient,
  dir: string,
  manifest: Manifest,
  opts: JobOptions,
  stopWhen?: () => boolean,
): Promise<void> {
  const running = attemptsWithBatch(manifest).filter(({ attempt }) => attempt.status !== 'ended');
  if (running.length === 0) return;
  const byId = new Map(running.map((r) => [r.attempt.batch_id, r.attempt]));
  await monitorBatches(
    client,
    running.map((r) => r.attempt.batch_id),
    {
      intervalMs: opts.intervalMs,
      timeoutMs: opts.timeoutMs,
      startedAt: opts.startedAt,
      signal: opts.signal,
      // The job made these batches: one the API does not know yet is waited for a while.
      notFoundGraceMs: JOB_NOT_FOUND_GRACE_MS,
      onPoll: (poll) => {
        for (const batch of poll.batches) {
          const attempt = batch && byId.get(batch.id);
          if (attempt && batch) record(attempt, batch);
        }
        writeManifest(dir, manifest);
        recordEnded(opts.registry, poll.batches);
        opts.onEvent?.({ kind: 'poll', poll });
      },
      onWarning: (message) => opts.onEvent?.({ kind: 'warning', message }),
      ...(stopWhen ? { stopWhen } : {}),
    },
  );
}

/** Records a batch the job created in the registry (a retry's as `retry`). */
function register(
  client: BatchClient,
  dir: string,
  manifest: Manifest,
  attempt: Attempt,
  batch: MessageBatch,
  opts: JobOptions,
  sent?: SentFile,
): void {
  if (!opts.registry) return;
  const origin = opts.origin ?? { command: 'run' };
  const built = manifest.options.input;
  // A retry keeps the label the job's first batches were given.
  const label =
    origin.label ??
    [...opts.registry.read().batches.values()].find((b) => b.job?.dir === dir && b.label)?.label ??
    undefined;
  recordBatch(
    opts.registry,
    client,
    batch,
    {
      command: attempt.number > 1 ? 'retry' : origin.command,
      label,
      requestsFile: join(dir, attempt.file),
      // The input the user named: the build source's file for `run <source>`, else the request file.
      source: origin.source ?? (typeof built === 'string' ? built : manifest.input.path),
      map: origin.map ?? mapBeside(manifest.input.path),
      job: { id: manifest.job_id, dir },
      betas: jobBetas(manifest),
    },
    sent,
  );
}

function record(attempt: Attempt, batch: MessageBatch): void {
  attempt.batch_id = batch.id;
  attempt.status = batch.processing_status;
  attempt.request_counts = batch.request_counts;
}

/** Every attempt with a batch, paired with its shard. */
function attemptsWithBatch(
  manifest: Manifest,
): Array<{ shard: Shard; attempt: Attempt & { batch_id: string } }> {
  return manifest.shards.flatMap((shard) =>
    shard.attempts
      .filter((a): a is Attempt & { batch_id: string } => a.batch_id !== null)
      .map((attempt) => ({ shard, attempt })),
  );
}

/** Watches every unfinished batch of the job, recording statuses in the manifest, then downloads new results. */
export async function finishAttempts(
  client: BatchClient,
  dir: string,
  manifest: Manifest,
  options: JobOptions,
): Promise<void> {
  const opts = withStart(options);
  await watchUnfinished(client, dir, manifest, opts);
  for (const { shard, attempt } of attemptsWithBatch(manifest)) {
    if (attempt.results_file) continue;
    const file = join('results', `${attempt.batch_id}.jsonl`);
    const sink = await openAtomicFile(join(dir, file), { force: true });
    const { summary, batch } = await downloadResults(client, attempt.batch_id, sink, { signal: opts.signal });
    record(attempt, batch);
    attempt.results_file = file;
    writeManifest(dir, manifest);
    recordDownload(opts.registry, attempt.batch_id, join(dir, file));
    opts.onEvent?.({ kind: 'downloaded', shard, attempt, summary });
  }
}

/**
 * Writes the job's merged results: one line per custom_id, each from its latest attempt, exactly
 * as the API sent it (or flat: `compact`, `csv`); returns the summary over them. Memory: the ids
 * of one shard.
 */
export async function mergeResults(
  dir: string,
  manifest: Manifest,
  target: Sink,
  format: ResultsFormat = 'jsonl',
  /** Structured answers asked for (see {@link jobOutputSpecs}): counted, and columns in compact / csv. */
  specs?: OutputSpecs | undefined,
): Promise<ResultsSummary> {
  const sink = bufferedSink(target);
  const summary = new SummaryBuilder();
  if (specs) summary.countOutputs();
  const outputs = specs && format !== 'jsonl' ? flatOutputs(specs.columns()) : undefined;
  const newline = Buffer.from('\n');
  try {
    if (format === 'csv') await sink.write(flatCsvHeader(outputs));
    const write = async (facts: ResultFacts, line: Buffer) => {
      summary.add(facts);
      const out = specs?.check(facts);
      summary.addOutput(facts, out);
      if (format === 'jsonl') {
        await sink.write(line);
        await sink.write(newline);
      } else
        await sink.write(
          format === 'csv' ? flatCsvLine(facts, outputs, out) : `${compactLine(facts, outputs, out)}\n`,
        );
    };
    // Answers reused (--reuse) first: they are results of this job's requests like the others.
    if (manifest.reused) {
      for await (const { bytes } of readLines(openSource(join(dir, manifest.reused.results_file)))) {
        if (bytes.length === 0) continue;
        await write(resultFacts(JSON.parse(decodeUtf8(bytes) ?? 'null')), bytes);
      }
    }
    for (const shard of manifest.shards) await visitLatestResults(dir, shard, write);
    await sink.commit();
  } catch (error) {
    await sink.abort();
    throw error;
  }
  return summary.build();
}

/**
 * What the job's requests asked for (structured answers), from its own shard files: undefined
 * when no request asked for a structured answer.
 */
export async function jobOutputSpecs(dir: string, manifest: Manifest): Promise<OutputSpecs | undefined> {
  const specs = await OutputSpecs.fromRequests([
    ...(manifest.reused ? [join(dir, manifest.reused.requests_file)] : []),
    ...manifest.shards.map((s) => join(dir, s.file)),
  ]);
  return specs.any ? specs : undefined;
}

/** True when every shard's latest attempt has its results downloaded. */
export function jobComplete(manifest: Manifest): boolean {
  return manifest.shards.every((s) => !!latestAttempt(s)?.results_file);
}

/**
 * The whole flow: prepare (or resume) the job, submit what has no batch yet, watch, download,
 * and merge into `output` when given. Re-running continues where it stopped.
 */
export async function runJob(
  client: BatchClient,
  options: JobOptions & { output?: Sink },
): Promise<{ dir: string; manifest: Manifest; summary?: ResultsSummary }> {
  // One deadline for the whole run: each wait gets what is left of --timeout, not a fresh one.
  const opts = { ...options, startedAt: options.startedAt ?? Date.now() };
  const { dir, manifest } = await prepareJob(opts);
  planFirstAttempts(manifest);
  writeManifest(dir, manifest);
  await submitPending(client, dir, manifest, opts);
  await finishAttempts(client, dir, manifest, opts);
  const summary = opts.output ? await mergeResults(dir, manifest, opts.output) : undefined;
  return { dir, manifest, ...(summary ? { summary } : {}) };
}
