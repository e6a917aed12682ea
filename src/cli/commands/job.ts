import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cancelBatch } from '../../core/api/batches.js';
import type { MessageBatch } from '../../core/api/types.js';
import { loadPrices } from '../../core/cost/prices.js';
import { BatchStateError } from '../../core/errors.js';
import { openAtomicFile, type Sink, streamSink } from '../../core/fs/atomic-file.js';
import {
  latestAttempt,
  listJobs,
  locateJob,
  type Manifest,
  shardCounts,
  writeManifest,
} from '../../core/job/manifest.js';
import { jobComplete, mergeResults } from '../../core/job/run.js';
import { fetchBatches } from '../../core/monitor/monitor.js';
import type { Context } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { n, table, when } from '../format.js';
import { println } from '../io.js';
import { costText } from '../render-cost.js';
import { pricesPath } from './estimate.js';
import { checkJoinFlags, type JoinCliOptions, joinToOutput } from './join.js';
import { summaryText } from './results.js';

interface Options {
  json?: boolean;
  output?: string;
  force?: boolean;
  prices?: string;
}

/**
 * For a job made by `run <source>`: read the input back the way the job built it (its source,
 * delimiter, split) unless the flags say otherwise.
 */
function readLike(built: Record<string, unknown>, options: Partial<JoinCliOptions>): Partial<JoinCliOptions> {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const source = str(built.source);
  const joinSource =
    source === 'csv' || source === 'text'
      ? source
      : source === 'json' && built.jsonl === true
        ? 'jsonl'
        : undefined;
  const out: Partial<JoinCliOptions> = {};
  const delimiter = options.delimiter ?? str(built.delimiter);
  const splitBy = options.splitBy ?? str(built.splitBy);
  const chosen = options.joinSource ?? joinSource;
  if (delimiter !== undefined && (chosen ?? 'csv') === 'csv') out.delimiter = delimiter;
  if (splitBy !== undefined && chosen === 'text') out.splitBy = splitBy;
  if (chosen !== undefined) out.joinSource = chosen;
  return out;
}

