import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { existingMapPathFor } from '../../core/builder/sidecar.js';
import { loadPrices } from '../../core/cost/prices.js';
import { UsageError } from '../../core/errors.js';
import { openAtomicFile, type Sink, streamSink } from '../../core/fs/atomic-file.js';
import { cancelJob } from '../../core/job/cancel.js';
import { type Manifest, readManifest } from '../../core/job/manifest.js';
import { jobOutputSpecs, mergeResults } from '../../core/job/run.js';
import { addJobResults } from '../../core/job/sqlite.js';
import {
  assertJobComplete,
  inputReadingOf,
  jobInputOf,
  jobState,
  jobTotals,
  refreshJob,
} from '../../core/job/state.js';
import type { JoinSource } from '../../core/join/join.js';
import { findJob, listAllJobs } from '../../core/registry/jobs.js';
import type { ResultsFormat } from '../../core/results/download.js';
import { loadOutputSpecs } from '../../core/results/output.js';
import type { Context } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { count, fittedTable, n, table, when } from '../format.js';
import { println } from '../io.js';
import { holdingJob } from '../job-lock.js';
import { checkJoinFlags, type JoinCliOptions, joinToOutput } from '../join-output.js';
import type { OptionsOf } from '../options.js';
import { pricesPath } from '../prices.js';
import type { JOB_OPTIONS } from '../register-jobs.js';
import { costText } from '../render-cost.js';
import { summaryText } from '../render-results.js';
import { intoDatabase, printExport, sqliteTarget } from '../sqlite-output.js';

/** The flags of `job list | status | results | cancel` (one module runs them all; results has the most). */
type Options = Partial<
  OptionsOf<typeof JOB_OPTIONS.results> &
    OptionsOf<typeof JOB_OPTIONS.list> &
    OptionsOf<typeof JOB_OPTIONS.cancel>
>;

