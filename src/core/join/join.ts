/**
 * `results … --join INPUT`: the input's rows, in input order, each with its result.
 *
 * Never silently misaligned: the map's header (written by build) says how the input was read
 * and what it was (size, sha256). The input is read that way (flags that disagree are refused),
 * must be that file, and each row must start on the map's line and carry the map's id; anything
 * else is refused before a row is written. Maps without a header are read as the flags or the
 * extension say, and their line numbers are still checked.
 *
 * Design: an on-disk index (not an external sort). Results arrive in no particular order and
 * may be far larger than memory (300 MB for 1,000,000 rows), so:
 *
 * 1. The sidecar `build` wrote (`{"custom_id","row"}` a line) is read into a custom_id → row
 *    lookup ({@link RowMapping}): generated ids (`csv-row-N`…) cost one byte a row, other ids a
 *    Map entry each.
 * 2. Pass 1 streams the results once. Each line is flattened (`resultFacts`) to the seven join
 *    columns, appended as a small JSON array to a temporary file, and its byte offset and length
 *    are stored at its row in a Float64Array and a Uint32Array sized from the map's highest row
 *    ({@link ResultIndex}: 12 bytes a row). Answer texts never stay in memory.
 * 3. Pass 2 streams the input with build's own readers (csv-parse with build's settings, the
 *    JSON scanner, the text splitter), so row N here is build's row N, and for each row reads
 *    its result back with one positional read, writing the joined row at once.
 *
 * Memory: the lookup (about 1 MB per million generated ids; ids taken from the input cost a Map
 * entry each), 4 bytes a row of start lines (and 4 of id hashes with an id column), 12 bytes a
 * row of offsets, one input row and one result at a time, and output
 * buffered in 256 kB chunks. Disk: the temporary file holds the flattened results (smaller than
 * the results file); it is unlinked as soon as it is opened, so even a hard exit leaves nothing.
 * JSON input written as CSV is read twice (first to collect its top-level keys for the header).
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, resolve } from 'node:path';
import { parseDelimiter } from '../builder/csv.js';
import { getPath } from '../builder/json.js';
import type { MapHeader } from '../builder/sidecar.js';
import type { SplitBy } from '../builder/text.js';
import { InterruptedError, UsageError } from '../errors.js';
import type { Sink } from '../fs/atomic-file.js';
import { fileIdentity } from '../fs/hash.js';
import { isBlank, readLines } from '../fs/lines.js';
import { paced, READ_CHUNK_BYTES } from '../fs/memory.js';
import { assertReadableFile } from '../fs/readable.js';
import { ChunkWriter } from '../fs/streams.js';
import { isRecord } from '../is-record.js';
import { resultFileLine } from '../results/line.js';
import type { OutputColumns, OutputSpecs } from '../results/output.js';
import { type ResultsSummary, SummaryBuilder } from '../results/summary.js';
import { csvRecords, jsonInputItems, textInputRows } from './inputs.js';
import { idHash, type RowMapping, readMapHeader, readMapping } from './mapping.js';
import {
  csvCell,
  csvRecord,
  outputColumnNames,
  outputRow,
  resultCells,
  resultColumnNames,
  resultFields,
  resultKey,
} from './output.js';
import { type JoinedResult, RESULT_COLUMNS, ResultIndex } from './result-index.js';

/** What to give when a results file holds something else. */
const RESULTS_HINT =
  'join the results as downloaded (monitor --results, or results -o without --format compact)';

/** How the input is read: as `build csv`, `build json` (a document, or JSON Lines), or `build text`. */
export type JoinSource = 'csv' | 'json' | 'jsonl' | 'text';

/** What a joined row looks like: CSV (input columns + result columns) or one JSON object a line. */
export type JoinFormat = 'csv' | 'jsonl';

