import { createReadStream } from 'node:fs';
import { InputError } from '../errors.js';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';

/** Grows a byte array to hold at least `size` entries (doubling), keeping its contents. */
function grow(bytes: Uint8Array, size: number): Uint8Array {
  if (size <= bytes.length) return bytes;
  const next = new Uint8Array(Math.max(size, bytes.length * 2));
  next.set(bytes);
  return next;
}

const DIGITS = /^[1-9][0-9]*$/;

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
  /** The highest row number in the map. */
  maxRow = 0;
  /** Lines (requests) in the map. */
  size = 0;

  /** Records that `customId` is the request of input row `row`. */
  add(customId: string, row: number): void {
    this.size += 1;
    if (row > this.maxRow) this.maxRow = row;
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
export async function readMapping(path: string, name = path): Promise<RowMapping> {
  const mapping = new RowMapping();
  for await (const { number, bytes } of readLines(createReadStream(path, { highWaterMark: 1 << 20 }))) {
    if (isBlank(bytes)) continue;
    const fail = (field: string, message: string) =>
      new InputError(
        [{ file: name, line: number, field, message }],
        1,
        'pass the sidecar build wrote beside the request file (REQUESTS.map.jsonl) with --map',
      );
    let value: unknown;
    try {
      value = JSON.parse(decodeUtf8(bytes) ?? '');
    } catch {
      throw fail('json', 'not a JSON line of a build sidecar');
    }
    const line = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    const { custom_id: customId, row } = line;
    if (typeof customId !== 'string' || customId === '') throw fail('custom_id', 'missing or not a string');
    if (typeof row !== 'number' || !Number.isSafeInteger(row) || row < 1 || row > MAX_MAP_ROW) {
      throw fail('row', `missing or not a whole number from 1 to ${MAX_MAP_ROW.toLocaleString('en-US')}`);
    }
    if (mapping.rowOf(customId) !== undefined) throw fail('custom_id', `${customId} repeats`);
    mapping.add(customId, row);
  }
  return mapping;
}
