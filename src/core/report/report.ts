/**
 * `report`: one self-contained HTML file about a results set (see data.ts for what it holds and
 * html.ts for the page). The results are streamed once: each line adds to the figures and, unless
 * an input is joined, becomes a table row written to the file at once. With an input joined, the
 * rows come from the join (`joinResults`, with all its checks), in input order, each with its
 * input's cells and its custom_id from the map. With `outputs` (what structured answers were
 * asked for), each answer is checked once more here: its output_error goes in its row, and its
 * fields into the summaries (fields.ts). Memory: the figures (constant, field summaries capped),
 * 8 bytes a result for the histograms (and a number a numeric field), the map's ids when joined,
 * and output buffered in 1 MB chunks.
 */

import { createReadStream } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { isMapHeader } from '../builder/sidecar.js';
import type { SplitBy } from '../builder/text.js';
import type { PriceTable } from '../cost/prices.js';
import { InputError, InterruptedError, UsageError } from '../errors.js';
import type { Sink } from '../fs/atomic-file.js';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';
import { ChunkWriter } from '../fs/streams.js';
import { isRecord } from '../is-record.js';
import {
  checkJoinOptions,
  type JoinSource,
  type JoinSummary,
  joinResults,
  type PreparedJoin,
} from '../join/join.js';
import { RESULT_COLUMNS } from '../join/result-index.js';
import { resultFileLine } from '../results/line.js';
import type { OutputSpecs } from '../results/output.js';
import type { ResultsSummary } from '../results/summary.js';
import { cut, ReportBuilder, type ReportData, type ReportSource, reportRow } from './data.js';
import { pageEnd, pageStart, scriptJson } from './html.js';
import { ANSWER_LIMIT } from './limits.js';

/** What to give when a results file holds something else. */
const RESULTS_HINT =
  'give the results as downloaded (monitor --results, or results -o without --format compact)';

/** An input to join, as `results --join` takes it. */
export interface ReportJoin {
  input: string;
  map: string;
  source?: JoinSource | undefined;
  delimiter?: string | undefined;
  splitBy?: SplitBy | undefined;
  /** What `checkJoinOptions` found, when the caller checked the join before fetching results. */
  prepared?: PreparedJoin | undefined;
}

/** Everything one report needs. */
export interface ReportOptions {
  /** Results files (lines as the API sends them), read in turn. */
  results: string[];
  source: ReportSource;
  prices: PriceTable;
  /** Where the HTML goes; committed on success, aborted on failure. */
  sink: Sink;
  /** Keep answers and input cells whole (default: cut at {@link ANSWER_LIMIT} characters). */
  full?: boolean | undefined;
  join?: ReportJoin | undefined;
  /** What structured answers were asked for (`--requests`, `--schema`, a job's shards). */
  outputs?: OutputSpecs | undefined;
  cwd?: string | undefined;
  signal?: AbortSignal | undefined;
  now?: (() => number) | undefined;
  /** Called now and then with the results read so far. */
  onProgress?: (results: number) => void;
}

/** What a report holds (its figures), the usual results summary, and the file's size. */
export interface ReportOutcome {
  data: ReportData;
  summary: ResultsSummary;
  bytes: number;
}

const EVERY = 4096;

/** The custom_id of each row of a build map (index = row). */
async function mapIds(path: string, name: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const { number, bytes } of readLines(createReadStream(path, { highWaterMark: 1 << 20 }))) {
    if (isBlank(bytes)) continue;
    let entry: unknown;
    try {
      entry = JSON.parse(decodeUtf8(bytes) ?? '');
    } catch {
      throw new InputError([{ file: name, line: number, field: 'json', message: 'not a JSON line' }]);
    }
    if (isMapHeader(entry)) continue;
    if (isRecord(entry) && typeof entry.custom_id === 'string' && typeof entry.row === 'number')
      ids[entry.row] = entry.custom_id;
  }
  return ids;
}

/** A cell of a joined input: text as it is, other values as JSON, cut like answers. */
function inputCell(value: unknown, limit: number | undefined): string {
  if (value === null || value === undefined) return '';
  return cut(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''), limit);
}

/**
 * A sink taking the joined rows (JSON Lines, as `results --join --format jsonl` writes them) and
 * calling `onLine` with each one.
 */
function lineSink(onLine: (line: string) => Promise<void> | undefined): Sink {
  const decoder = new TextDecoder();
  let rest = '';
  const take = async (text: string) => {
    rest += text;
    let at = rest.indexOf('\n');
    while (at !== -1) {
      const line = rest.slice(0, at);
      rest = rest.slice(at + 1);
      if (line !== '') await onLine(line);
      at = rest.indexOf('\n');
    }
  };
  return {
    target: 'the report',
    write: (chunk) => take(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })),
    async commit() {
      await take(`${decoder.decode()}\n`);
    },
    async abort() {},
  };
}

/** A path as the page shows it: relative to `cwd` when it is under it, else as given. */
function shownPath(path: string, cwd: string): string {
  const inside = relative(cwd, resolve(cwd, path));
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}

