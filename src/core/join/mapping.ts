import { createReadStream } from 'node:fs';
import { isMapHeader, MAP_HEADER_KEY, type MapHeader } from '../builder/sidecar.js';
import { InputError } from '../errors.js';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';
import { READ_CHUNK_BYTES } from '../fs/memory.js';

/** Grows a byte array to hold at least `size` entries (doubling), keeping its contents. */
function grow(bytes: Uint8Array, size: number): Uint8Array {
  if (size <= bytes.length) return bytes;
  const next = new Uint8Array(Math.max(size, bytes.length * 2));
  next.set(bytes);
  return next;
}

/** Grows a Uint32Array to hold at least `size` entries (doubling), keeping its contents. */
function grow32(values: Uint32Array, size: number): Uint32Array {
  if (size <= values.length) return values;
  const next = new Uint32Array(Math.max(size, values.length * 2));
  next.set(values);
  return next;
}

const DIGITS = /^[1-9][0-9]*$/;

/** A 32-bit FNV-1a hash of a text, never 0 (0 marks "no id"): to check ids at 4 bytes a row. */
export function idHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0 || 1;
}

/** The highest row number a sidecar may name (the join keeps 13 bytes a row in memory). */
export const MAX_MAP_ROW = 100_000_000;

/**
 * custom_id → input row, read from a build sidecar (`{"custom_id":"csv-row-1","row":1,…}` a line).
 *
 * Generated ids (`[PREFIX]csv-row-N`, `json-item-N`, `text-line-N`…: one shared stem, then `-N`
 * where N is the row) are not stored as strings: one byte per row marks them, and an id is
 * recognised by its stem and number. Only other ids (from --id-column / --id-field, hashed ids)
 * go into a Map. A map of 1,000,000 generated ids costs about 1 MB.
 */
export class RowMapping {
  /** Ids that are not `stem-row`, with their row. */
  private readonly named = new Map<string, number>();
  /** 1 where row N's custom_id is `stem-N`. */
  private generated: Uint8Array = new Uint8Array(1024);
  private stem: string | undefined;
  /** The line each row starts on, as build saw it (0: not said). 4 bytes a row. */
  private lines: Uint32Array = new Uint32Array(0);
  /** A hash of each row's id (`id` in the map), when the header names an id column or field. */
  private ids: Uint32Array | undefined;
  /** How build read the input (maps written before the header existed have none). */
  header: MapHeader | undefined;
  /** The highest row number in the map. */
  maxRow = 0;
  /** Lines (requests) in the map. */
  size = 0;

  /** Records that `customId` is the request of input row `row`, which starts on `line` (when known). */
  add(customId: string, row: number, line?: number): void {
    this.size += 1;
    if (row > this.maxRow) this.maxRow = row;
    if (line !== undefined) {
      this.lines = grow32(this.lines, row + 1);
      this.lines[row] = line;
    }
    const suffix = `-${row}`;
    if (customId.endsWith(suffix)) {
      const stem = customId.slice(0, -suffix.length);
      this.stem ??= stem;
      if (stem === this.stem) {
        this.generated = grow(this.generated, row + 1);
        this.generated[row] = 1;
        return;
      }
    }
    this.named.set(customId, row);
  }

  /** Records the id (`id` in the map) of row `row`, as a hash. */
  addId(row: number, id: unknown): void {
    this.ids = grow32(this.ids ?? new Uint32Array(0), row + 1);
    this.ids[row] = idHash(JSON.stringify(id));
  }

  /** The hash of row `row`'s id in the map, or 0 when the map has none for it. */
  idOf(row: number): number {
    return this.ids !== undefined && row < this.ids.length ? (this.ids[row] ?? 0) : 0;
  }

  /** The line row `row` starts on according to the map, or 0 when the map does not say. */
  lineOf(row: number): number {
    return row < this.lines.length ? (this.lines[row] ?? 0) : 0;
  }

  /** The input row of a custom_id, or undefined when the map does not hold it. */
  rowOf(customId: string): number | undefined {
    const named = this.named.get(customId);
    if (named !== undefined) return named;
    const stem = this.stem;
    if (stem === undefined || customId.length <= stem.length + 1) return undefined;
    if (!customId.startsWith(stem) || customId.charCodeAt(stem.length) !== 0x2d) return undefined;
    const digits = customId.slice(stem.length + 1);
    if (!DIGITS.test(digits)) return undefined;
    const row = Number(digits);
    return row < this.generated.length && this.generated[row] === 1 ? row : undefined;
  }
}

