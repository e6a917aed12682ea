import {
  type OutputColumns,
  outputFieldNames,
  outputValues,
  type StructuredOutput,
} from '../results/output.js';
import { type JoinedResult, RESULT_COLUMNS } from './result-index.js';

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field, quoted as RFC 4180 says when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A JSON value as one CSV cell: text as it is, null as empty, objects and arrays as JSON. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
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
export function resultColumnNames(inputColumns: Iterable<string>, outputs?: OutputColumns): string[] {
  const taken = new Set(inputColumns);
  const names = RESULT_COLUMNS.map((name) => {
    let out: string = name.startsWith('result_') ? name : `result_${name}`;
    while (taken.has(out)) out = `result_${out}`;
    taken.add(out);
    return out;
  });
  return [...names, ...outputColumnNames(outputs, taken, 'result_')];
}

/**
 * The names of the output columns (structured answers) beside `taken`: `tool_name` (when a tool
 * is forced) and `output_error` under `prefix` (`result_` in a CSV, none in a nested result),
 * then each field as `out_FIELD`; a taken name gets its prefix again until it is free.
 */
export function outputColumnNames(
  outputs: OutputColumns | undefined,
  taken: Iterable<string>,
  prefix: 'result_' | '',
): string[] {
  if (!outputs) return [];
  const used = new Set(taken);
  const fixed = [...(outputs.tool ? ['tool_name'] : []), 'output_error'].map((name) => {
    let out = `${prefix}${name}`;
    while (used.has(out)) out = `result_${out}`;
    used.add(out);
    return out;
  });
  return [...fixed, ...outputFieldNames(outputs.fields, used)];
}

/** The values a joined row keeps of a structured answer, in {@link outputColumnNames}' order. */
export function outputRow(outputs: OutputColumns, out: StructuredOutput | undefined): unknown[] {
  return [
    ...(outputs.tool ? [out?.tool_name ?? null] : []),
    out?.output_error ?? null,
    ...outputValues(out, outputs.fields),
  ];
}

/** The key the nested result gets in a JSON item: `result`, prefixed with `result_` while the item has it. */
export function resultKey(item: Record<string, unknown>): string {
  let key = 'result';
  while (Object.hasOwn(item, key)) key = `result_${key}`;
  return key;
}

/** The seven result values as CSV cells (empty when the row has no result), then `extra` output cells. */
export function resultCells(result: JoinedResult | undefined, extra = 0): string[] {
  const cells = RESULT_COLUMNS.map((name) => {
    const value = result?.[name];
    return value === null || value === undefined ? '' : String(value);
  });
  for (let i = 0; i < extra; i += 1) cells.push(csvCell(result?.outputs?.[i]));
  return cells;
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
  for (let i = RESULT_COLUMNS.length; i < names.length; i += 1) {
    into[names[i] as string] = result?.outputs?.[i - RESULT_COLUMNS.length] ?? null;
  }
  return into;
}