/** Everything one join needs. Relative paths are resolved against `cwd`. */
export interface JoinOptions {
  /** The results: a results file (a download, a job's merged results), or a stream of its bytes. */
  results: string | AsyncIterable<Uint8Array>;
  /** The sidecar build wrote beside the request file (`requests.jsonl.map`). */
  map: string;
  /** The input build read (csv, json or text). */
  input: string;
  /**
   * How to read the input. Default: as the map's header says build read it; for a map without
   * one (older builds, custom modules), from the input's extension ({@link joinSourceFor}).
   * Given, it must agree with the header.
   */
  source?: JoinSource | undefined;
  format: JoinFormat;
  /** Where the joined rows go; committed on success, aborted on failure. */
  sink: Sink;
  /** CSV field separator, as for `build csv` (default `,`; tab for a `.tsv` input). */
  delimiter?: string | undefined;
  /** Text input: `line` (default) or `paragraph`, as for `build text`. */
  splitBy?: SplitBy | undefined;
  /** Folder for the temporary index (default: the system's temporary folder). */
  tempDir?: string | undefined;
  cwd?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Called now and then with the phase and the results indexed or rows written so far. */
  onProgress?: (phase: 'index' | 'join', count: number) => void;
  /** What {@link checkJoinOptions} found, when the caller has already called it (not checked twice). */
  prepared?: PreparedJoin | undefined;
  /**
   * What structured answers were asked for: each row then gets `tool_name` (forced tools),
   * `output_error` and the answer's fields as `out_FIELD` columns, in schema order.
   */
  outputs?: OutputSpecs | undefined;
  /**
   * Given, each input row (1-based, as the map numbers them) is handed over with its own columns
   * (a CSV row's, a JSON item's keys, a text row's `row` and `text`) instead of being written to
   * the sink (which gets nothing): for outputs that are not text (`--format sqlite`).
   */
  onRow?: ((row: number, columns: Record<string, unknown>) => void | Promise<void>) | undefined;
}

/** A join's options once checked against the files: how to read the input, and the paths. */
export interface PreparedJoin {
  source: JoinSource;
  /** JSON input: read as JSON Lines. */
  jsonl: boolean;
  delimiter: string | undefined;
  splitBy: SplitBy | undefined;
  inputPath: string;
  mapPath: string;
  /** The map's header (how build read the input), when it has one. */
  header: MapHeader | undefined;
}

/** What a join did. */
export interface JoinSummary {
  source: JoinSource;
  format: JoinFormat;
  /** Input rows written (every row, item, line or paragraph, with or without a result). */
  rows: number;
  /** Rows written with a result. */
  joined: number;
  /** Rows written with empty result columns (skipped by build, or no result for their request). */
  withoutResult: number;
  /** Result lines whose custom_id is not in the map (not written). */
  unmatchedResults: number;
  /** Up to five of those custom_ids. */
  unmatchedIds: string[];
  /** Results for a row that already had one (the later line is kept). */
  repeatedResults: number;
  /** Requests of the map with no result (a results file that is not the whole batch's?). */
  missingResults: number;
  /** Results mapped to a row past the end of the input (not written: the input has changed?). */
  resultsBeyondInput: number;
  /** CSV rows whose field count differs from the header's (padded with empty cells, or cut). */
  unevenRows: number;
  /** Totals over every result line read. */
  results: ResultsSummary;
}

/** The source a path suggests: `.csv`/`.tsv` → csv, `.json` → json, `.jsonl`/`.ndjson` → jsonl, else text. */
export function joinSourceFor(path: string): JoinSource {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.json') return 'json';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return 'text';
}

const SOURCES: readonly string[] = ['csv', 'json', 'jsonl', 'text'];
const FORMATS: readonly string[] = ['csv', 'jsonl'];
const EVERY = 4096;

function assertFile(path: string, name: string, what: string, hint: string): Promise<void> {
  return assertReadableFile(path, `${what} ${name}`, hint);
}

const cell = csvCell;

/** The nested result of a JSON item: the seven columns (and output fields), or null when the row has none. */
function nestedResult(
  result: JoinedResult | undefined,
  names: readonly string[],
): Record<string, unknown> | null {
  return result ? resultFields(result, names, {}) : null;
}

/** How build read the input, in words (for messages). */
function readingText(header: MapHeader): string {
  switch (header.source) {
    case 'csv':
      return `as CSV with the delimiter ${JSON.stringify(header.delimiter ?? ',')}`;
    case 'json':
      return header.jsonl ? 'as JSON Lines' : 'as a JSON document';
    case 'text':
      return `as text, one request per ${header.split_by ?? 'line'}`;
    case 'openai':
      return 'as an OpenAI batch file (JSON Lines)';
    default:
      return 'with a custom module';
  }
}

