import { resolve } from 'node:path';
import { loadPrices } from '../../core/cost/prices.js';
import { UsageError } from '../../core/errors.js';
import { type Manifest, readManifest } from '../../core/job/manifest.js';
import type { RetryRules } from '../../core/job/retry.js';
import { retryBatch, retryJob, retryRules } from '../../core/job/retry-run.js';
import { jobBetas } from '../../core/job/run.js';
import { type JobTotals, jobTotals } from '../../core/job/state.js';
import { findJob } from '../../core/registry/jobs.js';
import { recordBatch } from '../../core/registry/record.js';
import type { Context } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { count, n } from '../format.js';
import { println } from '../io.js';
import { holdingJob } from '../job-lock.js';
import type { OptionsOf } from '../options.js';
import { pricesPath } from '../prices.js';
import type { RETRY_OPTIONS } from '../register-jobs.js';
import { costText } from '../render-cost.js';
import { jobReporter } from '../render-job.js';
import { summaryText } from '../render-results.js';

type Options = OptionsOf<typeof RETRY_OPTIONS>;

function rulesOf(options: Options): RetryRules {
  return retryRules({
    ...(options.errored === undefined
      ? {}
      : {
          errorTypes: options.errored
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        }),
    expired: options.expired === true,
    canceled: options.canceled === true,
    invalidOutput: options.invalidOutput === true,
  });
}

/** The line on retried structured answers, when there are any. */
function invalidLine(retried: { outputs?: { invalid: number } }): string[] {
  const invalid = retried.outputs?.invalid ?? 0;
  return invalid > 0 ? [`  ${n(invalid)} × invalid structured answer (output_error)`] : [];
}

function topErrorLines(top: Array<{ type: string; message: string; count: number }>): string[] {
  return top.map((e) => `  ${n(e.count)} × ${e.type}: ${e.message}`);
}

/** What a job holds when the rules found nothing to retry, and which flag would retry it. */
function nothingToRetry(totals: JobTotals, options: Options): string {
  const parts = [`${n(totals.succeeded)} succeeded`];
  if (totals.errored) parts.push(`${n(totals.errored)} errored with errors a retry does not fix`);
  if (totals.expired)
    parts.push(`${n(totals.expired)} expired${options.expired ? '' : ' (add --expired to retry them)'}`);
  if (totals.canceled)
    parts.push(`${n(totals.canceled)} canceled${options.canceled ? '' : ' (add --canceled to retry them)'}`);
  return `it holds ${parts.join(', ')}`;
}

/** `retry BATCH_ID --requests FILE`: a new batch of the requests whose results were retryable; prints its id. */
async function retryOneBatch(ctx: Context, id: string, options: Options) {
  const { io } = ctx;
  if (!options.requests) {
    throw new UsageError(
      `retry ${id} needs --requests FILE (the request file the batch was made from)`,
      'or give a job id: claude-batch job list',
    );
  }
  const rules = rulesOf(options);
  const client = await ctx.client();
  const original = ctx.registry().batch(id);
  const requestsFile = resolve(io.cwd, options.requests);
  const { batch, requests, retried } = await retryBatch(client, id, options.requests, rules, {
    signal: io.signal,
    betas: options.beta,
    onCreated: (b) =>
      recordBatch(ctx.registry(), client, b, {
        command: 'retry',
        label: original?.label ?? undefined,
        requestsFile,
        betas: options.beta,
        ...(original?.source ? { source: original.source } : {}),
        ...(original?.map ? { map: original.map } : {}),
      }),
  });
  if (!batch) {
    println(
      io.stderr,
      `Nothing to retry in ${id} (rules: ${[...rules.errorTypes].join(', ')}${rules.expired ? ', expired' : ''}${rules.canceled ? ', canceled' : ''}${rules.invalidOutput ? ', invalid output' : ''}).`,
    );
    return ExitCode.OK;
  }
  println(io.stdout, options.json ? JSON.stringify(batch, null, 2) : batch.id);
  println(
    io.stderr,
    `✓ Resubmitted ${count(requests, 'request')} of ${id} as ${batch.id}. Most common errors:`,
  );
  for (const line of [...topErrorLines(retried.topErrors), ...invalidLine(retried)]) println(io.stderr, line);
  println(io.stderr, `Next: claude-batch monitor ${batch.id}`);
  return ExitCode.OK;
}

