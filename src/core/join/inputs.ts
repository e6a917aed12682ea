import { csvRecordBatches } from '../builder/csv.js';
import { jsonLinesItems } from '../builder/json.js';
import { type JsonItem, jsonItems } from '../builder/json-scan.js';
import { isBlankText } from '../builder/rows.js';
import { type SplitBy, textRows } from '../builder/text.js';

/**
 * The records of a CSV file as `build csv` reads them (same csv-parse settings), in batches,
 * leaving out empty or all-blank lines exactly as build does, so the Nth record after the header
 * is build's row N. The first record yielded is the header.
 */
export async function* csvRecords(
  input: AsyncIterable<Uint8Array>,
  file: string,
  delimiter: string | undefined,
): AsyncGenerator<string[][]> {
  for await (const batch of csvRecordBatches(input, file, delimiter)) {
    const kept = batch.filter((record) => !(record.length === 1 && isBlankText(record[0] ?? '')));
    if (kept.length > 0) yield kept;
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
): AsyncGenerator<{ row: number; text: string }> {
  for await (const events of textRows(input, file, { splitBy }).events) {
    for (const event of Array.isArray(events) ? events : [events]) {
      if (event.kind === 'row') yield { row: event.row, text: event.prompt };
    }
  }
}
