import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SplitBy } from '../../core/builder/text.js';
import { CliError, UsageError } from '../../core/errors.js';
import { assertWritable } from '../../core/fs/atomic-file.js';
import type { Manifest } from '../../core/job/manifest.js';
import { jobOutputSpecs } from '../../core/job/run.js';
import { assertJobComplete, inputReadingOf } from '../../core/job/state.js';
import { checkJoinOptions, type JoinSource } from '../../core/join/join.js';
import { findJob } from '../../core/registry/jobs.js';
import type { ReportJoin } from '../../core/report/report.js';
import { batchesInput, fileInput, jobInput, jobJoin, type ReportInput } from '../../core/report/sources.js';
import { loadOutputSpecs, type OutputSpecs } from '../../core/results/output.js';
import type { Context } from '../context.js';
import { println } from '../io.js';
import { checkJoinFlags, joinMapPath } from '../join-output.js';
import type { OptionsOf } from '../options.js';
import type { REPORT_OPTIONS } from '../register-batches.js';
import { writeReportFile } from '../report-output.js';

type Options = OptionsOf<typeof REPORT_OPTIONS>;

/** The join the flags ask for (`--join INPUT` with `--map` or `--requests`), with a job's own map as the default. */
function askedJoin(
  ctx: Context,
  options: Options,
  ownMap?: string,
  manifest?: Manifest,
): ReportJoin | undefined {
  if (options.join === undefined) return undefined;
  const map =
    options.map === undefined && options.requests === undefined && ownMap !== undefined
      ? ownMap
      : joinMapPath(options, ctx.io.cwd);
  const reading = manifest
    ? inputReadingOf(manifest, {
        ...(options.joinSource === undefined ? {} : { source: options.joinSource as JoinSource }),
        ...(options.delimiter === undefined ? {} : { delimiter: options.delimiter }),
        ...(options.splitBy === undefined ? {} : { splitBy: options.splitBy }),
      })
    : { source: options.joinSource, delimiter: options.delimiter, splitBy: options.splitBy };
  return {
    input: options.join,
    map,
    source: reading.source as JoinSource | undefined,
    delimiter: reading.delimiter,
    splitBy: reading.splitBy as SplitBy | undefined,
  };
}

/** A job by id or folder, here or in the registry (as `job status`), or undefined when there is none by that name. */
async function jobNamed(ctx: Context, ref: string) {
  try {
    return await findJob(ctx.io.cwd, ref, ctx.registry());
  } catch (error) {
    if (error instanceof CliError && error.kind === 'not-found') return undefined;
    throw error;
  }
}

/** `report ID|JOB|FILE -o report.html`: one self-contained HTML page about the results. */
export async function run(ctx: Context, [ref]: string[], options: Options) {
  const { io } = ctx;
  if (options.output === undefined) {
    throw new UsageError(
      'report needs -o FILE.html',
      `e.g. claude-batch report ${ref ?? 'ID'} -o report.html`,
    );
  }
  // --requests and --schema also say what structured answers were asked for, with or without --join.
  checkJoinFlags({ ...options, requests: undefined, schema: undefined });
  const target = ref as string;
  if (options.output !== '-') await assertWritable(resolve(io.cwd, options.output), options.force === true);
  const file = await stat(resolve(io.cwd, target)).catch(() => undefined);
  let input: ReportInput;
  let join: ReportJoin | undefined;
  // What structured answers were asked for: --schema, else --requests, else a job's own requests.
  const asked = () => loadOutputSpecs({ schema: options.schema, requests: options.requests }, io.cwd);
  let outputs: OutputSpecs | undefined;
  if (file?.isFile()) {
    join = askedJoin(ctx, options);
    outputs = await asked();
    input = fileInput(target);
  } else {
    const job = await jobNamed(ctx, target);
    if (job) {
      assertJobComplete(job.manifest, job.dir);
      const own = jobJoin(job.dir, job.manifest);
      join = askedJoin(ctx, options, own?.map, job.manifest) ?? own;
      outputs =
        options.schema === undefined && options.requests === undefined
          ? await jobOutputSpecs(job.dir, job.manifest)
          : await asked();
      input = await jobInput(job.dir, job.manifest);
    } else {
      join = askedJoin(ctx, options);
      outputs = await asked();
      // The input and map are checked before the download, not after it.
      if (join) join.prepared = await checkJoinOptions({ ...join, format: 'jsonl', cwd: io.cwd });
      input = await batchesInput(await ctx.client(), [target], {
        signal: io.signal,
        onNotice: (message) => println(io.stderr, `note: ${message}`),
      });
    }
  }
  await writeReportFile(ctx, input, { ...options, output: options.output }, join, outputs);
  return 0;
}
