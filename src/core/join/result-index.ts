import { readSync, writeSync } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type ResultFacts, resultValues } from '../results/line.js';

/** The result columns a joined row gets, in order (values null when the row has no result). */
export interface JoinedResult {
  result_type: string | null;
  text: string | null;
  stop_reason: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  error_type: string | null;
  error_message: string | null;
  /** The output columns' values (tool name if forced, output_error, fields), when asked for. */
  outputs?: unknown[];
}

/** The names of the result columns, in output order. */
export const RESULT_COLUMNS = [
  'result_type',
  'text',
  'stop_reason',
  'input_tokens',
  'output_tokens',
  'error_type',
  'error_message',
] as const satisfies ReadonlyArray<keyof JoinedResult>;

/** Bytes of index records buffered before they are written to the temporary file. */
const FLUSH_AT = 1 << 20;

type Packed = [
  string,
  string | null,
  string | null,
  number | null,
  number | null,
  string | null,
  string | null,
  ...unknown[],
];

/**
 * An on-disk index of results by input row. Each result's seven join columns are written, as
 * one small JSON array, to an append-only temporary file; in memory only its byte offset
 * (Float64Array) and length (Uint32Array) are kept, per row: 12 bytes a row, whatever the size
 * of the answers. Rows are then read back one at a time with positional reads.
 *
 * The file is unlinked as soon as it is open (on systems that allow it), so even a hard exit
 * leaves nothing behind; otherwise it is removed by {@link close}.
 */
export class ResultIndex {
  private readonly offsets: Float64Array;
  private readonly lengths: Uint32Array;
  /** Records not written yet, encoded straight into one buffer that is reused after each write. */
  private pending = Buffer.allocUnsafe(FLUSH_AT);
  private pendingBytes = 0;
  /** Bytes in the file plus those pending: where the next record starts. */
  private end = 0;
  private scratch = Buffer.alloc(64 * 1024);
  /** Results indexed (repeats of a row count once). */
  count = 0;
  /** Results for a row that already had one (the later one is kept). */
  repeats = 0;

  private constructor(
    private readonly file: FileHandle,
    private readonly dir: string,
    rows: number,
  ) {
    this.offsets = new Float64Array(rows + 1);
    this.lengths = new Uint32Array(rows + 1);
  }

  /** Opens an empty index for rows 1…`rows`, its file in a new private folder under `tempDir`. */
  static async create(rows: number, tempDir: string): Promise<ResultIndex> {
    const dir = await mkdtemp(join(tempDir, 'claude-batch-join-'));
    const path = join(dir, 'index.jsonl');
    let file: FileHandle;
    try {
      file = await open(path, 'w+', 0o600);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    // Unlinked while open: the data lives until the handle closes. Windows refuses; close() cleans up.
    await unlink(path).catch(() => undefined);
    return new ResultIndex(file, dir, rows);
  }

  /**
   * Records the result of input row `row` (1 ≤ row ≤ rows); a later result for the same row
   * replaces it. Records are gathered in one buffer, written out (synchronously) when it fills.
   */
  add(row: number, f: ResultFacts, outputs?: readonly unknown[]): void {
    const packed: Packed = outputs ? [...resultValues(f), ...outputs] : resultValues(f);
    const record = `${JSON.stringify(packed)}\n`;
    // At most 3 bytes a UTF-16 unit: measure the record only when it might not fit.
    let length = record.length * 3;
    if (this.pendingBytes + length > this.pending.length) {
      length = Buffer.byteLength(record);
      if (this.pendingBytes + length > this.pending.length) {
        this.flush();
        if (length > this.pending.length) this.pending = Buffer.allocUnsafe(length);
      }
    }
    const written = this.pending.write(record, this.pendingBytes);
    if (this.lengths[row] === 0) this.count += 1;
    else this.repeats += 1;
    this.offsets[row] = this.end;
    this.lengths[row] = written;
    this.end += written;
    this.pendingBytes += written;
  }

  /**
   * Writes buffered records at their place in the file, synchronously (to the page cache), so
   * the one buffer can be reused at once and no record outlives a young collection. Call once
   * every result is added, before reading.
   */
  flush(): void {
    if (this.pendingBytes === 0) return;
    const at = this.end - this.pendingBytes;
    let done = 0;
    while (done < this.pendingBytes) {
      done += writeSync(this.file.fd, this.pending, done, this.pendingBytes - done, at + done);
    }
    this.pendingBytes = 0;
  }

  /** Whether row `row` has a result. */
  has(row: number): boolean {
    return row < this.lengths.length && (this.lengths[row] ?? 0) > 0;
  }

  /**
   * The result of row `row`, or undefined. One positional read (synchronous: from the page cache
   * it costs a microsecond or two, where a promise per row would cost several).
   */
  get(row: number): JoinedResult | undefined {
    if (!this.has(row)) return undefined;
    const length = this.lengths[row] ?? 0;
    const offset = this.offsets[row] ?? 0;
    if (this.scratch.length < length) this.scratch = Buffer.alloc(Math.max(length, this.scratch.length * 2));
    let done = 0;
    while (done < length) {
      const n = readSync(this.file.fd, this.scratch, done, length - done, offset + done);
      if (n === 0) throw new Error(`the join index ended early at byte ${offset + done}`);
      done += n;
    }
    const [type, text, stopReason, inputTokens, outputTokens, errorType, errorMessage, ...outputs] =
      JSON.parse(this.scratch.toString('utf8', 0, length)) as Packed;
    return {
      ...(outputs.length > 0 ? { outputs } : {}),
      result_type: type,
      text,
      stop_reason: stopReason,
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      error_type: errorType,
      error_message: errorMessage,
    };
  }

  /** Rows above `lastRow` that have a result (results whose row is not in the input). */
  countAbove(lastRow: number): number {
    let n = 0;
    for (let row = lastRow + 1; row < this.lengths.length; row += 1) if ((this.lengths[row] ?? 0) > 0) n += 1;
    return n;
  }

  /** Closes and removes the temporary file and its folder. */
  async close(): Promise<void> {
    await this.file.close().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}
