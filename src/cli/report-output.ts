import { resolve } from 'node:path';
import { loadPrices } from '../core/cost/prices.js';
import { openAtomicFile, type Sink, streamSink } from '../core/fs/atomic-file.js';
import { type ReportJoin, writeReport } from '../core/report/report.js';
import type { ReportInput } from '../core/report/sources.js';
import { formatBytes } from '../core/requests/file.js';
import type { OutputSpecs } from '../core/results/output.js';
import type { Context } from './context.js';
import { n } from './format.js';
import { println } from './io.js';
import { pricesPath } from './prices.js';
import { startProgress } from './progress.js';
import { outputsLine } from './render-results.js';

/** How a report is written, whichever command writes it. */
export interface ReportFileOptions {
  /** The HTML file (`-` for stdout). */
  output: string;
  force?: boolean | undefined;
  full?: boolean | undefined;
  prices?: string | undefined;
  json?: boolean | undefined;
}

/**
 * Writes the report of `input` to its file (atomically) and says so on stderr; always removes
 * the input's temporary files. `join` adds the input's rows and columns; `outputs` (what
 * structured answers were asked for) the per-field summaries and each row's output_error.
 */
export async function writeReportFile(
  ctx: Context,
  input: ReportInput,
  options: ReportFileOptions,
  join?: ReportJoin,
  outputs?: OutputSpecs,
): Promise<void> {
  const { io } = ctx;
  const progress = await startProgress(io, 'Writing the report…', options);
  try {
    const prices = await loadPrices(pricesPath(ctx, options.prices));
    const toStdout = options.output === '-';
    const sink: Sink = toStdout
      ? streamSink(io.stdout)
      : await openAtomicFile(resolve(io.cwd, options.output), { force: options.force === true });
    const { data, summary, bytes } = await writeReport({
      results: input.results,
      source: input.source,
      prices,
      sink,
      full: options.full,
      join,
      outputs,
      cwd: io.cwd,
      signal: io.signal,
      now: ctx.now,
      onProgress: (count) => progress.update(`Writing the report… ${n(count)} results`),
    });
    progress.stop();
    const c = data.counts;
    println(
      io.stderr,
      `Report: ${n(c.total)} results · ${n(c.succeeded)} succeeded · ${n(c.errored)} errored · ${n(c.canceled)} canceled · ${n(c.expired)} expired · ${n(data.table.rows)} rows · cost ${data.cost.batch_text} (standard ${data.cost.standard_text})`,
    );
    const structured = outputsLine(summary);
    if (structured) println(io.stderr, structured);
    if (!toStdout)
      println(io.stderr, `Wrote ${options.output} (${formatBytes(bytes)}): open it in a browser`);
  } finally {
    progress.stop();
    await input.remove();
  }
}
