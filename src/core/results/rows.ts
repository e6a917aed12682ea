/**
 * The row model of one result, for tabular outputs (`results --format sqlite`): its columns, in
 * order, with their SQL types and how each value comes from a result's facts. One list, so that
 * a new field (e.g. the typed fields of a structured output) is one entry here and a column in
 * every table written from it.
 */
import type { ResultFacts } from './line.js';

/** One column of a result row. */
export interface ResultColumn {
  name: string;
  /** Its SQLite type. */
  sql: 'TEXT' | 'INTEGER' | 'REAL';
  value: (facts: ResultFacts, batchId: string | null) => string | number | null;
}

/**
 * The result columns, `custom_id` (the key) first: named as `--format csv` and `--join` name them
 * (`result_type`, `result_text`…), so a query reads the same whichever output it came from.
 */
export const RESULT_ROW_COLUMNS: readonly ResultColumn[] = [
  { name: 'custom_id', sql: 'TEXT', value: (f) => f.custom_id },
  { name: 'result_type', sql: 'TEXT', value: (f) => f.type },
  { name: 'result_text', sql: 'TEXT', value: (f) => f.text },
  { name: 'result_stop_reason', sql: 'TEXT', value: (f) => f.stop_reason },
  { name: 'result_model', sql: 'TEXT', value: (f) => f.model },
  { name: 'result_input_tokens', sql: 'INTEGER', value: (f) => f.input_tokens },
  { name: 'result_output_tokens', sql: 'INTEGER', value: (f) => f.output_tokens },
  { name: 'result_cache_read_input_tokens', sql: 'INTEGER', value: (f) => f.cache_read_input_tokens },
  {
    name: 'result_cache_creation_input_tokens',
    sql: 'INTEGER',
    value: (f) => f.cache_creation_input_tokens,
  },
  { name: 'result_error_type', sql: 'TEXT', value: (f) => f.error_type },
  { name: 'result_error_message', sql: 'TEXT', value: (f) => f.error_message },
  { name: 'batch_id', sql: 'TEXT', value: (_f, batchId) => batchId },
];

/** A result's values in {@link RESULT_ROW_COLUMNS} order. */
export function resultRow(facts: ResultFacts, batchId: string | null): Array<string | number | null> {
  return RESULT_ROW_COLUMNS.map((column) => column.value(facts, batchId));
}