/** The join source of the way build read the input. */
function builtSource(header: MapHeader): JoinSource | undefined {
  if (header.source === 'csv' || header.source === 'text') return header.source;
  if (header.source === 'json') return header.jsonl ? 'jsonl' : 'json';
  // An OpenAI batch file is JSON Lines: request N is its Nth non-blank line, as the map says.
  if (header.source === 'openai') return 'jsonl';
  return undefined;
}

/**
 * The map says how build read the input: flags that say otherwise are refused, and the input
 * must be the file build read (same size and sha256).
 */
async function readLikeTheMap(
  header: MapHeader,
  options: Omit<JoinOptions, 'results' | 'sink'>,
  inputPath: string,
): Promise<{
  source: JoinSource;
  jsonl: boolean;
  delimiter: string | undefined;
  splitBy: SplitBy | undefined;
}> {
  const source = builtSource(header) as JoinSource;
  const built = `build read ${header.input.name} ${readingText(header)}`;
  const refuse = (flag: string) =>
    new UsageError(
      `${flag} disagrees with the map: ${built}`,
      `leave ${flag.split(' ')[0]} out: --join reads the input the way the map says build read it`,
    );
  if (options.source !== undefined && options.source !== source)
    throw refuse(`--join-source ${options.source}`);
  if (options.delimiter !== undefined) {
    if (source !== 'csv') throw refuse(`--delimiter ${JSON.stringify(options.delimiter)}`);
    if (parseDelimiter(options.delimiter) !== (header.delimiter ?? ',')) {
      throw refuse(`--delimiter ${JSON.stringify(options.delimiter)}`);
    }
  }
  if (
    options.splitBy !== undefined &&
    (source !== 'text' || options.splitBy !== (header.split_by ?? 'line'))
  ) {
    throw refuse(`--split-by ${options.splitBy}`);
  }
  const { size, sha256 } = header.input;
  if (size !== undefined) {
    const actual = (await stat(inputPath)).size;
    if (actual !== size) {
      throw new UsageError(
        `${options.input} is not the input this map was built from: it has ${actual.toLocaleString('en-US')} bytes, ${built} of ${size.toLocaleString('en-US')} bytes`,
        'join the file build read, as it was then (or build, submit and join again); nothing was written',
      );
    }
  }
  if (sha256 !== undefined) {
    const actual = (await fileIdentity(inputPath)).sha256;
    if (actual !== sha256) {
      throw new UsageError(
        `${options.input} is not the input this map was built from: same size, other content (sha256 ${actual.slice(0, 12)}…, build read ${sha256.slice(0, 12)}…)`,
        'join the file build read, as it was then (or build, submit and join again); nothing was written',
      );
    }
  }
  return {
    source,
    jsonl: source === 'jsonl',
    delimiter: source === 'csv' ? (header.delimiter ?? ',') : undefined,
    splitBy: source === 'text' ? (header.split_by ?? 'line') : undefined,
  };
}

/**
 * Checks a join's options and that its input and map are readable files, before anything slow
 * (a download) starts. A map with a header decides how the input is read (flags that disagree
 * are refused) and the input must be the very file build read (size and sha256). Returns how to
 * read the input and the resolved paths.
 */