/**
 * Reads a sidecar file into a {@link RowMapping}. Every line must be a JSON object with a string
 * `custom_id` and a whole `row` ≥ 1, and no custom_id may repeat; otherwise an InputError names
 * the line. Blank lines are ignored.
 */
export async function readMapping(
  path: string,
  name = path,
  options: { headerOnly?: boolean } = {},
): Promise<RowMapping> {
  const mapping = new RowMapping();
  let first = true;
  let checkIds = false;
  for await (const { number, bytes } of readLines(
    createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }),
  )) {
    if (isBlank(bytes)) continue;
    const fail = (field: string, message: string) =>
      new InputError(
        [{ file: name, line: number, field, message }],
        1,
        'pass the sidecar build wrote beside the request file (REQUESTS.jsonl.map) with --map',
      );
    let value: unknown;
    try {
      value = JSON.parse(decodeUtf8(bytes) ?? '');
    } catch {
      throw fail('json', 'not a JSON line of a build sidecar');
    }
    if (isMapHeader(value)) {
      if (!first) throw fail(MAP_HEADER_KEY, 'a header line after the first line');
      mapping.header = checkHeader(value, fail);
      checkIds = mapping.header.id_column !== undefined || mapping.header.id_field !== undefined;
      first = false;
      if (options.headerOnly) break;
      continue;
    }
    if (options.headerOnly) break;
    first = false;
    const line = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    const { custom_id: customId, row, line: start, id } = line;
    if (typeof customId !== 'string' || customId === '') throw fail('custom_id', 'missing or not a string');
    if (typeof row !== 'number' || !Number.isSafeInteger(row) || row < 1 || row > MAX_MAP_ROW) {
      throw fail('row', `missing or not a whole number from 1 to ${MAX_MAP_ROW.toLocaleString('en-US')}`);
    }
    if (mapping.rowOf(customId) !== undefined) throw fail('custom_id', `${customId} repeats`);
    const startLine =
      typeof start === 'number' && Number.isSafeInteger(start) && start >= 1 && start <= 0xffffffff
        ? start
        : undefined;
    mapping.add(customId, row, startLine);
    if (checkIds && id !== undefined) mapping.addId(row, id);
  }
  return mapping;
}

/** Reads only the header of a map (undefined for a map written before headers existed). */
export async function readMapHeader(path: string, name = path): Promise<MapHeader | undefined> {
  return (await readMapping(path, name, { headerOnly: true })).header;
}

/** Checks a header line's fields; a later version, or a field of the wrong type, is refused. */
function checkHeader(
  value: Record<string, unknown>,
  fail: (field: string, message: string) => InputError,
): MapHeader {
  const version = value[MAP_HEADER_KEY];
  if (version !== 1) {
    throw fail(
      MAP_HEADER_KEY,
      `version ${JSON.stringify(version)}: written by a newer claude-batch (upgrade it)`,
    );
  }
  const { source, delimiter, jsonl, split_by: splitBy, input } = value;
  if (
    source !== 'csv' &&
    source !== 'json' &&
    source !== 'text' &&
    source !== 'custom' &&
    source !== 'openai'
  ) {
    throw fail('source', 'not csv, json, text, custom or openai');
  }
  if (delimiter !== undefined && (typeof delimiter !== 'string' || [...delimiter].length !== 1)) {
    throw fail('delimiter', 'not one character');
  }
  if (jsonl !== undefined && typeof jsonl !== 'boolean') throw fail('jsonl', 'not true or false');
  if (splitBy !== undefined && splitBy !== 'line' && splitBy !== 'paragraph') {
    throw fail('split_by', 'not line or paragraph');
  }
  const identity =
    input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : undefined;
  if (!identity || typeof identity.name !== 'string') throw fail('input', 'missing, or without a name');
  if (
    identity.size !== undefined &&
    (typeof identity.size !== 'number' || !Number.isSafeInteger(identity.size))
  ) {
    throw fail('input.size', 'not a whole number');
  }
  if (
    identity.sha256 !== undefined &&
    (typeof identity.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(identity.sha256))
  ) {
    throw fail('input.sha256', 'not 64 hex digits');
  }
  return value as unknown as MapHeader;
}