/** Writes one HTML report (see the top of this file); aborts the sink and throws on failure. */
export async function writeReport(options: ReportOptions): Promise<ReportOutcome> {
  const limit = options.full ? undefined : ANSWER_LIMIT;
  const cwd = options.cwd ?? process.cwd();
  const out = new ChunkWriter(options.sink, 1 << 20);
  const specs = options.outputs;
  const outputColumns = specs?.columns();
  const builder = new ReportBuilder(outputColumns);
  let rows = 0;
  let truncated = 0;
  const addRow = (row: ReturnType<typeof reportRow>) => {
    if (row[5] !== null && row[6] !== null && row[6] > row[5].length) truncated += 1;
    const text = scriptJson(row);
    rows += 1;
    return out.write(rows === 1 ? text : `,\n${text}`);
  };
  try {
    const join = options.join;
    if (join && options.results.length !== 1) {
      throw new UsageError('a report joins one results file to its input', 'give one batch, job or file');
    }
    const prepared = join
      ? await checkJoinOptions({ ...join, format: 'jsonl', cwd, signal: options.signal })
      : undefined;
    await out.write(pageStart(options.source.title));
    let read = 0;
    for (const file of options.results) {
      const stream = createReadStream(resolve(cwd, file), { highWaterMark: 1 << 20 });
      for await (const { number, bytes } of readLines(stream)) {
        if (isBlank(bytes)) continue;
        const facts = resultFileLine(bytes, number, file, RESULTS_HINT);
        const out = specs?.check(facts);
        builder.add(facts, out);
        if (!join) {
          const writing = addRow(reportRow(facts, limit, undefined, specs ? (out ?? null) : undefined));
          if (writing) await writing;
        }
        read += 1;
        if (read % EVERY === 0) {
          if (options.signal?.aborted) throw new InterruptedError();
          options.onProgress?.(read);
        }
      }
    }
    let joined: JoinSummary | undefined;
    const columns: string[] = [];
    if (join && prepared) {
      const ids = await mapIds(prepared.mapPath, join.map);
      const nested = prepared.source === 'json' || prepared.source === 'jsonl';
      // The join adds the output columns after the result's: tool_name (forced tools),
      // output_error, then the fields; only output_error is kept for the row.
      const extra = outputColumns ? (outputColumns.tool ? 1 : 0) + 1 + outputColumns.fields.length : 0;
      const errorAt = outputColumns?.tool ? 1 : 0;
      const place = new Map<string, number>();
      let row = 0;
      joined = await joinResults({
        ...join,
        format: 'jsonl',
        prepared,
        cwd,
        signal: options.signal,
        outputs: specs,
        results: options.results[0] as string,
        sink: lineSink((line) => {
          row += 1;
          const entries = Object.entries(JSON.parse(line) as Record<string, unknown>);
          const own = entries.slice(0, nested ? -1 : -(RESULT_COLUMNS.length + extra));
          const result = entries.at(-1)?.[1];
          const values = nested
            ? RESULT_COLUMNS.map((c) => (isRecord(result) ? result[c] : null))
            : entries
                .slice(-(RESULT_COLUMNS.length + extra), extra === 0 ? undefined : -extra)
                .map(([, v]) => v);
          const outputError = !outputColumns
            ? undefined
            : nested
              ? isRecord(result)
                ? result.output_error
                : null
              : entries.at(-extra + errorAt)?.[1];
          const cells: string[] = [];
          for (const [key, value] of own) {
            let at = place.get(key);
            if (at === undefined) {
              at = columns.length;
              place.set(key, at);
              columns.push(key);
            }
            cells[at] = inputCell(value, limit);
          }
          for (let i = 0; i < cells.length; i += 1) cells[i] ??= '';
          const [type, text, stop, input, output, errorType, errorMessage] = values as [
            string | null,
            string | null,
            string | null,
            number | null,
            number | null,
            string | null,
            string | null,
          ];
          return addRow(
            reportRow(
              {
                custom_id: ids[row] ?? '',
                type: type ?? null,
                text: text ?? null,
                stop_reason: stop ?? null,
                input_tokens: input ?? null,
                output_tokens: output ?? null,
                error_type: errorType ?? null,
                error_message: errorMessage ?? null,
              },
              limit,
              cells,
              outputColumns
                ? {
                    tool_name: null,
                    value: null,
                    output_error: typeof outputError === 'string' ? outputError : null,
                  }
                : undefined,
            ),
          );
        }),
      });
    }
    const data = builder.build({
      source: options.source,
      prices: options.prices,
      now: new Date(options.now?.() ?? Date.now()),
      table: { columns, rows, answer_limit: limit ?? null, truncated },
      join:
        join && joined
          ? {
              input: shownPath(join.input, cwd),
              rows: joined.rows,
              without_result: joined.withoutResult,
              unmatched_results: joined.unmatchedResults,
            }
          : null,
    });
    await out.write(pageEnd(data));
    await out.flush();
    await options.sink.commit();
    return { data, summary: builder.results(), bytes: out.bytes };
  } catch (error) {
    out.clear();
    await options.sink.abort();
    throw error;
  }
}