export async function checkJoinOptions(
  options: Omit<JoinOptions, 'results' | 'sink'>,
): Promise<PreparedJoin> {
  if (options.prepared) return options.prepared;
  const cwd = options.cwd ?? process.cwd();
  if (options.source !== undefined && !SOURCES.includes(options.source))
    throw new UsageError(`--join-source ${options.source}: use csv, json, jsonl or text`);
  if (!FORMATS.includes(options.format)) {
    throw new UsageError(`--format ${options.format}: use csv or jsonl with --join`);
  }
  if (options.splitBy !== undefined && options.splitBy !== 'line' && options.splitBy !== 'paragraph') {
    throw new UsageError(`--split-by ${options.splitBy}: use line or paragraph`);
  }
  if (options.delimiter !== undefined) parseDelimiter(options.delimiter);
  const inputPath = resolve(cwd, options.input);
  const mapPath = resolve(cwd, options.map);
  await assertFile(inputPath, options.input, 'the input', 'check the path given to --join');
  await assertFile(
    mapPath,
    options.map,
    'the map',
    'build writes it beside the request file: requests.jsonl → requests.jsonl.map',
  );
  const header = await readMapHeader(mapPath, options.map);
  if (header && header.source !== 'custom') {
    return { ...(await readLikeTheMap(header, options, inputPath)), inputPath, mapPath, header };
  }
  // A map without a header (an older build) or from a custom module: read as the flags or the
  // extension say.
  const source = options.source ?? joinSourceFor(options.input);
  const delimiter = options.delimiter ?? (extname(options.input).toLowerCase() === '.tsv' ? '\t' : undefined);
  parseDelimiter(delimiter);
  const jsonl = source === 'jsonl' || (source === 'json' && /\.(jsonl|ndjson)$/i.test(options.input));
  return { source, jsonl, delimiter, splitBy: options.splitBy, inputPath, mapPath, header };
}

/** The input's row `row` starts on another line than the map says: the join would be misaligned. */
function misaligned(
  options: Pick<JoinOptions, 'input'>,
  header: MapHeader | undefined,
  row: number,
  line: number,
  want: number,
): UsageError {
  return new UsageError(
    `${options.input} does not match the map: its row ${row} starts on line ${line}, the map's on line ${want}; nothing was written`,
    header
      ? 'the input is read as the map says, so build and --join read it differently: build again'
      : 'read the input as build did (the same --join-source, --delimiter, --split-by), or build again (new maps record how)',
  );
}

/**
 * Joins results back to the input build read: every input row, in input order, with the result
 * columns `result_type`, `text`, `stop_reason`, `input_tokens`, `output_tokens`, `error_type`,
 * `error_message` (empty or null when the row has no result). Bounded memory: see the design
 * notes at the top of this file. Commits the sink on success; aborts it (no partial file) and
 * throws on failure.
 */
export async function joinResults(options: JoinOptions): Promise<JoinSummary> {
  const { sink } = options;
  let index: ResultIndex | undefined;
  try {
    const prepared = await checkJoinOptions(options);
    const mapping = await readMapping(prepared.mapPath, options.map);
    index = await ResultIndex.create(mapping.maxRow, options.tempDir ?? tmpdir());
    const indexed = await indexResults(options, mapping, index);
    const written = await writeRows(options, prepared, rowChecks(options, prepared.header, mapping), index);
    if (prepared.header && prepared.header.source !== 'custom' && mapping.maxRow > written.rows) {
      throw new UsageError(
        `${options.input} does not match the map: the map has rows up to ${mapping.maxRow.toLocaleString('en-US')}, the input ${written.rows.toLocaleString('en-US')}; nothing was written`,
        'the input is read as the map says, so build and --join read it differently: build again',
      );
    }
    await sink.commit();
    return {
      source: prepared.source,
      format: options.format,
      rows: written.rows,
      joined: written.joined,
      withoutResult: written.rows - written.joined,
      unmatchedResults: indexed.unmatched,
      unmatchedIds: indexed.unmatchedIds,
      repeatedResults: index.repeats,
      missingResults: mapping.size - index.count,
      resultsBeyondInput: index.countAbove(written.rows),
      unevenRows: written.uneven,
      results: indexed.summary,
    };
  } catch (error) {
    await sink.abort();
    throw error;
  } finally {
    await index?.close();
  }
}

/** The checks each input row passes: it starts on the map's line, and has the map's id. */
interface RowChecks {
  line(row: number, line: number): void;
  id(row: number, id: unknown): void;
}

function rowChecks(options: JoinOptions, header: MapHeader | undefined, mapping: RowMapping): RowChecks {
  return {
    line(row, line) {
      const want = mapping.lineOf(row);
      if (want !== 0 && want !== line) throw misaligned(options, header, row, line, want);
    },
    // With an id column or field in the header, each row's id must be the map's (a hash of it).
    id(row, id) {
      const want = mapping.idOf(row);
      if (want !== 0 && want !== idHash(JSON.stringify(id) ?? '')) {
        throw new UsageError(
          `${options.input} does not match the map: its row ${row} has the id ${JSON.stringify(id)}, not the map's; nothing was written`,
          'the input is read as the map says, so build and --join read it differently: build again',
        );
      }
    },
  };
}

