import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { BatchClient } from '../../core/api/client.js';
import type { BuildOptions, BuildSource } from '../../core/builder/build.js';
import { schemaIdentity } from '../../core/builder/output-format.js';
import { actualCost, usd } from '../../core/cost/cost.js';
import { loadPrices, type PriceTable } from '../../core/cost/prices.js';
import { CliError, UsageError } from '../../core/errors.js';
import { assertWritable } from '../../core/fs/atomic-file.js';
import { assertJobWouldResume, jobIdentity } from '../../core/job/identity.js';
import { jobIdFor, jobsRoot, type Manifest, readManifest } from '../../core/job/manifest.js';
import { assertResultsTarget, writeJobResults } from '../../core/job/outputs.js';
import { jobOutputSpecs, previewJob, runJob } from '../../core/job/run.js';
import { buildJobInput } from '../../core/job/source.js';
import { jobJoin, jobSource } from '../../core/report/sources.js';
import { assertReadableFile, formatBytes } from '../../core/requests/file.js';
import type { ResultsSummary } from '../../core/results/summary.js';
import type { ReuseOutcome } from '../../core/reuse/apply.js';
import { buildReuseIndex, invalidNote, skippedNotice } from '../../core/reuse/sources.js';
import type { Context } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { count } from '../format.js';
import { println } from '../io.js';
import { holdingJob } from '../job-lock.js';
import type { OptionsOf } from '../options.js';
import { pricesPath } from '../prices.js';
import type { AnySourceOptions } from '../register-build.js';
import { type RUN_OPTIONS, requestShaping } from '../register-jobs.js';
import { costText } from '../render-cost.js';
import { estimateText } from '../render-estimate.js';
import { jobReporter, retryHint } from '../render-job.js';
import { summaryText } from '../render-results.js';
import { writeReportFile } from '../report-output.js';
import { lossWarnings } from '../watch.js';

/** Options of `run`. */
export type RunOptions = OptionsOf<typeof RUN_OPTIONS>;

/** `run --dry-run`: the shards and the estimate, on stdout; nothing written or sent. */
async function printPreview(
  ctx: Context,
  input: string,
  name: string,
  options: RunOptions,
  prices: PriceTable,
) {
  const { io } = ctx;
  const preview = await previewJob(input, {
    maxRequests: options.maxRequests,
    maxBytes: options.maxBytes,
    prices,
    maxCost: options.maxCost,
  });
  const { shards, estimate } = preview;
  for (const warning of preview.warnings) println(io.stderr, `warning: ${warning}`);
  if (options.json) {
    println(
      io.stdout,
      JSON.stringify({ dry_run: true, requests: preview.requests, shards, estimate }, null, 2),
    );
    return;
  }
  // People's text goes to stderr, as for submit --dry-run; stdout is for data (--json).
  println(io.stderr, `${name}: ${count(preview.requests, 'request')} in ${count(shards.length, 'shard')}`);
  for (const [i, s] of shards.entries()) {
    println(io.stderr, `  shard ${i + 1}: ${count(s.requests, 'request')}, ${formatBytes(s.bytes)}`);
  }
  println(io.stderr, estimateText(estimate));
  println(io.stderr, 'Dry run: nothing was sent.');
}

/** The end of a run: the merged results' summary and cost, and how to retry what failed. */
function printJobSummary(
  ctx: Context,
  done: {
    state: string;
    manifest: Manifest;
    summary: ResultsSummary;
    files: string[];
    /** What `--reuse` did for this new job. */
    reused?: ReuseOutcome | undefined;
  },
  options: RunOptions,
  prices: PriceTable,
  reference: string | undefined,
) {
  const { io } = ctx;
  const { summary, manifest, files } = done;
  // The file the user named (else the job's own) is the one scripts read.
  const output = files.at(-1) as string;
  if (options.json) {
    const record = {
      type: 'summary',
      job_id: manifest.job_id,
      state: done.state,
      results: output,
      results_files: files,
      ...summary,
      ...(done.reused
        ? {
            reused: done.reused.reused,
            reused_cost_usd: actualCost(done.reused.summary.byModel, prices).batch,
          }
        : {}),
    };
    println(io.stdout, JSON.stringify(record));
    return;
  }
  println(io.stderr, summaryText(summary));
  println(io.stderr, costText(summary, prices));
  if (done.reused) {
    const notSpent = actualCost(done.reused.summary.byModel, prices).batch;
    println(
      io.stderr,
      `Reused ${count(done.reused.reused, 'answer')} already paid for: ${usd(notSpent)} not spent again (batch prices; counted in the cost above)`,
    );
  }
  println(io.stderr, `Wrote ${files.join(', ')} (one line per custom_id, each from its latest attempt)`);
  const hint = retryHint(summary, reference ?? options.state ?? manifest.job_id);
  if (hint) println(io.stderr, hint);
}

