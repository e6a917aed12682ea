import { resolve } from 'node:path';
import { existingMapPathFor } from '../core/builder/sidecar.js';
import type { SplitBy } from '../core/builder/text.js';
import { UsageError } from '../core/errors.js';
import { openAtomicFile, type Sink, streamSink } from '../core/fs/atomic-file.js';
import { joinBatchResults, joinProduced } from '../core/join/batch.js';
import { type JoinFormat, type JoinSource, type JoinSummary, joinResults } from '../core/join/join.js';
import { downloadResults } from '../core/results/download.js';
import { loadOutputSpecs } from '../core/results/output.js';
import { discardSink, type ResultsDatabase, teeSink } from '../core/results/sqlite.js';
import type { Context } from './context.js';
import { count, n, pct } from './format.js';
import { println } from './io.js';
import { startProgress } from './progress.js';
import { outputsLine } from './render-results.js';
import { addResultsFile, intoDatabase, sqliteTarget } from './sqlite-output.js';

/** The options of `results ID --join INPUT` (the rest of `results`' options pass through). */
export interface JoinCliOptions {
  /** The input build read. */
  join: string;
  /** The sidecar build wrote; or give --requests and it is derived. */
  map?: string;
  /** The request file build wrote (its sidecar is `X.map`, or an older build's `X.map.jsonl`). */
  requests?: string;
  /** A results file to read (from `monitor --results` or `results -o`) instead of downloading. */
  from?: string;
  /** A JSON Schema every answer is checked against (instead of the requests' own). */
  schema?: string;
  joinSource?: string;
  delimiter?: string;
  splitBy?: string;
  format?: string;
  output?: string;
  force?: boolean;
  json?: boolean;
}

/** For `results` without --join: refuses the join-only flags instead of ignoring them. */
export function checkJoinFlags(options: Partial<JoinCliOptions>): void {
  if (options.join !== undefined) return;
  // --requests and --schema also say what structured answers were asked for (compact, csv, sqlite).
  const flat = options.format === 'compact' || options.format === 'csv' || options.format === 'sqlite';
  if (!flat && options.schema !== undefined) {
    throw new UsageError(
      '--schema needs --format compact, csv or sqlite, or --join INPUT',
      'e.g. claude-batch results ID --schema schema.json --format csv -o answers.csv',
    );
  }
  const given: string[] = (
    [
      ['--map', options.map],
      ['--requests', flat ? undefined : options.requests],
      ['--from', options.from],
      ['--join-source', options.joinSource],
      ['--delimiter', options.delimiter],
      ['--split-by', options.splitBy],
    ] as const
  )
    .filter(([, value]) => value !== undefined)
    .map(([flag]) => flag);
  if (given.length > 0) {
    throw new UsageError(
      `${given.join(', ')} ${given.length === 1 ? 'needs' : 'need'} --join INPUT`,
      options.from !== undefined
        ? 'e.g. claude-batch results --join data.csv --requests requests.jsonl --from results.jsonl --format csv -o joined.csv'
        : 'e.g. claude-batch results ID --join data.csv --requests requests.jsonl --format csv -o joined.csv',
    );
  }
}

/**
 * Which sidecar to read: --map as given, else the one build wrote beside --requests
 * (`requests.jsonl.map`, or `requests.map.jsonl` from an older build), looked for under `cwd`.
 */
export function joinMapPath(options: Pick<JoinCliOptions, 'map' | 'requests'>, cwd?: string): string {
  if (options.map !== undefined && options.requests !== undefined) {
    throw new UsageError('--map and --requests cannot be used together', 'give one of them');
  }
  if (options.map !== undefined) return options.map;
  if (options.requests !== undefined) return existingMapPathFor(options.requests, cwd);
  throw new UsageError(
    '--join needs the map build wrote: --map FILE, or --requests FILE to use FILE.map',
    'e.g. claude-batch results ID --join data.csv --requests requests.jsonl --format csv -o joined.csv',
  );
}

/** The stderr lines after a join. */
/**
 * Says how a join went: the summary as JSON on stdout (`json` fields first, the summary, then
 * `jsonAfter`), or as text on stderr with the `wrote` line; exit 1 when no request succeeded.
 */
function reportJoin(
  io: Context['io'],
  asJson: boolean | undefined,
  summary: JoinSummary,
  say: { json: Record<string, unknown>; jsonAfter?: Record<string, unknown>; wrote: string | undefined },
): number {
  if (asJson) {
    println(io.stdout, JSON.stringify({ ...say.json, ...summary, ...say.jsonAfter }, null, 2));
  } else {
    for (const line of joinSummaryText(summary)) println(io.stderr, line);
    if (say.wrote) println(io.stderr, say.wrote);
  }
  if (summary.results.total > 0 && summary.results.succeeded === 0) {
    println(io.stderr, 'warning: no request succeeded');
    return 1;
  }
  return 0;
}