async function list(ctx: Context, options: Options) {
  const jobs = await listAllJobs(ctx.io.cwd, ctx.registry(), { here: options.here, under: options.state });
  if (options.json) {
    println(
      ctx.io.stdout,
      JSON.stringify(
        jobs.map((j) => ({
          job_id: j.manifest.job_id,
          state: jobState(j.manifest),
          dir: j.dir,
          input: jobInputOf(j.manifest),
          requests_file: j.manifest.input.path,
          shards: j.manifest.shards.length,
          ...jobTotals(j.manifest),
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
      options.here || options.state !== undefined
        ? 'No jobs here (jobs live in .claude-batch/jobs/ in the folder `run` was started in, or one above it).'
        : 'No jobs (none here, and the registry knows of none).',
    );
    return 0;
  }
  const rows = jobs.map((j) => {
    const c = jobTotals(j.manifest);
    return [
      j.manifest.job_id,
      jobState(j.manifest),
      String(j.manifest.shards.length),
      n(c.requests),
      n(c.succeeded),
      n(c.errored + c.expired + c.canceled),
      when(j.manifest.created_at),
      relative(ctx.io.cwd, jobInputOf(j.manifest)) || '.',
    ];
  });
  const header = ['JOB', 'STATE', 'SHARDS', 'REQUESTS', 'SUCCEEDED', 'FAILED', 'CREATED', 'INPUT'];
  println(ctx.io.stdout, options.wide ? table(header, rows) : fittedTable(header, rows));
  return 0;
}

async function status(ctx: Context, job: string, options: Options) {
  const { dir, manifest } = await findJob(ctx.io.cwd, job, ctx.registry());
  await refreshJob(() => ctx.client(), dir, manifest, ctx.io.signal);
  if (options.json) {
    println(
      ctx.io.stdout,
      JSON.stringify({ ...manifest, state: jobState(manifest), totals: jobTotals(manifest), dir }, null, 2),
    );
    return 0;
  }
  const c = jobTotals(manifest);
  println(
    ctx.io.stdout,
    `Job ${manifest.job_id} (${jobState(manifest)}) · ${count(c.requests, 'request')} · ${count(manifest.shards.length, 'shard')} · state ${dir}`,
  );
  println(ctx.io.stdout, `Input ${jobInputOf(manifest)}`);
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
  const { dir, manifest } = await findJob(ctx.io.cwd, job, ctx.registry());
  checkJoinFlags(options);
  assertJobComplete(manifest, dir);
  if (options.join !== undefined) {
    // A job run from a build source keeps its map in the job folder (input.jsonl.map; jobs
    // made before the rename have input.map.jsonl).
    const ownMap = existingMapPathFor(join(dir, 'input.jsonl'));
    return joinToOutput(
      ctx,
      {
        label: manifest.job_id,
        produce: (sink) => mergeResults(dir, manifest, sink),
        addTo: (db) => addJobResults(db, dir, manifest),
        ...(existsSync(ownMap) ? { defaultMap: ownMap } : {}),
        requests: manifest.shards.map((s) => join(dir, s.file)),
      },
      { ...options, ...readLike(manifest, options), join: options.join },
    );
  }
  // The job's own requests say what structured answers were asked for (or --schema / --requests).
  const specs =
    options.schema !== undefined || options.requests !== undefined
      ? await loadOutputSpecs({ schema: options.schema, requests: options.requests }, ctx.io.cwd)
      : await jobOutputSpecs(dir, manifest);
  if (options.format === 'sqlite') {
    const path = sqliteTarget(ctx, options.output);
    const done = await intoDatabase(path, (db) => addJobResults(db, dir, manifest), specs);
    return printExport(ctx, { ...done, path, label: { job_id: manifest.job_id } }, options);
  }
  const toStdout = options.output === undefined || options.output === '-';
  const sink: Sink = toStdout
    ? streamSink(ctx.io.stdout)
    : await openAtomicFile(resolve(ctx.io.cwd, options.output as string), options);
  const format = (options.format ?? 'jsonl') as ResultsFormat;
  const summary = await mergeResults(dir, manifest, sink, format, specs);
  println(ctx.io.stderr, summaryText(summary));
  println(ctx.io.stderr, costText(summary, await loadPrices(pricesPath(ctx, options.prices))));
  return 0;
}

async function cancel(ctx: Context, job: string, options: Options) {
  const located = await findJob(ctx.io.cwd, job, ctx.registry());
  const { manifest, canceled } = await holdingJob(
    ctx,
    located.dir,
    `job cancel ${job}`,
    options.wait,
    async () => {
      // Read again once held: the process that held the job may have changed it.
      const dir = located.dir;
      const manifest = readManifest(dir) ?? located.manifest;
      return { manifest, canceled: await cancelJob(await ctx.client(), dir, manifest, ctx.io.signal) };
    },
  );
  if (options.json) println(ctx.io.stdout, JSON.stringify({ job_id: manifest.job_id, canceled }));
  else {
    for (const id of canceled) println(ctx.io.stdout, `${id} canceling`);
    println(
      ctx.io.stderr,
      canceled.length
        ? `Canceling ${count(canceled.length, 'batch', 'batches')} of job ${manifest.job_id}.`
        : `Nothing to cancel in job ${manifest.job_id}.`,
    );
  }
  return 0;
}

/** The join flags for a job's input: how the job read it, unless the flags say otherwise. */
function readLike(manifest: Manifest, options: Partial<JoinCliOptions>): Partial<JoinCliOptions> {
  const reading = inputReadingOf(manifest, {
    ...(options.joinSource === undefined ? {} : { source: options.joinSource as JoinSource }),
    ...(options.delimiter === undefined ? {} : { delimiter: options.delimiter }),
    ...(options.splitBy === undefined ? {} : { splitBy: options.splitBy }),
  });
  return {
    ...(reading.source === undefined ? {} : { joinSource: reading.source }),
    ...(reading.delimiter === undefined ? {} : { delimiter: reading.delimiter }),
    ...(reading.splitBy === undefined ? {} : { splitBy: reading.splitBy }),
  };
}

/** `job list | status JOB | results JOB | cancel JOB`: a job seen as one thing. */
export async function run(ctx: Context, args: string[], options: Options) {
  const [verb, job] = args;
  if (verb === 'list') return list(ctx, options);
  if (job !== undefined && options.state !== undefined) {
    throw new UsageError(`job ${verb}: give a job id or --state DIR, not both`);
  }
  const ref = job ?? options.state;
  if (ref === undefined) {
    throw new UsageError(
      `job ${verb} needs a job: its id or its folder (--state DIR)`,
      'list jobs with: claude-batch job list',
    );
  }
  switch (verb) {
    case 'status':
      return status(ctx, ref, options);
    case 'results':
      return results(ctx, ref, options);
    case 'cancel':
      return cancel(ctx, ref, options);
    default:
      return ExitCode.USAGE;
  }
}