function checkAbort(options: Pick<JoinOptions, 'signal'>): void {
  if (options.signal?.aborted) throw new InterruptedError();
}

/** Pass 1: every result, indexed by its input row (through the map), and summarised. */
async function indexResults(
  options: JoinOptions,
  mapping: RowMapping,
  index: ResultIndex,
): Promise<{ summary: ResultsSummary; unmatched: number; unmatchedIds: string[] }> {
  const cwd = options.cwd ?? process.cwd();
  const resultsName = typeof options.results === 'string' ? options.results : 'the results';
  if (typeof options.results === 'string') {
    await assertFile(
      resolve(cwd, options.results),
      options.results,
      'the results file',
      'give the file that monitor --results or results -o wrote',
    );
  }
  const results =
    typeof options.results === 'string'
      ? createReadStream(resolve(cwd, options.results), { highWaterMark: READ_CHUNK_BYTES })
      : options.results;
  const summary = new SummaryBuilder();
  const specs = options.outputs;
  const columns = specs?.columns();
  if (specs) summary.countOutputs();
  let lines = 0;
  let unmatched = 0;
  const unmatchedIds: string[] = [];
  for await (const { number, bytes } of readLines(results)) {
    if (isBlank(bytes)) continue;
    const facts = resultFileLine(bytes, number, resultsName, RESULTS_HINT);
    summary.add(facts);
    const out = specs?.check(facts);
    summary.addOutput(facts, out);
    lines += 1;
    const row = mapping.rowOf(facts.custom_id);
    if (row === undefined) {
      unmatched += 1;
      if (unmatchedIds.length < 5) unmatchedIds.push(facts.custom_id);
    } else {
      index.add(row, facts, columns ? outputRow(columns, out) : undefined);
    }
    if (lines % EVERY === 0) {
      checkAbort(options);
      options.onProgress?.('index', lines);
    }
  }
  index.flush();
  if (lines > 0 && index.count === 0) {
    throw new UsageError(
      `none of the ${lines.toLocaleString('en-US')} results has a custom_id in ${options.map} (e.g. ${unmatchedIds[0] ?? ''})`,
      'pass the map build wrote for the request file of this batch (--map or --requests)',
    );
  }
  return { summary: summary.build(), unmatched, unmatchedIds };
}

/** What pass 2 shares whatever the source: where rows go, and how each finds its result. */
interface RowWriter {
  out: ChunkWriter;
  format: JoinFormat;
  checks: RowChecks;
  open: () => AsyncIterable<Uint8Array>;
  /** The result of input row `row` (and counts it). */
  lookup: (row: number) => JoinedResult | undefined;
  /** The output columns (structured answers), when asked for. */
  outputs: OutputColumns | undefined;
}

/** Pass 2: the input in order, each row written with its result; returns the counts. */
async function writeRows(
  options: JoinOptions,
  prepared: PreparedJoin,
  checks: RowChecks,
  index: ResultIndex,
): Promise<{ rows: number; joined: number; uneven: number }> {
  const counts = { rows: 0, joined: 0, uneven: 0 };
  const writer: RowWriter = {
    out: new ChunkWriter(options.sink, 1 << 18),
    format: options.format,
    checks,
    outputs: options.outputs?.columns(),
    open: () => paced(createReadStream(prepared.inputPath, { highWaterMark: READ_CHUNK_BYTES })),
    lookup: (row) => {
      counts.rows = row;
      const result = index.get(row);
      if (result) counts.joined += 1;
      if (row % EVERY === 0) {
        checkAbort(options);
        options.onProgress?.('join', row);
      }
      return result;
    },
  };
  if (prepared.source === 'csv') counts.uneven = await writeCsvRows(writer, options, prepared);
  else if (prepared.source === 'json' || prepared.source === 'jsonl')
    await writeJsonRows(writer, options, prepared);
  else await writeTextRows(writer, options, prepared);
  await writer.out.flush();
  return counts;
}

