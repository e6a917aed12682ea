import { type JoinedResult, RESULT_COLUMNS } from './result-index.js';

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field, quoted as RFC 4180 says when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One CSV record (comma-separated, ending in `\n`). */
export function csvRecord(fields: readonly string[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i += 1) {
    if (i > 0) line += ',';
    line += csvField(fields[i] ?? '');
  }
  return `${line}\n`;
}

/**
 * The names the result columns get beside the input's: always prefixed, so an answer never hides
 * behind an input column of the same name: `result_type`, `result_text`, `result_stop_reason`,
 * `result_input_tokens`, `result_output_tokens`, `result_error_type`, `result_error_message`.
 * Should the input itself already have one of these names, that one gets `result_` again (until
 * it is free).
 */
export function resultColumnNames(inputColumns: Iterable<string>): string[] {
  const taken = new Set(inputColumns);
  return RESULT_COLUMNS.map((name) => {
    let out: string = name.startsWith('result_') ? name : `result_${name}`;
    while (taken.has(out)) out = `result_${out}`;
    taken.add(out);
    return out;
  });
}

/** The key the nested result gets in a JSON item: `result`, prefixed with `result_` while the item has it. */
export function resultKey(item: Record<string, unknown>): string {
  let key = 'result';
  while (Object.hasOwn(item, key)) key = `result_${key}`;
  return key;
}

/** The seven result values as CSV cells (empty when the row has no result). */
export function resultCells(result: JoinedResult | undefined): string[] {
  return RESULT_COLUMNS.map((name) => {
    const value = result?.[name];
    return value === null || value === undefined ? '' : String(value);
  });
}

/** The seven result values under the given names (null when the row has no result). */
export function resultFields(
  result: JoinedResult | undefined,
  names: readonly string[],
  into: Record<string, unknown>,
) {
  RESULT_COLUMNS.forEach((column, i) => {
    into[names[i] ?? column] = result?.[column] ?? null;
  });
  return into;
}
