import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { loadPrices } from '../core/cost/prices.js';
import { UsageError } from '../core/errors.js';
import { downloadResults } from '../core/results/download.js';
import { loadOutputSpecs, type OutputSpecs } from '../core/results/output.js';
import { openResultsDatabase, type ResultsDatabase } from '../core/results/sqlite.js';
import type { ResultsSummary } from '../core/results/summary.js';
import type { Context } from './context.js';
import { n } from './format.js';
import { println } from './io.js';
import { pricesPath } from './prices.js';
import { startProgress } from './progress.js';
import { costRecord, costText } from './render-cost.js';
import { summaryText } from './render-results.js';

/** The database `--format sqlite` writes: -o FILE is required (a database is not a stream). */
export function sqliteTarget(ctx: Context, output: string | undefined): string {
  if (output === undefined || output === '-') {
    throw new UsageError(
      '--format sqlite writes a database file: give -o FILE',
      'e.g. claude-batch results ID --format sqlite -o results.db',
    );
  }
  return resolve(ctx.io.cwd, output);
}

/**
 * Opens the database, lets `fill` add the results, then closes it (rows already committed stay
 * on an error: a re-export replaces them). Returns what `fill` returned and the summary.
 */
export async function intoDatabase<T>(
  path: string,
  fill: (db: ResultsDatabase) => Promise<T>,
  /** Structured answers asked for: their columns in the table. */
  outputs?: OutputSpecs | undefined,
): Promise<{ value: T; summary: ResultsSummary; rows: number }> {
  const db = await openResultsDatabase(path, { outputs });
  try {
    const value = await fill(db);
    const rows = db.rows;
    return { value, summary: db.finish(), rows };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Streams a results file (as downloaded) into the database, all its results from `batchId`. */
export async function addResultsFile(
  db: ResultsDatabase,
  file: string,
  batchId: string | null,
): Promise<void> {
  const sink = db.sink(batchId);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }))
    await sink.write(chunk as Buffer);
  await sink.commit();
}

/** The end of an export: the summary and cost on stderr (or as JSON on stdout with --json). */
export async function printExport(
  ctx: Context,
  done: { summary: ResultsSummary; rows: number; path: string; label: Record<string, string> },
  options: { json?: boolean | undefined; prices?: string | undefined },
): Promise<number> {
  const { io } = ctx;
  const prices = await loadPrices(pricesPath(ctx, options.prices));
  if (options.json) {
    const record = {
      ...done.label,
      output: done.path,
      format: 'sqlite',
      ...done.summary,
      cost: costRecord(done.summary, prices),
    };
    println(io.stdout, JSON.stringify(record, null, 2));
  } else {
    println(io.stderr, summaryText(done.summary));
    println(io.stderr, costText(done.summary, prices));
    println(io.stderr, `Wrote ${n(done.rows)} rows into table results of ${done.path}`);
  }
  if (done.summary.total > 0 && done.summary.succeeded === 0) {
    println(io.stderr, 'warning: no request succeeded');
    return 1;
  }
  return 0;
}

/** `results ID --format sqlite -o FILE`: the batch's results, streamed into the database. */
export async function batchToSqlite(
  ctx: Context,
  id: string,
  options: {
    output?: string | undefined;
    json?: boolean | undefined;
    prices?: string | undefined;
    schema?: string | undefined;
    requests?: string | undefined;
  },
): Promise<number> {
  const { io } = ctx;
  const path = sqliteTarget(ctx, options.output);
  // What structured answers were asked for (--schema, or the requests'): their columns.
  const outputs = await loadOutputSpecs({ schema: options.schema, requests: options.requests }, io.cwd);
  const client = await ctx.client();
  const progress = await startProgress(io, `Downloading results of ${id}…`, options);
  try {
    const done = await intoDatabase(
      path,
      (db) =>
        downloadResults(client, id, db.sink(id), {
          format: 'jsonl',
          signal: io.signal,
          onProgress: (count) => progress.update(`Downloading results of ${id}… ${n(count)}`),
          onNotice: (message) => {
            progress.stop();
            println(io.stderr, `note: ${message}`);
          },
        }),
      outputs,
    );
    progress.stop();
    return await printExport(
      ctx,
      { summary: done.value.summary, rows: done.rows, path, label: { batch_id: id } },
      options,
    );
  } finally {
    progress.stop();
  }
}