export function joinSummaryText(s: JoinSummary): string[] {
  const r = s.results;
  const lines = [
    `Joined: ${count(s.rows, 'row')} · ${n(s.joined)} with a result · ${n(s.withoutResult)} without`,
    `Results: ${n(r.total)} · ${n(r.succeeded)} succeeded · ${n(r.errored)} errored · ${n(r.canceled)} canceled · ${n(r.expired)} expired · success rate ${pct(r.successRate)}`,
  ];
  for (const e of r.topErrors) lines.push(`  ${n(e.count)} × ${e.type}: ${e.message}`);
  const outputs = outputsLine(r);
  if (outputs) lines.push(outputs);
  if (s.unmatchedResults > 0) {
    lines.push(
      `warning: ${count(s.unmatchedResults, 'result')} with a custom_id not in the map (e.g. ${s.unmatchedIds.join(', ')}); they are not in the output`,
    );
  }
  if (s.resultsBeyondInput > 0) {
    lines.push(
      `warning: ${count(s.resultsBeyondInput, 'result')} for rows past the end of the input (has it changed since build?)`,
    );
  }
  if (s.unevenRows > 0) {
    lines.push(`warning: ${count(s.unevenRows, 'row')} with more or fewer fields than the header`);
  }
  if (s.missingResults > 0) {
    lines.push(
      `warning: ${count(s.missingResults, 'request')} of the map with no result (are these the results of the whole batch?)`,
    );
  }
  if (s.repeatedResults > 0)
    lines.push(`note: ${count(s.repeatedResults, 'repeated result')} (the last one was kept)`);
  return lines;
}

/** Where a join's results come from: a batch to download, a producer (a job's merge), or a file. */
export type JoinFrom =
  | string
  | {
      label: string;
      produce: (sink: Sink) => Promise<unknown>;
      defaultMap?: string;
      /** The request files the results answer (a job's shards): what structured answers were asked for. */
      requests?: string[];
      /** For `--format sqlite`: adds the results to the database with their batch ids. */
      addTo?: (db: ResultsDatabase) => Promise<void>;
    }
  | { label: string; file: string };

/**
 * `results ID --join INPUT [--map FILE | --requests FILE]`: downloads the batch's results (or
 * reads a results file: `--from FILE`) and writes the input's rows, in order, with their result
 * columns (csv or jsonl) to -o FILE (atomically) or stdout; a summary on stderr (or as JSON on
 * stdout with --json and -o).
 */
export async function joinToOutput(ctx: Context, from: JoinFrom, options: JoinCliOptions): Promise<number> {
  const batchId = typeof from === 'string' ? from : from.label;
  const { io } = ctx;
  const format = (options.format ?? 'jsonl') as JoinFormat;
  if (format !== 'csv' && format !== 'jsonl' && (format as string) !== 'sqlite') {
    // compact has no meaning for joined rows: they keep the input's own shape.
    throw new UsageError(
      `--format ${options.format} cannot be used with --join`,
      'use --format csv, jsonl or sqlite',
    );
  }
  const source = options.joinSource as JoinSource | undefined;
  if (source !== undefined && !['csv', 'json', 'jsonl', 'text'].includes(source)) {
    throw new UsageError(`--join-source ${source}: use csv, json, jsonl or text`);
  }
  const map =
    typeof from !== 'string' &&
    'produce' in from &&
    options.map === undefined &&
    options.requests === undefined &&
    from.defaultMap
      ? from.defaultMap
      : joinMapPath(options, io.cwd);
  if ((format as string) === 'sqlite') return joinToSqlite(ctx, from, options, { map, source });
  const toStdout = options.output === undefined || options.output === '-';
  if (options.json && toStdout) {
    throw new UsageError('--json prints the summary on stdout, so it needs -o FILE for the joined rows');
  }
  const sink: Sink = toStdout
    ? streamSink(io.stdout)
    : await openAtomicFile(resolve(io.cwd, options.output as string), { force: options.force ?? false });
  const progress = await startProgress(
    io,
    typeof from !== 'string' && 'file' in from
      ? `Reading ${from.file}…`
      : `Downloading results of ${batchId}…`,
    options,
  );
  try {
    const joinOptions = {
      outputs: await loadOutputSpecs(
        {
          schema: options.schema,
          requests:
            options.requests ?? (typeof from !== 'string' && 'produce' in from ? from.requests : undefined),
        },
        io.cwd,
      ),
      input: options.join,
      map,
      source,
      format,
      sink,
      delimiter: options.delimiter,
      splitBy: options.splitBy as SplitBy | undefined,
      cwd: io.cwd,
      signal: io.signal,
      onProgress: (phase: 'index' | 'join', count: number) =>
        progress.update(phase === 'index' ? `Indexing results… ${n(count)}` : `Joining rows… ${n(count)}`),
    };
    const { summary } =
      typeof from === 'string'
        ? await joinBatchResults(await ctx.client(), batchId, {
            ...joinOptions,
            // Answers `submit --reuse` reused for this batch's file complete its results.
            extra: ctx.registry().batch(batchId)?.reused_results ?? undefined,
            onDownloadProgress: (count) => progress.update(`Downloading results of ${batchId}… ${n(count)}`),
            onNotice: (message) => {
              progress.stop();
              println(io.stderr, `note: ${message}`);
            },
          })
        : 'file' in from
          ? { summary: await joinResults({ ...joinOptions, results: from.file }) }
          : await joinProduced(from.produce, joinOptions);
    progress.stop();
    const where =
      typeof from !== 'string' && 'file' in from ? { results_file: from.file } : { batch_id: batchId };
    return reportJoin(io, options.json, summary, {
      json: { ...where, input: options.join, map, output: toStdout ? 'stdout' : options.output },
      wrote: toStdout ? undefined : `Wrote ${options.output}`,
    });
  } finally {
    progress.stop();
  }
}

