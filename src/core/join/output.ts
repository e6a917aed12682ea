import type { Sink } from '../fs/atomic-file.js';
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

/** Collects output text and hands it to a sink in large chunks (one promise per chunk, not per row). */
export class ChunkWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(
    private readonly sink: Sink,
    private readonly chunkChars = 1 << 18,
  ) {}

  /** Adds text; when enough has gathered, writes it out and returns that promise (await it). */
  write(text: string): Promise<void> | undefined {
    this.parts.push(text);
    this.size += text.length;
    return this.size >= this.chunkChars ? this.flush() : undefined;
  }

  /** Writes out everything gathered. */
  async flush(): Promise<void> {
    if (this.size === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await this.sink.write(text);
  }
}
