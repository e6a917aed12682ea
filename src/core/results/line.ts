import { InputError } from '../errors.js';
import { decodeUtf8 } from '../fs/lines.js';
import { isRecord } from '../is-record.js';
import { csvCell, csvRecord } from '../join/output.js';
import { type OutputColumns, outputFieldNames, outputValues, type StructuredOutput } from './output.js';

/** What one line of a results file says, in flat form. */
export interface ResultFacts {
  custom_id: string;
  type: 'succeeded' | 'errored' | 'canceled' | 'expired' | string;
  model: string | null;
  /** Every text block of the answer, joined. */
  text: string | null;
  stop_reason: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_input_tokens: number | null;
  cache_creation_input_tokens: number | null;
  /** Of the cache writes, those with a 1-hour lifetime (billed 2×; the rest 1.25×). */
  cache_write_1h_tokens: number | null;
  error_type: string | null;
  error_message: string | null;
  /** The answer's first `tool_use` block (a forced tool's call), when it has one. */
  tool_use?: { name: string; input: unknown };
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (isRecord(v) ? v : undefined);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * One line of a results file as the API sends it, flattened; an InputError naming the file and
 * line when it is not JSON or not a result line (`hint` says what to give instead).
 */
export function resultFileLine(bytes: Buffer, number: number, file: string, hint: string): ResultFacts {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeUtf8(bytes) ?? '');
  } catch {
    throw new InputError([{ file, line: number, field: 'json', message: 'not a JSON line' }]);
  }
  if (!isRecord(parsed) || typeof parsed.custom_id !== 'string' || !isRecord(parsed.result)) {
    throw new InputError(
      [
        {
          file,
          line: number,
          field: 'result',
          message: 'not a result line as the API sends it ({"custom_id", "result": {…}})',
        },
      ],
      1,
      hint,
    );
  }
  return resultFacts(parsed);
}

/**
 * Flattens one parsed result line. Tolerates fields it does not know and missing ones. The error
 * of an `errored` result is double-nested: its type is at `result.error.error.type`.
 */
export function resultFacts(line: unknown): ResultFacts {
  const root = obj(line) ?? {};
  const result = obj(root.result) ?? {};
  const message = obj(result.message);
  const usage = obj(message?.usage);
  const outer = obj(result.error);
  const inner = obj(outer?.error) ?? outer;
  let text: string | null = null;
  let toolUse: ResultFacts['tool_use'];
  if (message && Array.isArray(message.content)) {
    const parts: string[] = [];
    // Only text blocks: thinking and tool_use blocks are never mixed into the text.
    for (const block of message.content) {
      const b = obj(block);
      if (b?.type === 'text' && typeof b.text === 'string') parts.push(b.text);
      else if (b?.type === 'tool_use' && toolUse === undefined && typeof b.name === 'string')
        toolUse = { name: b.name, input: b.input };
    }
    text = parts.join('');
  }
  const facts: ResultFacts = {
    custom_id: str(root.custom_id) ?? '',
    type: str(result.type) ?? 'unknown',
    model: str(message?.model),
    text,
    stop_reason: str(message?.stop_reason),
    input_tokens: num(usage?.input_tokens),
    output_tokens: num(usage?.output_tokens),
    cache_read_input_tokens: num(usage?.cache_read_input_tokens),
    cache_creation_input_tokens: num(usage?.cache_creation_input_tokens),
    cache_write_1h_tokens: num(obj(usage?.cache_creation)?.ephemeral_1h_input_tokens),
    error_type: inner ? str(inner.type) : null,
    error_message: inner ? str(inner.message) : null,
  };
  if (toolUse) facts.tool_use = toolUse;
  return facts;
}

/**
 * The output fields a flat format adds after its own (when structured answers were asked for):
 * the forced tool's name, the error, and each field under `out_`.
 */
export interface FlatOutputs {
  columns: OutputColumns;
  /** The fields' column names (`out_FIELD`). */
  names: string[];
}

/** The flat layout of output columns (no flat column starts with `out_`: names never collide). */
export function flatOutputs(columns: OutputColumns): FlatOutputs {
  return { columns, names: outputFieldNames(columns.fields, []) };
}

/** The `compact` output line: one flat JSON object a result (with its output fields, if asked). */
export function compactLine(f: ResultFacts, outputs?: FlatOutputs, out?: StructuredOutput): string {
  const line: Record<string, unknown> = {
    custom_id: f.custom_id,
    type: f.type,
    text: f.text,
    stop_reason: f.stop_reason,
    input_tokens: f.input_tokens,
    output_tokens: f.output_tokens,
    error_type: f.error_type,
    error_message: f.error_message,
  };
  if (outputs) {
    if (outputs.columns.tool) line.tool_name = out?.tool_name ?? null;
    line.output_error = out?.output_error ?? null;
    const values = outputValues(out, outputs.columns.fields);
    outputs.names.forEach((name, i) => {
      line[name] = values[i];
    });
  }
  return JSON.stringify(line);
}

/** The flat CSV's columns: the id, then the result columns under the same names a join gives them. */
export const FLAT_CSV_COLUMNS = [
  'custom_id',
  'result_type',
  'result_text',
  'result_stop_reason',
  'result_input_tokens',
  'result_output_tokens',
  'result_error_type',
  'result_error_message',
] as const;

/** The flat CSV's header line: its columns, then the output columns (if asked). */
export function flatCsvHeader(outputs?: FlatOutputs): string {
  const extra = outputs
    ? [...(outputs.columns.tool ? ['result_tool_name'] : []), 'result_output_error', ...outputs.names]
    : [];
  return csvRecord([...FLAT_CSV_COLUMNS, ...extra]);
}

/** The output columns' cells of one result, in {@link flatCsvHeader}'s order. */
export function outputCells(outputs: FlatOutputs, out: StructuredOutput | undefined): string[] {
  return [
    ...(outputs.columns.tool ? [csvCell(out?.tool_name)] : []),
    csvCell(out?.output_error),
    ...outputValues(out, outputs.columns.fields).map(csvCell),
  ];
}

/** A result's seven values in the order of the result columns (type, text, stop reason, tokens, error). */
export function resultValues(
  f: ResultFacts,
): [string, string | null, string | null, number | null, number | null, string | null, string | null] {
  return [f.type, f.text, f.stop_reason, f.input_tokens, f.output_tokens, f.error_type, f.error_message];
}

/** One result as a flat CSV record (RFC 4180 quoting), in {@link FLAT_CSV_COLUMNS} order. */
export function flatCsvLine(f: ResultFacts, outputs?: FlatOutputs, out?: StructuredOutput): string {
  const cells = [f.custom_id, ...resultValues(f)].map((v) =>
    v === null || v === undefined ? '' : String(v),
  );
  return csvRecord(outputs ? [...cells, ...outputCells(outputs, out)] : cells);
}