/**
 * `--join INPUT --format sqlite -o FILE`: the results go into the database (with their batch ids),
 * then the join hands over each input row and its columns are set on its result's row. Input rows
 * with no result are not in the table (the summary counts them).
 */
async function joinToSqlite(
  ctx: Context,
  from: JoinFrom,
  options: JoinCliOptions,
  how: { map: string; source: JoinSource | undefined },
): Promise<number> {
  const { io } = ctx;
  const path = sqliteTarget(ctx, options.output);
  const label = typeof from === 'string' ? from : from.label;
  const progress = await startProgress(io, `Joining results of ${label}…`, options);
  try {
    const outputs = await loadOutputSpecs(
      {
        schema: options.schema,
        requests:
          options.requests ?? (typeof from !== 'string' && 'produce' in from ? from.requests : undefined),
      },
      io.cwd,
    );
    const { value: summary, rows } = await intoDatabase(
      path,
      async (db) => {
        await db.readMap(resolve(io.cwd, how.map));
        const joinOptions = {
          input: options.join,
          map: how.map,
          source: how.source,
          format: 'jsonl' as const,
          sink: discardSink(path),
          delimiter: options.delimiter,
          splitBy: options.splitBy as SplitBy | undefined,
          cwd: io.cwd,
          signal: io.signal,
          onRow: (row: number, columns: Record<string, unknown>) => db.addInputRow(row, columns),
          onProgress: (phase: 'index' | 'join', count: number) =>
            progress.update(
              phase === 'index' ? `Indexing results… ${n(count)}` : `Joining rows… ${n(count)}`,
            ),
        };
        if (typeof from === 'string') {
          const client = await ctx.client();
          // One download: each line goes into the database first, then to the join's index.
          const { summary } = await joinProduced(
            (sink) =>
              downloadResults(client, from, teeSink(db.sink(from), sink), {
                signal: io.signal,
                onNotice: (message) => {
                  progress.stop();
                  println(io.stderr, `note: ${message}`);
                },
              }),
            joinOptions,
          );
          return summary;
        }
        if ('file' in from) {
          await addResultsFile(db, resolve(io.cwd, from.file), null);
          return joinResults({ ...joinOptions, results: from.file });
        }
        if (from.addTo) {
          await from.addTo(db);
          return (await joinProduced(from.produce, joinOptions)).summary;
        }
        return (await joinProduced((sink) => from.produce(teeSink(db.sink(null), sink)), joinOptions))
          .summary;
      },
      outputs,
    );
    progress.stop();
    const where =
      typeof from !== 'string' && 'file' in from ? { results_file: from.file } : { batch_id: label };
    return reportJoin(io, options.json, summary, {
      json: { ...where, input: options.join, map: how.map, output: path },
      jsonAfter: { format: 'sqlite' },
      wrote: `Wrote ${n(rows)} rows into table results of ${path}`,
    });
  } finally {
    progress.stop();
  }
}