/** Combined counts over every shard, each custom_id counted from its latest attempt. */
function combined(manifest: Manifest) {
  const totals = { requests: 0, processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
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
function jobState(manifest: Manifest): string {
  if (jobComplete(manifest)) return 'done';
  const latest = manifest.shards.map(latestAttempt);
  if (latest.every((a) => a?.status === 'ended')) return 'ended';
  if (latest.some((a) => a?.batch_id)) return 'running';
  return 'pending';
}

/** Refreshes the statuses of a job's unfinished batches from the API (one list request for many). */
async function refresh(ctx: Context, dir: string, manifest: Manifest): Promise<void> {
  const running = manifest.shards
    .flatMap((s) => s.attempts)
    .filter((a) => a.batch_id && a.status !== 'ended');
  if (running.length === 0) return;
  const client = await ctx.client();
  const { found } = await fetchBatches(
    client,
    running.map((a) => a.batch_id as string),
    new Map(),
    ctx.io.signal,
  );
  for (const a of running) {
    const b = found.get(a.batch_id as string) as MessageBatch;
    a.status = b.processing_status;
    a.request_counts = b.request_counts;
  }
  writeManifest(dir, manifest);
}

async function list(ctx: Context, options: Options) {
  const jobs = await listJobs(ctx.io.cwd);
  if (options.json) {
    println(
      ctx.io.stdout,
      JSON.stringify(
        jobs.map((j) => ({
          job_id: j.manifest.job_id,
          state: jobState(j.manifest),
          dir: j.dir,
          input: j.manifest.input.path,
          shards: j.manifest.shards.length,
          ...combined(j.manifest),
        })),
        null,
        2,
      ),
    );
    return 0;
  }
  if (jobs.length === 0) {
    println(
      ctx.io.stderr,
      'No jobs here (jobs live in .claude-batch/jobs/ under the folder `run` was started in).',
    );
    return 0;
  }
  const rows = jobs.map((j) => {
    const c = combined(j.manifest);
    return [
      j.manifest.job_id,
      jobState(j.manifest),
      String(j.manifest.shards.length),
      n(c.requests),
      n(c.succeeded),
      n(c.errored + c.expired + c.canceled),
      when(j.manifest.created_at),
      j.manifest.input.path,
    ];
  });
  println(
    ctx.io.stdout,
    table(['JOB', 'STATE', 'SHARDS', 'REQUESTS', 'SUCCEEDED', 'FAILED', 'CREATED', 'INPUT'], rows),
  );
  return 0;
}

async function status(ctx: Context, job: string, options: Options) {
  const { dir, manifest } = await locateJob(ctx.io.cwd, job);
  await refresh(ctx, dir, manifest);
  if (options.json) {
    println(
      ctx.io.stdout,
      JSON.stringify({ ...manifest, state: jobState(manifest), totals: combined(manifest), dir }, null, 2),
    );
    return 0;
  }
  const c = combined(manifest);
  println(
    ctx.io.stdout,
    `Job ${manifest.job_id} (${jobState(manifest)}) · ${n(c.requests)} requests · ${manifest.shards.length} shard(s) · state ${dir}`,
  );
  println(ctx.io.stdout, `Input ${manifest.input.path}`);
  println(
    ctx.io.stdout,
    `Latest results: ${n(c.succeeded)} succeeded · ${n(c.errored)} errored · ${n(c.canceled)} canceled · ${n(c.expired)} expired · ${n(c.processing)} processing`,
  );
  const rows = manifest.shards.flatMap((s) =>
    s.attempts.map((a) => [
      `${s.index + 1}`,
      `${a.number}`,
      a.batch_id ?? (a.intent_at ? '(create sent, id unknown)' : '(not sent)'),
      a.status,
      n(a.requests),
      a.request_counts ? n(a.request_counts.succeeded) : '-',
      a.request_counts
        ? n(a.request_counts.errored + a.request_counts.expired + a.request_counts.canceled)
        : '-',
      a.results_file ? 'yes' : 'no',
    ]),
  );
  println(
    ctx.io.stdout,
    table(['SHARD', 'ATTEMPT', 'BATCH', 'STATUS', 'REQUESTS', 'SUCCEEDED', 'FAILED', 'RESULTS'], rows),
  );
  return 0;
}

async function results(ctx: Context, job: string, options: Options & Partial<JoinCliOptions>) {
  const { dir, manifest } = await locateJob(ctx.io.cwd, job);
  checkJoinFlags(options);
  if (!jobComplete(manifest)) {
    throw new BatchStateError(
      `Job ${manifest.job_id} has not finished: some shards have no results yet`,
      manifest.job_id,
      {
        hint: `continue it with: claude-batch run ${manifest.input.path}${dir ? ` --state ${dir}` : ''}`,
      },
    );
  }
  if (options.join !== undefined) {
    // A job run from a build source keeps its map in the job folder.
    const ownMap = join(dir, 'input.map.jsonl');
    return joinToOutput(
      ctx,
      {
        label: manifest.job_id,
        produce: (sink) => mergeResults(dir, manifest, sink),
        ...(existsSync(ownMap) ? { defaultMap: ownMap } : {}),
      },
      { ...options, ...readLike(manifest.options, options), join: options.join },
    );
  }
  const toStdout = options.output === undefined || options.output === '-';
  const sink: Sink = toStdout
    ? streamSink(ctx.io.stdout)
    : await openAtomicFile(resolve(ctx.io.cwd, options.output as string), options);
  const summary = await mergeResults(dir, manifest, sink);
  println(ctx.io.stderr, summaryText(summary));
  println(ctx.io.stderr, costText(summary, await loadPrices(pricesPath(ctx, options.prices))));
  return 0;
}

async function cancel(ctx: Context, job: string, options: Options) {
  const { dir, manifest } = await locateJob(ctx.io.cwd, job);
  const client = await ctx.client();
  const canceled: string[] = [];
  for (const a of manifest.shards.flatMap((s) => s.attempts)) {
    if (!a.batch_id || a.status === 'ended') continue;
    const b = await cancelBatch(client, a.batch_id, { signal: ctx.io.signal });
    a.status = b.processing_status;
    a.request_counts = b.request_counts;
    canceled.push(b.id);
  }
  writeManifest(dir, manifest);
  if (options.json) println(ctx.io.stdout, JSON.stringify({ job_id: manifest.job_id, canceled }));
  else {
    for (const id of canceled) println(ctx.io.stdout, `${id} canceling`);
    println(
      ctx.io.stderr,
      canceled.length
        ? `Canceling ${canceled.length} batch(es) of job ${manifest.job_id}.`
        : `Nothing to cancel in job ${manifest.job_id}.`,
    );
  }
  return 0;
}

/** `job list | status JOB | results JOB | cancel JOB`: a job seen as one thing. */
export async function run(ctx: Context, args: string[], options: Options) {
  const [verb, job] = args;
  switch (verb) {
    case 'list':
      return list(ctx, options);
    case 'status':
      return status(ctx, job as string, options);
    case 'results':
      return results(ctx, job as string, options);
    case 'cancel':
      return cancel(ctx, job as string, options);
    default:
      return ExitCode.USAGE;
  }
}
