import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPrices } from '../../core/cost/prices.js';
import { UsageError } from '../../core/errors.js';
import { openAtomicFile } from '../../core/fs/atomic-file.js';
import { decodeUtf8, readLines } from '../../core/fs/lines.js';
import { locateJob, writeManifest } from '../../core/job/manifest.js';
import {
  extractRequests,
  planRetries,
  RETRYABLE_ERRORS,
  type RetryRules,
  shouldRetry,
} from '../../core/job/retry.js';
import { finishAttempts, jobComplete, mergeResults, submitPending } from '../../core/job/run.js';
import { assertReadableFile, openSource } from '../../core/requests/file.js';
import { downloadResults } from '../../core/results/download.js';
import { resultFacts } from '../../core/results/line.js';
import { SummaryBuilder } from '../../core/results/summary.js';
import { submitRequests } from '../../core/submit/submit.js';
import type { Context } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { n } from '../format.js';
import { println } from '../io.js';
import { costText } from '../render-cost.js';
import { jobReporter } from '../render-job.js';
import { pricesPath } from './estimate.js';
import { summaryText } from './results.js';

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
  const types =
    options.errored === undefined
      ? [...RETRYABLE_ERRORS]
      : options.errored
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean);
  return {
    errorTypes: new Set(types),
    expired: options.expired === true,
    canceled: options.canceled === true,
  };
}

function topErrorLines(top: Array<{ type: string; message: string; count: number }>): string[] {
  return top.map((e) => `  ${n(e.count)} × ${e.type}: ${e.message}`);
}

/** `retry BATCH_ID --requests FILE`: a new batch of the requests whose results were retryable; prints its id. */
async function retryBatch(ctx: Context, id: string, options: Options) {
  const { io } = ctx;
  if (!options.requests) {
    throw new UsageError(
      `retry ${id} needs --requests FILE (the request file the batch was made from)`,
      'or give a job id: claude-batch job list',
    );
  }
  await assertReadableFile(options.requests);
  const client = await ctx.client();
  const dir = await mkdtemp(join(tmpdir(), 'claude-batch-retry-'));
  try {
    const resultsPath = join(dir, 'results.jsonl');
    await downloadResults(client, id, await openAtomicFile(resultsPath), { signal: io.signal });
    const rules = rulesOf(options);
    const ids = new Set<string>();
    const retried = new SummaryBuilder();
    for await (const { bytes } of readLines(openSource(resultsPath))) {
      if (bytes.length === 0) continue;
      const facts = resultFacts(JSON.parse(decodeUtf8(bytes) ?? 'null'));
      if (shouldRetry(facts, rules)) {
        ids.add(facts.custom_id);
        retried.add(facts);
      }
    }
    if (ids.size === 0) {
      println(
        io.stderr,
        `Nothing to retry in ${id} (rules: ${[...rules.errorTypes].join(', ')}${rules.expired ? ', expired' : ''}${rules.canceled ? ', canceled' : ''}).`,
      );
      return ExitCode.OK;
    }
    const file = join(dir, 'retry.jsonl');
    const copied = await extractRequests(options.requests, ids, file);
    if (copied !== ids.size) {
      throw new UsageError(
        `${options.requests} holds ${copied} of the ${ids.size} requests to retry`,
        'give the request file the batch was made from',
      );
    }
    const { batch } = await submitRequests(
      client,
      { path: file, name: 'retry requests' },
      { signal: io.signal },
    );
    println(io.stdout, options.json ? JSON.stringify(batch, null, 2) : (batch?.id ?? ''));
    println(io.stderr, `✓ Resubmitted ${n(copied)} requests of ${id} as ${batch?.id}. Most common errors:`);
    for (const line of topErrorLines(retried.build().topErrors)) println(io.stderr, line);
    println(io.stderr, `Next: claude-batch monitor ${batch?.id}`);
    return ExitCode.OK;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `retry JOB`: new attempts for the retryable results of every shard, then wait, download and merge. */
async function retryJob(ctx: Context, job: string, options: Options) {
  const { io } = ctx;
  const { dir, manifest } = await locateJob(io.cwd, job);
  const client = await ctx.client();
  const opts = {
    cwd: io.cwd,
    input: manifest.input.path,
    intervalMs: options.interval,
    timeoutMs: options.timeout,
    signal: io.signal,
    onEvent: jobReporter(ctx, options, manifest),
  };
  if (!jobComplete(manifest)) {
    // What failed is known only once every batch has ended and its results are down.
    println(io.stderr, `Job ${manifest.job_id} has results still to come: waiting for them first.`);
    await submitPending(client, dir, manifest, opts);
    await finishAttempts(client, dir, manifest, opts);
  }
  const plan = await planRetries(dir, manifest, rulesOf(options), options.maxAttempts);
  writeManifest(dir, manifest);
  if (plan.requests === 0) {
    println(
      io.stderr,
      plan.exhausted > 0
        ? `Nothing retried: ${plan.exhausted} shard(s) already used ${options.maxAttempts} attempts.`
        : `Nothing to retry in job ${manifest.job_id}.`,
    );
    return ExitCode.OK;
  }
  println(
    io.stderr,
    `Retrying ${n(plan.requests)} requests in ${plan.shards} shard(s) of job ${manifest.job_id}. Most common errors:`,
  );
  for (const line of topErrorLines(plan.retried.topErrors)) println(io.stderr, line);
  if (plan.retried.expired) println(io.stderr, `  ${n(plan.retried.expired)} × expired`);
  if (plan.retried.canceled) println(io.stderr, `  ${n(plan.retried.canceled)} × canceled`);
  try {
    await submitPending(client, dir, manifest, opts);
  } catch (error) {
    // A retry whose create was never sent is taken back, so the job does not stay stuck on it.
    for (const shard of manifest.shards) {
      const last = shard.attempts.at(-1);
      if (last && last.number > 1 && !last.batch_id && !last.intent_at) shard.attempts.pop();
    }
    writeManifest(dir, manifest);
    throw error;
  }

  await finishAttempts(client, dir, manifest, opts);
  const output = options.results ?? join(dir, 'results.jsonl');
  const summary = await mergeResults(
    dir,
    manifest,
    await openAtomicFile(output, {
      force: options.results === undefined || options.force === true,
      flag: '--results',
    }),
  );
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
  if (id.startsWith('msgbatch_')) return retryBatch(ctx, id, options);
  return retryJob(ctx, id, options);
}