/** `retry JOB`: new attempts for the retryable results of every shard, then wait, download and merge. */
async function retryWholeJob(ctx: Context, job: string, options: Options) {
  const { io } = ctx;
  const located = await findJob(io.cwd, job, ctx.registry());
  if (options.beta) {
    throw new UsageError(
      `retry ${job}: --beta is for a batch id; a job's batches are sent with the betas it was run with`,
      `leave out --beta (job ${located.manifest.job_id} uses: ${jobBetas(located.manifest)?.join(', ') ?? 'none'})`,
    );
  }
  return holdingJob(ctx, located.dir, `retry ${job}`, options.wait, async () => {
    // Read again once held: the process that held the job may have changed it.
    const manifest = readManifest(located.dir) ?? located.manifest;
    return retryLocked(ctx, located.dir, manifest, options);
  });
}

async function retryLocked(ctx: Context, dir: string, manifest: Manifest, options: Options) {
  const { io } = ctx;
  const reporter = await jobReporter(ctx, options, manifest);
  const {
    plan,
    summary,
    files = [],
  } = await retryJob(await ctx.client(), dir, manifest, {
    cwd: io.cwd,
    input: manifest.input.path,
    intervalMs: options.interval,
    timeoutMs: options.timeout,
    signal: io.signal,
    onEvent: reporter.onEvent,
    registry: ctx.registry(),
    origin: { command: 'retry' },
    rules: rulesOf(options),
    maxAttempts: options.maxAttempts,
    results: options.results === undefined ? undefined : resolve(io.cwd, options.results),
    force: options.force,
    onWaiting: () =>
      reporter.say(`Job ${manifest.job_id} has results still to come: waiting for them first.`),
    onPlanned: (p) => {
      reporter.say(
        `Retrying ${count(p.requests, 'request')} in ${count(p.shards, 'shard')} of job ${manifest.job_id}. Most common errors:`,
      );
      for (const line of topErrorLines(p.retried.topErrors)) reporter.say(line);
      if (p.retried.expired) reporter.say(`  ${n(p.retried.expired)} × expired`);
      if (p.retried.canceled) reporter.say(`  ${n(p.retried.canceled)} × canceled`);
      for (const line of invalidLine(p.retried)) reporter.say(line);
    },
  }).finally(() => reporter.stop());
  if (!summary) {
    println(
      io.stderr,
      plan.exhausted > 0
        ? `Nothing retried: ${count(plan.exhausted, 'shard')} already used ${count(options.maxAttempts, 'attempt')}.`
        : `Nothing to retry in job ${manifest.job_id}: ${nothingToRetry(jobTotals(manifest), options)}.`,
    );
    return ExitCode.OK;
  }
  if (options.json)
    println(
      io.stdout,
      JSON.stringify({
        type: 'summary',
        job_id: manifest.job_id,
        results: files.at(-1),
        results_files: files,
        retried: plan.requests,
        ...summary,
      }),
    );
  else {
    println(io.stderr, summaryText(summary));
    println(io.stderr, costText(summary, await loadPrices(pricesPath(ctx, options.prices))));
    println(io.stderr, `Wrote ${files.join(', ')} (each custom_id from its latest attempt)`);
  }
  return ExitCode.OK;
}

/** `retry (JOB | BATCH_ID --requests FILE)`. */
export async function run(ctx: Context, [target]: string[], options: Options) {
  const id = target as string;
  if (id.trim() === '') {
    throw new UsageError(
      'retry needs a job (its id or folder) or a batch id; the argument is empty',
      'list them with: claude-batch job list, claude-batch list',
    );
  }
  if (id.startsWith('msgbatch_')) return retryOneBatch(ctx, id, options);
  return retryWholeJob(ctx, id, options);
}
