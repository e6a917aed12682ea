import { loadPrices } from '../../core/cost/prices.js';
import { UsageError } from '../../core/errors.js';
import { openAtomicFile, type Sink, streamSink } from '../../core/fs/atomic-file.js';
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
    return joinToOutput(ctx, { label: options.from, file: options.from }, { ...options, join: options.join });
  }
  checkJoinFlags(options);
  if (id === undefined) {
    throw new UsageError(
      'results needs a batch id',
      'e.g. claude-batch results ID -o results.jsonl; or, from a results file: claude-batch results --join data.csv --requests requests.jsonl --from results.jsonl',
    );
  }
  if (options.join !== undefined) {
    return joinToOutput(ctx, id, { ...options, join: options.join });
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
      signal: io.signal,
      onProgress: (count) => progress.update(`Downloading results of ${id}… ${n(count)}`),
      onNotice: (message) => {
        progress.stop();
        println(io.stderr, `note: ${message}`);
      },
    });
    progress.stop();
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
