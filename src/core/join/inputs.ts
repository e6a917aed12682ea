import { csvRecordBatches, recordLines } from '../builder/csv.js';
import { jsonLinesItems } from '../builder/json.js';
import { type JsonItem, jsonItems } from '../builder/json-scan.js';
import { isBlankText } from '../builder/rows.js';
import { type SplitBy, textRows } from '../builder/text.js';

/**
 * The records of a CSV file as `build csv` reads them (same csv-parse settings), in batches,
 * leaving out empty or all-blank lines exactly as build does, so the Nth record after the header
 * is build's row N; `lines[i]` is the line record `records[i]` starts on, numbered as build
 * numbers them. The first record yielded is the header.
 */
export async function* csvRecords(
  input: AsyncIterable<Uint8Array>,
  file: string,
  delimiter: string | undefined,
): AsyncGenerator<{ records: string[][]; lines: number[] }> {
  const lineOf = recordLines();
  for await (const batch of csvRecordBatches(input, file, delimiter)) {
    const records: string[][] = [];
    const lines: number[] = [];
    for (const record of batch) {
      const line = lineOf(record);
      if (record.length === 1 && isBlankText(record[0] ?? '')) continue;
      records.push(record);
      lines.push(line);
    }
    if (records.length > 0) yield { records, lines };
  }
}

/** The items of a JSON document (array, `{"items": […]}` or one object) or of a JSON Lines file, as build reads them. */
export function jsonInputItems(
  input: AsyncIterable<Uint8Array>,
  file: string,
  jsonl: boolean,
): AsyncGenerator<JsonItem> {
  return jsonl ? jsonLinesItems(input, file) : jsonItems(input, file);
}

/** The rows of a text file (each non-blank line, or each paragraph), numbered and trimmed as build does. */
export async function* textInputRows(
  input: AsyncIterable<Uint8Array>,
  file: string,
  splitBy: SplitBy | undefined,
): AsyncGenerator<{ row: number; line: number; text: string }> {
  for await (const events of textRows(input, file, { splitBy }).events) {
    for (const event of Array.isArray(events) ? events : [events]) {
      if (event.kind === 'row') yield { row: event.row, line: event.line ?? 0, text: event.prompt };
    }
  }
}