/** CSV input: the header's columns, then the result columns; returns how many rows were uneven. */
async function writeCsvRows(w: RowWriter, options: JoinOptions, prepared: PreparedJoin): Promise<number> {
  let columns: string[] | undefined;
  let names: string[] = [];
  let idAt = -1;
  let row = 0;
  let uneven = 0;
  for await (const { records, lines } of csvRecords(w.open(), options.input, prepared.delimiter)) {
    for (let i = 0; i < records.length; i += 1) {
      const record = records[i] as string[];
      if (columns === undefined) {
        columns = record;
        names = resultColumnNames(columns, w.outputs);
        if (prepared.header?.id_column !== undefined) idAt = columns.indexOf(prepared.header.id_column);
        if (w.format === 'csv') await w.out.write(csvRecord([...columns, ...names]));
        continue;
      }
      row += 1;
      w.checks.line(row, lines[i] ?? 0);
      if (idAt !== -1) w.checks.id(row, record[idAt] ?? '');
      const result = w.lookup(row);
      if (record.length !== columns.length) uneven += 1;
      if (options.onRow) {
        const own: Record<string, unknown> = {};
        columns.forEach((name, c) => {
          own[name] = record[c] ?? '';
        });
        await options.onRow(row, own);
      } else if (w.format === 'csv') {
        const cells = columns.map((_, c) => record[c] ?? '');
        await w.out.write(
          csvRecord([...cells, ...resultCells(result, names.length - RESULT_COLUMNS.length)]),
        );
      } else {
        const object: Record<string, unknown> = Object.create(null);
        columns.forEach((name, c) => {
          object[name] = record[c] ?? '';
        });
        await w.out.write(`${JSON.stringify(resultFields(result, names, object))}\n`);
      }
    }
  }
  return uneven;
}

/** JSON / JSON Lines input: each item with its result nested (jsonl), or flattened to columns (csv). */
async function writeJsonRows(w: RowWriter, options: JoinOptions, prepared: PreparedJoin): Promise<void> {
  const jsonl = prepared.jsonl;
  let columns: string[] = [];
  let names: string[] = [];
  if (w.format === 'csv' && !options.onRow) {
    // CSV needs every key up front: one pass over the input to collect them.
    const keys = new Set<string>();
    for await (const { value } of jsonInputItems(w.open(), options.input, jsonl)) {
      if (isRecord(value)) for (const key of Object.keys(value)) keys.add(key);
      else keys.add('value');
    }
    columns = [...keys];
    names = resultColumnNames(columns, w.outputs);
    await w.out.write(csvRecord([...columns, ...names]));
  }
  const nested = [...RESULT_COLUMNS, ...outputColumnNames(w.outputs, RESULT_COLUMNS, '')];
  let row = 0;
  for await (const { value, line } of jsonInputItems(w.open(), options.input, jsonl)) {
    row += 1;
    w.checks.line(row, line);
    if (prepared.header?.id_field !== undefined) w.checks.id(row, getPath(value, prepared.header.id_field));
    const result = w.lookup(row);
    const item = isRecord(value) ? value : { value };
    if (options.onRow) await options.onRow(row, item);
    else if (w.format === 'csv') {
      const cells = columns.map((key) => cell(Object.hasOwn(item, key) ? item[key] : undefined));
      await w.out.write(csvRecord([...cells, ...resultCells(result, names.length - RESULT_COLUMNS.length)]));
    } else {
      item[resultKey(item)] = nestedResult(result, nested);
      await w.out.write(`${JSON.stringify(item)}\n`);
    }
  }
}

/** Text input: `row` and `text` columns, then the result columns. */
async function writeTextRows(w: RowWriter, options: JoinOptions, prepared: PreparedJoin): Promise<void> {
  const names = resultColumnNames(['row', 'text'], w.outputs);
  const extra = names.length - RESULT_COLUMNS.length;
  if (w.format === 'csv' && !options.onRow) await w.out.write(csvRecord(['row', 'text', ...names]));
  for await (const { row, line, text } of textInputRows(w.open(), options.input, prepared.splitBy)) {
    w.checks.line(row, line);
    const result = w.lookup(row);
    if (options.onRow) await options.onRow(row, { row, text });
    else if (w.format === 'csv')
      await w.out.write(csvRecord([String(row), text, ...resultCells(result, extra)]));
    else await w.out.write(`${JSON.stringify(resultFields(result, names, { row, text }))}\n`);
  }
}
