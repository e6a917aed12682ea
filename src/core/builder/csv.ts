import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { InputError, UsageError } from '../errors.js';
import { splitImageCell } from './media.js';
import { readBatches } from './read-batches.js';
import { isBlankText, type RowSource, SKIP, type SourceEvent } from './rows.js';
import { checkTemplateNames, type Template } from './template.js';

/** How a CSV file is read and what makes the prompt. */
export interface CsvOptions {
  /** The column holding the prompt (or use `template`). */
  promptColumn?: string | undefined;
  /** The column holding each row's custom_id. */
  idColumn?: string | undefined;
  template?: Template | undefined;
  /** Field separator: one character; `\t` or `tab` for TSV. Default `,`. */
  delimiter?: string | undefined;
  /** Skip rows whose field count differs from the header's (counted), instead of failing. */
  skipBadRows?: boolean | undefined;
  /** Columns holding images: a path, URL or data: URI, or several separated by `|`. */
  imageColumn?: string[] | undefined;
  /** Columns holding documents: a path or URL, or several separated by `|`. */
  documentColumn?: string[] | undefined;
}

/** Reads a --delimiter value: `\t` (typed literally), `tab` or any single character. */
export function parseDelimiter(value: string | undefined): string {
  if (value === undefined) return ',';
  if (value === '\\t' || value.toLowerCase() === 'tab') return '\t';
  if ([...value].length !== 1 || value === '"' || value === '\n' || value === '\r') {
    throw new UsageError(
      `--delimiter ${JSON.stringify(value)}: use one character (e.g. ";" or "|"), or \\t / tab for TSV`,
    );
  }
  return value;
}

/** The csv-parse settings `build csv` reads with (also used to read the input back for `--join`). */
export function csvParseOptions(delimiter: string | undefined) {
  const separator = parseDelimiter(delimiter);
  return {
    bom: true,
    delimiter: separator,
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    // TSV exports rarely quote their fields, so a `"` inside one is just a character there.
    relax_quotes: separator === '\t',
  };
}

function count(text: string, what: string): number {
  let n = 0;
  let at = text.indexOf(what);
  while (at !== -1) {
    n += 1;
    at = text.indexOf(what, at + what.length);
  }
  return n;
}

/**
 * Numbers the records of a CSV file by the line each starts on: call it once per record, in
 * order, blank records included (a record with line breaks in quoted fields spans several).
 * Shared by build and by --join, so both number rows alike.
 */
export function recordLines(): (record: readonly string[]) => number {
  let nextLine = 1;
  return (record) => {
    const line = nextLine;
    nextLine += 1;
    for (const field of record) if (field.includes('\n')) nextLine += count(field, '\n');
    return line;
  };
}

const listHeader = (header: string[]) => `the header has: ${header.map((h) => JSON.stringify(h)).join(', ')}`;

/**
 * Streams a CSV file (RFC 4180: quoted fields with commas, quotes and newlines; UTF-8 with or
 * without BOM; LF or CRLF) into prompt rows. The first record is the header. Rows are parsed as
 * arrays, one at a time: memory does not grow with the file.
 */
export function csvRows(input: AsyncIterable<Uint8Array>, file: string, options: CsvOptions): RowSource {
  return { idKind: 'csv-row', events: csvEvents(input, file, options) };
}

