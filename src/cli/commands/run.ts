import { mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type BuildOptions, type BuildSource, buildRequestFile } from '../../core/builder/build.js';
import { loadPrices } from '../../core/cost/prices.js';
import { CliError, UsageError } from '../../core/errors.js';
import { openAtomicFile } from '../../core/fs/atomic-file.js';
import { jobIdFor, jobsRoot } from '../../core/job/manifest.js';
import { previewJob, runJob } from '../../core/job/run.js';
import { assertReadableFile, formatBytes } from '../../core/requests/file.js';
import type { Context } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { count, n } from '../format.js';
import { println } from '../io.js';
import { pricesPath } from '../prices.js';
import { costText } from '../render-cost.js';
import { estimateText } from '../render-estimate.js';
import { jobReporter } from '../render-job.js';
import { summaryText } from '../render-results.js';

/** Options of `run`. */
export interface RunOptions {
  state?: string;
  results?: string;
  maxRequests?: number;
  maxBytes?: number;
  interval?: number;
  timeout?: number;
  dryRun?: boolean;
  maxCost?: number;
  prices?: string;
  force?: boolean;
  json?: boolean;
}

/** Runs a job from a request file: the shared body of `run FILE` and `run <source> INPUT`. */
export async function runRequestFile(
  ctx: Context,
  input: string,
  options: RunOptions,
  shapeOptions: Record<string, unknown> = {},
  /** How the user names this job again (`retry …`): the --state they gave, or the job id. */
  reference?: string,
) {
  const { io } = ctx;
  await assertReadableFile(input);
  const limits = { maxRequests: options.maxRequests, maxBytes: options.maxBytes };
  const dir = options.state ?? join(jobsRoot(io.cwd), jobIdFor(input));
  const prices = await loadPrices(pricesPath(ctx, options.prices));

  if (options.dryRun) {
    const preview = await previewJob(input, { ...limits, prices, maxCost: options.maxCost });
    const { shards, estimate } = preview;
    if (options.json) {
      println(
        io.stdout,
        JSON.stringify({ dry_run: true, requests: preview.requests, shards, estimate }, null, 2),
      );
    } else {
      println(io.stdout, `${input}: ${n(preview.requests)} requests in ${shards.length} shard(s)`);
      for (const [i, s] of shards.entries()) {
        println(io.stdout, `  shard ${i + 1}: ${count(s.requests, 'request')}, ${formatBytes(s.bytes)}`);
      }
      println(io.stdout, estimateText(estimate));
      println(io.stderr, 'Dry run: nothing was sent.');
    }
    return ExitCode.OK;
  }

  const client = await ctx.client();
  const output = options.results ?? join(resolve(io.cwd, dir), 'results.jsonl');
  const ownOutput = options.results === undefined;
  if (ownOutput) await mkdir(dirname(output), { recursive: true });
  const sink = await openAtomicFile(output, {
    force: ownOutput || options.force === true,
    flag: '--results',
  });
  try {
    const {
      dir: jobDir,
      manifest,
      summary,
    } = await runJob(client, {
      cwd: io.cwd,
      input,
      stateDir: options.state,
      ...limits,
      options: shapeOptions,
      intervalMs: options.interval,
      timeoutMs: options.timeout,
      signal: io.signal,
      onEvent: jobReporter(ctx, options),
      output: sink,
      maxCost: options.maxCost,
      prices,
    });
    if (!summary) return ExitCode.OK;
    if (options.json) {
      println(
        io.stdout,
        JSON.stringify({
          type: 'summary',
          job_id: manifest.job_id,
          state: jobDir,
          results: output,
          ...summary,
        }),
      );
    } else {
      println(io.stderr, summaryText(summary));
      println(io.stderr, costText(summary, prices));
      println(io.stderr, `Wrote ${output} (one line per custom_id)`);
      if (summary.errored + summary.expired + summary.canceled > 0) {
        println(
          io.stderr,
          `Retry what failed: claude-batch retry ${reference ?? options.state ?? manifest.job_id}`,
        );
      }
    }
    return ExitCode.OK;
  } catch (error) {
    await sink.abort();
    // Waiting stopped (Ctrl-C, --timeout): the job goes on, and the same command picks it up.
    if (error instanceof CliError && (error.kind === 'interrupted' || error.kind === 'timeout')) {
      throw new CliError(error.message, {
        kind: error.kind,
        hint: 'the batches keep running; run the same command again to continue the job (it never submits twice)',
      });
    }
    throw error;
  }
}

/** `run FILE`: split, submit, monitor, download, merge; re-running continues the same job. */
export async function run(ctx: Context, [input]: string[], options: RunOptions) {
  return runRequestFile(ctx, input as string, options);
}

/** Flags of `run` itself, which do not shape the requests. */
const RUN_ONLY = new Set([
  'state',
  'results',
  'maxRequests',
  'maxBytes',
  'interval',
  'timeout',
  'dryRun',
  'maxCost',
  'prices',
  'force',
  'json',
  'baseUrl',
  'workspace',
  'verbose',
]);

/**
 * `run <source> INPUT …`: builds the requests into the job folder (the same options as `build`),
 * then runs them as a job. The build options are part of the job: a re-run with others is refused.
 */
export function runSource(source: BuildSource) {
  return async (ctx: Context, [input]: string[], options: RunOptions & Record<string, unknown>) => {
    const { io } = ctx;
    const path = input as string;
    if (path === '-')
      throw new UsageError('run reads its input twice (to build, and to resume): give a file, not -');
    await assertReadableFile(path);
    const dir = resolve(io.cwd, options.state ?? join(jobsRoot(io.cwd), jobIdFor(`${path}#${source}`)));
    await mkdir(dir, { recursive: true });
    const requests = join(dir, 'input.jsonl');
    const shape = Object.fromEntries(Object.entries(options).filter(([key]) => !RUN_ONLY.has(key)));
    const built = await buildRequestFile({
      ...(shape as Partial<BuildOptions>),
      source,
      input: path,
      output: requests,
      map: join(dir, 'input.map.jsonl'),
      force: true,
      env: io.env,
      cwd: io.cwd,
      signal: io.signal,
    });
    println(io.stderr, `Built ${n(built.requests)} requests from ${path} (map: ${built.map})`);
    return runRequestFile(
      ctx,
      requests,
      { ...options, state: dir },
      { source, input: resolve(io.cwd, path), ...shape },
      options.state ?? basename(dir),
    );
  };
}
