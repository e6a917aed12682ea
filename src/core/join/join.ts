/**
 * `results … --join INPUT`: the input's rows, in input order, each with its result.
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
 * entry each), 12 bytes a row of offsets, one input row and one result at a time, and output
 * buffered in 256 kB chunks. Disk: the temporary file holds the flattened results (smaller than
 * the results file); it is unlinked as soon as it is opened, so even a hard exit leaves nothing.
 * JSON input written as CSV is read twice (first to collect its top-level keys for the header).
 */
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, resolve } from 'node:path';
import { parseDelimiter } from '../builder/csv.js';
import type { SplitBy } from '../builder/text.js';
import { InputError, InterruptedError, UsageError } from '../errors.js';
import type { Sink } from '../fs/atomic-file.js';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';
import { assertReadableFile } from '../fs/readable.js';
import { ChunkWriter } from '../fs/streams.js';
import { isRecord } from '../is-record.js';
import { resultFacts } from '../results/line.js';
import { type ResultsSummary, SummaryBuilder } from '../results/summary.js';
import { csvRecords, jsonInputItems, textInputRows } from './inputs.js';
import { readMapping } from './mapping.js';
import { csvRecord, resultCells, resultColumnNames, resultFields, resultKey } from './output.js';
import { type JoinedResult, RESULT_COLUMNS, ResultIndex } from './result-index.js';

/** How the input is read: as `build csv`, `build json` (a document, or JSON Lines), or `build text`. */
export type JoinSource = 'csv' | 'json' | 'jsonl' | 'text';

/** What a joined row looks like: CSV (input columns + result columns) or one JSON object a line. */
export type JoinFormat = 'csv' | 'jsonl';

