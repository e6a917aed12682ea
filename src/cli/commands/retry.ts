import { join } from 'node:path';
import { loadPrices } from '../../core/cost/prices.js';
import { UsageError } from '../../core/errors.js';
import { openAtomicFile } from '../../core/fs/atomic-file.js';
import { locateJob } from '../../core/job/manifest.js';
import type { RetryRules } from '../../core/job/retry.js';
import { retryBatch, retryJob, retryRules } from '../../core/job/retry-run.js';
import type { Context } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { n } from '../format.js';
import { println } from '../io.js';
import { pricesPath } from '../prices.js';
import { costText } from '../render-cost.js';
import { jobReporter } from '../render-job.js';
import { summaryText } from '../render-results.js';

interface Options {
  requests?: string;
  errored?: string;
  expired?: boolean;
  canceled?: boolean;
  maxAttempts: number;
  results?: string;
  interval?: number;
  timeout?: number;
  prices?: string;
  force?: boolean;
  json?: boolean;
}

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
  });
}

function topErrorLines(top: Array<{ type: string; message: string; count: number }>): string[] {
  return top.map((e) => `  ${n(e.count)} × ${e.type}: ${e.message}`);
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
  const { batch, requests, retried } = await retryBatch(await ctx.client(), id, options.requests, rules, {
    signal: io.signal,
  });
  if (!batch) {
    println(
      io.stderr,
      `Nothing to retry in ${id} (rules: ${[...rules.errorTypes].join(', ')}${rules.expired ? ', expired' : ''}${rules.canceled ? ', canceled' : ''}).`,
    );
    return ExitCode.OK;
  }
  println(io.stdout, options.json ? JSON.stringify(batch, null, 2) : batch.id);
  println(io.stderr, `✓ Resubmitted ${n(requests)} requests of ${id} as ${batch.id}. Most common errors:`);
  for (const line of topErrorLines(retried.topErrors)) println(io.stderr, line);
  println(io.stderr, `Next: claude-batch monitor ${batch.id}`);
  return ExitCode.OK;
}

/** `retry JOB`: new attempts for the retryable results of every shard, then wait, download and merge. */
async function retryWholeJob(ctx: Context, job: string, options: Options) {
  const { io } = ctx;
  const { dir, manifest } = await locateJob(io.cwd, job);
  const output = options.results ?? join(dir, 'results.jsonl');
  const { plan, summary } = await retryJob(await ctx.client(), dir, manifest, {
    cwd: io.cwd,
    input: manifest.input.path,
    intervalMs: options.interval,
    timeoutMs: options.timeout,
    signal: io.signal,
    onEvent: jobReporter(ctx, options, manifest),
    rules: rulesOf(options),
    maxAttempts: options.maxAttempts,
    output: () =>
      openAtomicFile(output, {
        force: options.results === undefined || options.force === true,
        flag: '--results',
      }),
    onWaiting: () =>
      println(io.stderr, `Job ${manifest.job_id} has results still to come: waiting for them first.`),
    onPlanned: (p) => {
      println(
        io.stderr,
        `Retrying ${n(p.requests)} requests in ${p.shards} shard(s) of job ${manifest.job_id}. Most common errors:`,
      );
      for (const line of topErrorLines(p.retried.topErrors)) println(io.stderr, line);
      if (p.retried.expired) println(io.stderr, `  ${n(p.retried.expired)} × expired`);
      if (p.retried.canceled) println(io.stderr, `  ${n(p.retried.canceled)} × canceled`);
    },
  });
  if (!summary) {
    println(
      io.stderr,
      plan.exhausted > 0
        ? `Nothing retried: ${plan.exhausted} shard(s) already used ${options.maxAttempts} attempts.`
        : `Nothing to retry in job ${manifest.job_id}.`,
    );
    return ExitCode.OK;
  }
  if (options.json)
    println(
      io.stdout,
      JSON.stringify({
        type: 'summary',
        job_id: manifest.job_id,
        results: output,
        retried: plan.requests,
        ...summary,
      }),
    );
  else {
    println(io.stderr, summaryText(summary));
    println(io.stderr, costText(summary, await loadPrices(pricesPath(ctx, options.prices))));
    println(io.stderr, `Wrote ${output} (each custom_id from its latest attempt)`);
  }
  return ExitCode.OK;
}

/** `retry (JOB | BATCH_ID --requests FILE)`. */
export async function run(ctx: Context, [target]: string[], options: Options) {
  const id = target as string;
  if (id.startsWith('msgbatch_')) return retryOneBatch(ctx, id, options);
  return retryWholeJob(ctx, id, options);
}