/**
 * `--reuse [SOURCE]`, for a new job: the index of the answers already paid for (none when the job
 * exists already: it was split when it started, and resumes as it was).
 */
async function reuseIndex(ctx: Context, client: BatchClient, dir: string, options: RunOptions) {
  if (options.reuse === undefined) return undefined;
  if (readManifest(dir)) {
    println(
      ctx.io.stderr,
      'note: --reuse applies to a new job; this one exists already and resumes as it was',
    );
    return undefined;
  }
  const { index, sources, skipped, changed } = await buildReuseIndex(ctx.registry(), {
    baseUrl: client.baseUrl,
    workspace: client.workspace,
    betas: options.beta,
    cwd: ctx.io.cwd,
    from: options.reuse === true ? undefined : options.reuse,
    exclude: dir,
  });
  println(
    ctx.io.stderr,
    `Reuse: ${count(index.size, 'answer')} already paid for, from ${count(sources, 'results file')}`,
  );
  const notice = skippedNotice(skipped, changed);
  if (notice) println(ctx.io.stderr, notice);
  return index;
}

/** Waiting stopped (Ctrl-C, --timeout): the job goes on, and the same command picks it up. */
function continuable(error: unknown): unknown {
  if (error instanceof CliError && (error.kind === 'interrupted' || error.kind === 'timeout')) {
    return new CliError(error.message, {
      kind: error.kind,
      hint: 'the batches keep running; run the same command again to continue the job (it never submits twice)',
    });
  }
  return error;
}

/** Runs a job from a request file: the shared body of `run FILE` and `run <source> INPUT`. */
export async function runRequestFile(
  ctx: Context,
  input: string,
  options: RunOptions,
  shapeOptions: Record<string, unknown> = {},
  /** How the user names this job again (`retry …`): the --state they gave, or the job id. */
  reference?: string,
  /** The input as the user named it (for a build source, the file they gave). */
  inputName?: string,
) {
  const { io } = ctx;
  await assertReadableFile(input, inputName ?? input);
  const prices = await loadPrices(pricesPath(ctx, options.prices));
  const name = inputName ?? input;
  // The betas are part of the job: its batches, resumed or retried, are all sent with them.
  const identity = options.beta?.length ? { ...shapeOptions, beta: options.beta } : shapeOptions;
  const dir = resolve(io.cwd, options.state ?? join(jobsRoot(io.cwd), jobIdFor(input)));
  if (options.dryRun) {
    // A dry run says now what the real run would refuse: a job there with other options or input.
    await assertJobWouldResume(dir, input, name, jobIdentity(identity, options));
    await printPreview(ctx, input, name, options, prices);
    return ExitCode.OK;
  }
  // One job, one runner: another process working on this job is named (or waited for).
  return holdingJob(ctx, dir, `run ${name}`, options.wait, async () => {
    const client = await ctx.client();
    const reporter = await jobReporter(ctx, options);
    const results = options.results === undefined ? undefined : resolve(io.cwd, options.results);
    // Before anything is sent: a file the job already writes is its own; any other needs --force.
    await assertResultsTarget(
      dir,
      readManifest(dir),
      results ?? join(dir, 'results.jsonl'),
      options.force === true,
    );
    if (options.report !== undefined)
      await assertWritable(resolve(io.cwd, options.report), options.force === true, '--report');
    const warned = new Set<string>();
    const reuse = await reuseIndex(ctx, client, dir, options);
    let reused: ReuseOutcome | undefined;
    try {
      const { dir: state, manifest } = await runJob(client, {
        cwd: io.cwd,
        input,
        stateDir: options.state,
        inputName,
        maxRequests: options.maxRequests,
        maxBytes: options.maxBytes,
        options: identity,
        intervalMs: options.interval,
        timeoutMs: options.timeout,
        signal: io.signal,
        onEvent: (event) => {
          if (event.kind === 'reused') {
            reused = event.outcome;
            if (!options.json)
              reporter.say(
                `Reused ${count(reused.reused, 'answer')} already paid for (not sent again); ${count(reused.toSend, 'request')} to send${invalidNote(reused.invalid)}`,
              );
          }
          if (event.kind === 'poll')
            for (const message of lossWarnings(ctx, event.poll.batches, warned, () => false))
              reporter.onEvent({ kind: 'warning', message });
          reporter.onEvent(event);
        },
        maxCost: options.maxCost,
        prices,
        maxQueued: options.maxQueued,
        registry: ctx.registry(),
        origin: { command: 'run', label: options.label },
        reuse,
      });
      const { summary, files } = await writeJobResults(state, manifest, {
        add: results,
        force: options.force,
      });
      reporter.stop();
      printJobSummary(ctx, { state, manifest, summary, files, reused }, options, prices, reference);
      if (options.report !== undefined) {
        const input = {
          results: [files[0] as string],
          source: await jobSource(state, manifest),
          remove: async () => {},
        };
        await writeReportFile(
          ctx,
          input,
          { ...options, output: options.report },
          jobJoin(state, manifest),
          await jobOutputSpecs(state, manifest),
        );
      }
      return ExitCode.OK;
    } catch (error) {
      throw continuable(error);
    } finally {
      reporter.stop();
    }
  });
}