async function* csvEvents(
  input: AsyncIterable<Uint8Array>,
  file: string,
  options: CsvOptions,
): AsyncGenerator<SourceEvent[]> {
  if (options.promptColumn !== undefined && options.template !== undefined) {
    throw new UsageError('--prompt-column and --template cannot be used together', 'use one of them');
  }
  let header: string[] | undefined;
  let promptAt = -1;
  let idAt = -1;
  let templateAt = new Map<string, number>();
  let imageAt: number[] = [];
  let documentAt: number[] = [];
  let row = 0;
  const lineOf = recordLines();
  for await (const records of csvRecordBatches(input, file, options.delimiter)) {
    const events: SourceEvent[] = [];
    for (const record of records) {
      const line = lineOf(record);
      // An empty line, or one of only spaces, is not a row.
      if (record.length === 1 && isBlankText(record[0] ?? '')) continue;
      if (header === undefined) {
        header = record;
        if (options.template) {
          checkTemplateNames(options.template, header, `${file} has no such column`);
          const h = header;
          templateAt = new Map(options.template.names.map((name) => [name, h.indexOf(name)]));
        } else {
          if (options.promptColumn === undefined) {
            throw new UsageError(
              `${file}: say which column holds the prompt: --prompt-column COL or --template`,
              listHeader(header),
            );
          }
          promptAt = header.indexOf(options.promptColumn);
          if (promptAt === -1) {
            throw new UsageError(
              `${file}: no column ${JSON.stringify(options.promptColumn)} (--prompt-column)`,
              listHeader(header),
            );
          }
        }
        if (options.idColumn !== undefined) {
          idAt = header.indexOf(options.idColumn);
          if (idAt === -1) {
            throw new UsageError(
              `${file}: no column ${JSON.stringify(options.idColumn)} (--id-column)`,
              listHeader(header),
            );
          }
        }
        const columnsOf = (columns: string[] | undefined, flag: string) =>
          (columns ?? []).map((column) => {
            const at = (header as string[]).indexOf(column);
            if (at === -1) {
              throw new UsageError(
                `${file}: no column ${JSON.stringify(column)} (${flag})`,
                listHeader(header as string[]),
              );
            }
            return at;
          });
        imageAt = columnsOf(options.imageColumn, '--image-column');
        documentAt = columnsOf(options.documentColumn, '--document-column');
        continue;
      }
      row += 1;
      if (record.length !== header.length) {
        if (options.skipBadRows) events.push({ kind: 'skip', reason: SKIP.BAD_ROW });
        else
          events.push({
            kind: 'problem',
            problem: {
              file,
              line,
              field: 'row',
              message: `${record.length} ${record.length === 1 ? 'field' : 'fields'}, but the header has ${header.length} (fix the row, or pass --skip-bad-rows)`,
            },
          });
        continue;
      }
      let prompt: string;
      let emptyFields: string[] | undefined;
      if (options.template) {
        const cell = (name: string) => record[templateAt.get(name) ?? -1] ?? '';
        const empty = options.template.names.filter((name) => isBlankText(cell(name)));
        if (empty.length === options.template.names.length) {
          events.push({ kind: 'skip', reason: SKIP.EMPTY });
          continue;
        }
        if (empty.length > 0) emptyFields = empty;
        prompt = options.template.render(cell);
      } else {
        prompt = record[promptAt] ?? '';
        if (isBlankText(prompt)) {
          events.push({ kind: 'skip', reason: SKIP.EMPTY });
          continue;
        }
      }
      const key = idAt === -1 ? undefined : (record[idAt] ?? '');
      // A quoted field of a CRLF file keeps its CRLFs; the prompt gets plain newlines.
      const text = prompt.includes('\r') ? prompt.replace(/\r\n?/g, '\n') : prompt;
      const images =
        imageAt.length > 0 ? imageAt.flatMap((at) => splitImageCell(record[at] ?? '')) : undefined;
      const documents =
        documentAt.length > 0 ? documentAt.flatMap((at) => splitImageCell(record[at] ?? '')) : undefined;
      events.push({
        kind: 'row',
        row,
        line,
        prompt: text.trim(),
        key,
        keyValue: key,
        emptyFields,
        images,
        documents,
      });
    }
    if (events.length > 0) yield events;
  }
}

/** A csv-parse error as one clear line (`FILE:LINE: csv: …`) with a hint, not the parser's wording. */
function csvError(error: CsvError, file: string, separator: string): InputError {
  const info = error as CsvError & { lines?: number; column?: number | string };
  const field = typeof info.column === 'number' ? ` (field ${info.column + 1})` : '';
  const tabHint = separator === '\t' ? '' : '; if the file is tab-separated, pass --delimiter tab';
  let message: string;
  let hint: string;
  switch (error.code as string) {
    case 'INVALID_OPENING_QUOTE':
      message = `a quote inside a field that does not start with one${field}`;
      hint = `quote the whole field and double the quotes in it ("a ""b"" c")${tabHint}`;
      break;
    case 'CSV_INVALID_CLOSING_QUOTE':
      message = `text after the closing quote of a quoted field${field}`;
      hint = `inside a quoted field, write a quote as two quotes ("")${tabHint}`;
      break;
    case 'CSV_QUOTE_NOT_CLOSED':
      message = 'a quoted field is never closed (the file ends inside it)';
      hint = 'close the quote where the field ends, or double the quotes inside it ("")';
      break;
    default:
      message = error.message;
      hint = `check the file's quoting and separator${tabHint}`;
  }
  const line = info.lines;
  return new InputError([{ file, ...(line === undefined ? {} : { line }), field: 'csv', message }], 1, hint);
}

/**
 * The raw records of a CSV file in batches, with the settings `build csv` reads with (and `--join`
 * reads the input back with); empty lines come through as one empty field. A CSV syntax error is
 * an InputError naming the file and line.
 */
export async function* csvRecordBatches(
  input: AsyncIterable<Uint8Array>,
  file: string,
  delimiter: string | undefined,
): AsyncGenerator<string[][]> {
  const parser = parse(csvParseOptions(delimiter));
  const stream = input instanceof Readable ? input : Readable.from(input);
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(parser);
  try {
    yield* readBatches<string[]>(parser);
  } catch (error) {
    if (error instanceof CsvError) throw csvError(error, file, parseDelimiter(delimiter));
    throw error;
  } finally {
    stream.destroy();
    parser.destroy();
  }
}
