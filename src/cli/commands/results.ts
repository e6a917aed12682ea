import { resolve } from 'node:path';
import { loadPrices } from '../../core/cost/prices.js';
import { UsageError } from '../../core/errors.js';
import { openAtomicFile, type Sink, streamSink } from '../../core/fs/atomic-file.js';
import { recordDownload } from '../../core/registry/record.js';
import type { BatchEntry } from '../../core/registry/registry.js';
import { downloadResults, type ResultsFormat } from '../../core/results/download.js';
import { loadOutputSpecs } from '../../core/results/output.js';
import type { Context } from '../context.js';
import { n } from '../format.js';
import { println } from '../io.js';
import { checkJoinFlags, joinToOutput } from '../join-output.js';
import type { OptionsOf } from '../options.js';
import { pricesPath } from '../prices.js';
import { startProgress } from '../progress.js';
import type { RESULTS_OPTIONS } from '../register-batches.js';
import { costRecord, costText } from '../render-cost.js';
import { summaryText } from '../render-results.js';
import { batchToSqlite } from '../sqlite-output.js';

type Options = OptionsOf<typeof RESULTS_OPTIONS>;

/**
 * `--join` without --map or --requests: the map the registry recorded for the batch (or for the
 * batch whose results were downloaded to the --from file). The join still checks that the map
 * was built from this input (its header's size and sha256).
 */
function registeredMap(
  ctx: Context,
  options: Options,
  of: { id: string } | { resultsFile: string },
): { map?: string } {
  if (options.map !== undefined || options.requests !== undefined) return {};
  const registry = ctx.registry();
  let entry: BatchEntry | undefined;
  if ('id' in of) entry = registry.batch(of.id);
  else {
    const file = resolve(ctx.io.cwd, of.resultsFile);
    entry = [...registry.read().batches.values()].find((b) => b.results_files.includes(file));
  }
  if (entry?.map) {
    println(ctx.io.stderr, `note: joining with the map the registry recorded for ${entry.id}: ${entry.map}`);
    return { map: entry.map };
  }
  const what = 'id' in of ? `batch ${of.id}` : `the results in ${of.resultsFile}`;
  throw new UsageError(
    `--join needs the map build wrote, and the registry knows none for ${what}`,
    'give --map FILE, or --requests FILE to use FILE.map',
  );
}

/** `results ID`: streams every result to a file (atomically) or stdout, then a summary on stderr. */
export async function run(ctx: Context, [id]: string[], options: Options) {
  const { io } = ctx;
  if (options.from !== undefined && options.join !== undefined) {
    if (id !== undefined) {
      throw new UsageError(
        `--from reads the results from ${options.from}: give no batch id (${id})`,
        'a results file does not name its batch, so the id could not be checked; drop it',
      );
    }
    return joinToOutput(
      ctx,
      { label: options.from, file: options.from },
      { ...options, ...registeredMap(ctx, options, { resultsFile: options.from }), join: options.join },
    );
  }
  checkJoinFlags(options);
  if (id === undefined) {
    throw new UsageError(
      'results needs a batch id',
      'e.g. claude-batch results ID -o results.jsonl; or, from a results file: claude-batch results --join data.csv --requests requests.jsonl --from results.jsonl',
    );
  }
  if (options.join !== undefined) {
    const code = await joinToOutput(ctx, id, {
      ...options,
      ...registeredMap(ctx, options, { id }),
      join: options.join,
    });
    recordDownload(ctx.registry(), id);
    return code;
  }
  if (options.format === 'sqlite') return batchToSqlite(ctx, id, options);
  const format = options.format as ResultsFormat;
  const toStdout = options.output === undefined || options.output === '-';
  if (options.json && toStdout) {
    throw new UsageError('--json prints the summary on stdout, so it needs -o FILE for the results');
  }
  const outputs =
    format === 'jsonl'
      ? undefined
      : await loadOutputSpecs({ schema: options.schema, requests: options.requests }, io.cwd);
  const client = await ctx.client();
  const sink: Sink = toStdout
    ? streamSink(io.stdout)
    : await openAtomicFile(options.output as string, options);
  const progress = await startProgress(io, `Downloading results of ${id}…`, options);
  try {
    const { summary } = await downloadResults(client, id as string, sink, {
      format,
      outputs,
      extra: ctx.registry().batch(id as string)?.reused_results ?? undefined,
      signal: io.signal,
      onProgress: (count) => progress.update(`Downloading results of ${id}… ${n(count)}`),
      onNotice: (message) => {
        progress.stop();
        println(io.stderr, `note: ${message}`);
      },
    });
    progress.stop();
    recordDownload(ctx.registry(), id as string, toStdout ? undefined : sink.target);
    const prices = await loadPrices(pricesPath(ctx, options.prices));
    if (options.json) {
      const record = { batch_id: id, output: sink.target, ...summary, cost: costRecord(summary, prices) };
      println(io.stdout, JSON.stringify(record, null, 2));
    } else {
      println(io.stderr, summaryText(summary));
      println(io.stderr, costText(summary, prices));
      if (!toStdout) println(io.stderr, `Wrote ${sink.target}`);
    }
    if (summary.total > 0 && summary.succeeded === 0) {
      println(io.stderr, 'warning: no request succeeded');
      return 1;
    }
    return 0;
  } finally {
    progress.stop();
  }
}