/** `run FILE`: split, submit, monitor, download, merge; re-running continues the same job. */
export async function run(ctx: Context, [input]: string[], options: RunOptions) {
  // Paths are the user's, relative to where they are (the process's folder for the CLI).
  return runRequestFile(ctx, resolve(ctx.io.cwd, input as string), options, {}, undefined, input);
}

/**
 * `run <source> INPUT …`: builds the requests into the job folder (the same options as `build`),
 * then runs them as a job. The build options are part of the job: a re-run with others is refused.
 */
export function runSource(source: Exclude<BuildSource, 'openai'>) {
  return async (ctx: Context, [input]: string[], options: RunOptions & AnySourceOptions) => {
    const { io } = ctx;
    const path = input as string;
    if (path === '-')
      throw new UsageError('run reads its input twice (to build, and to resume): give a file, not -');
    const absolute = resolve(io.cwd, path);
    await assertReadableFile(absolute, path);
    const dir = resolve(io.cwd, options.state ?? join(jobsRoot(io.cwd), jobIdFor(`${absolute}#${source}`)));
    // The job's identity: the options marked as shaping the requests, in their table's order.
    const shape = Object.fromEntries(
      requestShaping(source)
        .filter((key) => key in options)
        .map((key) => [key, (options as Record<string, unknown>)[key]]),
    );
    // The schema's bytes are part of the job: an edited schema file is another job.
    const identity = {
      source,
      input: absolute,
      ...shape,
      ...(typeof shape.schema === 'string' ? { schema: await schemaIdentity(shape.schema, io.cwd) } : {}),
      ...(options.beta?.length ? { beta: options.beta } : {}),
    };
    const buildAndRun = async () => {
      const { requests, built, discard } = await buildJobInput(
        {
          ...(shape as Partial<BuildOptions>),
          source,
          input: path,
          env: io.env,
          cwd: io.cwd,
          signal: io.signal,
          onModuleOutput: (text: string) => io.stderr.write(text),
        },
        {
          dir,
          options: identity,
          maxRequests: options.maxRequests,
          maxBytes: options.maxBytes,
          dryRun: options.dryRun,
        },
      );
      try {
        println(
          io.stderr,
          `Built ${count(built.requests, 'request')} from ${path}${discard ? ' (dry run: not kept)' : ` (map: ${built.map})`}`,
        );
        return await runRequestFile(
          ctx,
          requests,
          { ...options, state: dir },
          identity,
          options.state ?? basename(dir),
          path,
        );
      } finally {
        await discard?.();
      }
    };
    if (options.dryRun) return buildAndRun();
    await mkdir(dir, { recursive: true });
    // Held from before the build: the build writes the job's input file.
    return holdingJob(ctx, dir, `run ${source} ${path}`, options.wait, buildAndRun);
  };
}