/** Everything one join needs. Relative paths are resolved against `cwd`. */
export interface JoinOptions {
  /** The results: a results file (a download, a job's merged results), or a stream of its bytes. */
  results: string | AsyncIterable<Uint8Array>;
  /** The sidecar build wrote beside the request file (`requests.map.jsonl`). */
  map: string;
  /** The input build read (csv, json or text). */
  input: string;
  /** How to read the input; default from its extension ({@link joinSourceFor}). */
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

/** A JSON value as one CSV cell: text as it is, null as empty, objects and arrays as JSON. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** The nested result of a JSON item: the seven columns, or null when the row has none. */
function nestedResult(result: JoinedResult | undefined): Record<string, unknown> | null {
  return result ? resultFields(result, RESULT_COLUMNS, {}) : null;
}

/**
 * Checks a join's options and that its input and map are readable files, before anything slow
 * (a download) starts. Returns the source, the CSV delimiter and the resolved paths.
 */
export async function checkJoinOptions(
  options: Omit<JoinOptions, 'results' | 'sink'>,
): Promise<{ source: JoinSource; delimiter: string | undefined; inputPath: string; mapPath: string }> {
  const cwd = options.cwd ?? process.cwd();
  const source = options.source ?? joinSourceFor(options.input);
  if (!SOURCES.includes(source))
    throw new UsageError(`--join-source ${source}: use csv, json, jsonl or text`);
  if (!FORMATS.includes(options.format)) {
    throw new UsageError(`--format ${options.format}: use csv or jsonl with --join`);
  }
  if (options.splitBy !== undefined && options.splitBy !== 'line' && options.splitBy !== 'paragraph') {
    throw new UsageError(`--split-by ${options.splitBy}: use line or paragraph`);
  }
  const delimiter = options.delimiter ?? (extname(options.input).toLowerCase() === '.tsv' ? '\t' : undefined);
  parseDelimiter(delimiter);
  const inputPath = resolve(cwd, options.input);
  const mapPath = resolve(cwd, options.map);
  await assertFile(inputPath, options.input, 'the input', 'check the path given to --join');
  await assertFile(
    mapPath,
    options.map,
    'the map',
    'build writes it beside the request file: requests.jsonl → requests.map.jsonl',
  );
  return { source, delimiter, inputPath, mapPath };
}

/**
 * Joins results back to the input build read: every input row, in input order, with the result
 * columns `result_type`, `text`, `stop_reason`, `input_tokens`, `output_tokens`, `error_type`,
 * `error_message` (empty or null when the row has no result). Bounded memory: see the design
 * notes at the top of this file. Commits the sink on success; aborts it (no partial file) and
 * throws on failure.
 */
export async function joinResults(options: JoinOptions): Promise<JoinSummary> {
  const { sink, format } = options;
  let index: ResultIndex | undefined;
  try {
    const { source, delimiter, inputPath, mapPath } = await checkJoinOptions(options);
    const cwd = options.cwd ?? process.cwd();
    const checkAbort = () => {
      if (options.signal?.aborted) throw new InterruptedError();
    };

    const mapping = await readMapping(mapPath, options.map);
    index = await ResultIndex.create(mapping.maxRow, options.tempDir ?? tmpdir());

    // Pass 1: index every result by its input row.
    const resultsName = typeof options.results === 'string' ? options.results : 'the results';
    const results =
      typeof options.results === 'string'
        ? createReadStream(resolve(cwd, options.results), { highWaterMark: 1 << 20 })
        : options.results;
    const summary = new SummaryBuilder();
    let lines = 0;
    let unmatched = 0;
    const unmatchedIds: string[] = [];
    for await (const { number, bytes } of readLines(results)) {
      if (isBlank(bytes)) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(decodeUtf8(bytes) ?? '');
      } catch {
        throw new InputError([
          { file: resultsName, line: number, field: 'json', message: 'not a JSON line' },
        ]);
      }
      const facts = resultFacts(parsed);
      summary.add(facts);
      lines += 1;
      const row = mapping.rowOf(facts.custom_id);
      if (row === undefined) {
        unmatched += 1;
        if (unmatchedIds.length < 5) unmatchedIds.push(facts.custom_id);
      } else {
        const writing = index.add(row, facts);
        if (writing) await writing;
      }
      if (lines % EVERY === 0) {
        checkAbort();
        options.onProgress?.('index', lines);
      }
    }
    await index.flush();
    if (lines > 0 && index.count === 0) {
      throw new UsageError(
        `none of the ${lines.toLocaleString('en-US')} results has a custom_id in ${options.map} (e.g. ${unmatchedIds[0] ?? ''})`,
        'pass the map build wrote for the request file of this batch (--map or --requests)',
      );
    }

    // Pass 2: stream the input in order and write each row with its result.
    const out = new ChunkWriter(sink);
    const idx = index;
    const open = () => createReadStream(inputPath, { highWaterMark: 1 << 16 });
    let rows = 0;
    let joined = 0;
    let uneven = 0;
    const lookup = (row: number): JoinedResult | undefined => {
      rows = row;
      const result = idx.get(row);
      if (result) joined += 1;
      if (row % EVERY === 0) {
        checkAbort();
        options.onProgress?.('join', row);
      }
      return result;
    };

    if (source === 'csv') {
      let header: string[] | undefined;
      let names: string[] = [];
      let row = 0;
      for await (const records of csvRecords(open(), options.input, delimiter)) {
        for (const record of records) {
          if (header === undefined) {
            header = record;
            names = resultColumnNames(header);
            if (format === 'csv') await out.write(csvRecord([...header, ...names]));
            continue;
          }
          row += 1;
          const result = lookup(row);
          if (record.length !== header.length) uneven += 1;
          if (format === 'csv') {
            const cells = header.map((_, i) => record[i] ?? '');
            await out.write(csvRecord([...cells, ...resultCells(result)]));
          } else {
            const object: Record<string, unknown> = Object.create(null);
            header.forEach((name, i) => {
              object[name] = record[i] ?? '';
            });
            await out.write(`${JSON.stringify(resultFields(result, names, object))}\n`);
          }
        }
      }
    } else if (source === 'json' || source === 'jsonl') {
      const jsonl = source === 'jsonl' || /\.(jsonl|ndjson)$/i.test(options.input);
      let columns: string[] = [];
      let names: string[] = [];
      if (format === 'csv') {
        const keys = new Set<string>();
        for await (const { value } of jsonInputItems(open(), options.input, jsonl)) {
          if (isRecord(value)) for (const key of Object.keys(value)) keys.add(key);
          else keys.add('value');
        }
        columns = [...keys];
        names = resultColumnNames(columns);
        await out.write(csvRecord([...columns, ...names]));
      }
      let row = 0;
      for await (const { value } of jsonInputItems(open(), options.input, jsonl)) {
        row += 1;
        const result = lookup(row);
        const item = isRecord(value) ? value : { value };
        if (format === 'csv') {
          const cells = columns.map((key) => cell(Object.hasOwn(item, key) ? item[key] : undefined));
          await out.write(csvRecord([...cells, ...resultCells(result)]));
        } else {
          item[resultKey(item)] = nestedResult(result);
          await out.write(`${JSON.stringify(item)}\n`);
        }
      }
    } else {
      const names = resultColumnNames(['row', 'text']);
      if (format === 'csv') await out.write(csvRecord(['row', 'text', ...names]));
      for await (const { row, text } of textInputRows(open(), options.input, options.splitBy)) {
        const result = lookup(row);
        if (format === 'csv') await out.write(csvRecord([String(row), text, ...resultCells(result)]));
        else await out.write(`${JSON.stringify(resultFields(result, names, { row, text }))}\n`);
      }
    }
    await out.flush();
    await sink.commit();
    return {
      source,
      format,
      rows,
      joined,
      withoutResult: rows - joined,
      unmatchedResults: unmatched,
      unmatchedIds,
      repeatedResults: index.repeats,
      resultsBeyondInput: index.countAbove(rows),
      unevenRows: uneven,
      results: summary.build(),
    };
  } catch (error) {
    await sink.abort();
    throw error;
  } finally {
    await index?.close();
  }
}
