/**
 * Results into a SQLite database (`--format sqlite`): one `results` table, `custom_id` its primary
 * key, the columns of the row model (rows.ts), and with `--join` the input's columns. Rows are
 * upserted (a re-export replaces them) as they come, in transactions of {@link SQLITE_BATCH_ROWS}:
 * nothing is held per row but SQLite's page cache, whatever the number of results.
 */

import { createReadStream } from 'node:fs';
import { CliError } from '../errors.js';
import type { Sink } from '../fs/atomic-file.js';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';
import { type ResultFacts, resultFacts } from './line.js';
import { type OutputSpecs, outputFieldNames, outputValues } from './output.js';
import { RESULT_ROW_COLUMNS, resultRow } from './rows.js';
import { loadSqlite, type SqliteDatabase, type SqliteStatement } from './sqlite-module.js';
import { type ResultsSummary, SummaryBuilder } from './summary.js';

/** Rows written per transaction, at most. */
export const SQLITE_BATCH_ROWS = 5000;

/**
 * The page size of a new database: 16 KB pages hold a typical answer (a few KB) without overflow
 * pages and halve the time of an export against SQLite's default 4 KB.
 */
const PAGE_SIZE = 16_384;

/** The table's name. */
export const RESULTS_TABLE = 'results';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

type Value = string | number | bigint | null;

/** A JSON value as a SQLite value: text and numbers as they are, booleans 0/1, objects and arrays as JSON. */
function sqlValue(value: unknown): Value {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return JSON.stringify(value);
}

/** Options of {@link openResultsDatabase}. */
export interface SqliteExportOptions {
  /** The module to load (default better-sqlite3). */
  module?: string | undefined;
  /** Rows per transaction (default {@link SQLITE_BATCH_ROWS}). */
  batchRows?: number | undefined;
  /**
   * Structured answers asked for: the table then has `result_tool_name` (forced tools),
   * `result_output_error` and one `out_FIELD` column per output field, as `--format csv` does.
   */
  outputs?: OutputSpecs | undefined;
}

/**
 * A results database being written. Add results with {@link add} (or write a results file's raw
 * lines through {@link sink}); with a join, record the map and then the input's rows; then
 * {@link finish}.
 */
export class ResultsDatabase {
  private readonly upsert: SqliteStatement;
  /** Whether a transaction is open, and the rows added in it. */
  private open = false;
  private inBatch = 0;
  private readonly batchRows: number;
  private readonly columns = new Set<string>(RESULT_ROW_COLUMNS.map((c) => c.name));
  /** Input column (as named in the input) → its column in the table. */
  private readonly inputColumns = new Map<string, string>();
  private readonly updates = new Map<string, SqliteStatement>();
  private pendingInput: Array<{ row: number; values: Record<string, unknown> }> = [];
  private hasMap = false;
  /** The structured answers' columns, after the result columns (none when none was asked for). */
  private readonly outputs:
    | { specs: OutputSpecs; tool: boolean; fields: string[]; names: string[] }
    | undefined;
  /** Column names an input column may not take. */
  private readonly reserved: Set<string>;
  readonly summary = new SummaryBuilder();
  rows = 0;

  constructor(
    private readonly db: SqliteDatabase,
    readonly path: string,
    options: SqliteExportOptions,
  ) {
    this.batchRows = options.batchRows ?? SQLITE_BATCH_ROWS;
    db.pragma(`page_size = ${PAGE_SIZE}`); // only a new database takes it
    // WAL while writing (a commit costs no fsync with synchronous = NORMAL), back to a single file at the end.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -16384'); // 16 MB of pages: a transaction rarely spills
    const specs = options.outputs;
    if (specs) {
      const { tool, fields } = specs.columns();
      const names = outputFieldNames(
        fields,
        RESULT_ROW_COLUMNS.map((c) => c.name),
      );
      this.outputs = { specs, tool, fields, names };
      this.summary.countOutputs();
    }
    const columns: Array<{ name: string; sql: string }> = [
      ...RESULT_ROW_COLUMNS,
      ...(this.outputs?.tool ? [{ name: 'result_tool_name', sql: 'TEXT' }] : []),
      ...(this.outputs ? [{ name: 'result_output_error', sql: 'TEXT' }] : []),
      ...(this.outputs?.names.map((name) => ({ name, sql: '' })) ?? []),
    ];
    this.reserved = new Set(columns.map((c) => c.name));
    const defs = columns.map(
      (c) =>
        `${quote(c.name)}${c.sql ? ` ${c.sql}` : ''}${c.name === 'custom_id' ? ' PRIMARY KEY NOT NULL' : ''}`,
    );
    db.exec(`CREATE TABLE IF NOT EXISTS ${RESULTS_TABLE} (${defs.join(', ')})`);
    // A table from an earlier export may lack columns added since, or have input columns.
    const existing = db.prepare(`PRAGMA table_info(${RESULTS_TABLE})`).all() as Array<{ name: string }>;
    const have = new Set(existing.map((c) => c.name));
    for (const c of columns) {
      if (!have.has(c.name))
        db.exec(`ALTER TABLE ${RESULTS_TABLE} ADD COLUMN ${quote(c.name)}${c.sql ? ` ${c.sql}` : ''}`);
    }
    for (const name of have) this.columns.add(name);
    for (const c of columns) this.columns.add(c.name);
    const names = columns.map((c) => quote(c.name));
    const set = columns.slice(1).map((c) => `${quote(c.name)} = excluded.${quote(c.name)}`);
    this.upsert = db.prepare(
      `INSERT INTO ${RESULTS_TABLE} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ON CONFLICT(custom_id) DO UPDATE SET ${set.join(', ')}`,
    );
  }

  /** A result's values: the row model's, then its structured answer's (if asked for). */
  private values(facts: ResultFacts, batchId: string | null): Value[] {
    const row: Value[] = resultRow(facts, batchId);
    const outputs = this.outputs;
    if (!outputs) return row;
    const out = outputs.specs.check(facts);
    this.summary.addOutput(facts, out);
    if (outputs.tool) row.push(out?.tool_name ?? null);
    row.push(out?.output_error ?? null);
    for (const value of outputValues(out, outputs.fields)) row.push(sqlValue(value));
    return row;
  }

  /** Adds one result, in the open transaction (committed every {@link SQLITE_BATCH_ROWS} rows). */
  add(facts: ResultFacts, batchId: string | null): void {
    this.summary.add(facts);
    if (!this.open) {
      this.db.exec('BEGIN');
      this.open = true;
    }
    this.upsert.run(...this.values(facts, batchId));
    this.rows += 1;
    this.inBatch += 1;
    if (this.inBatch >= this.batchRows) this.commit();
  }

  /** Commits the rows added so far. */
  private commit(): void {
    if (this.open) this.db.exec('COMMIT');
    this.open = false;
    this.inBatch = 0;
  }

  /** Writes what was added so far: the results, then the input rows. */
  flush(): void {
    this.commit();
    this.flushInput();
  }

  private transaction(work: () => void): void {
    this.db.exec('BEGIN');
    try {
      work();
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * A sink that takes a results file's raw lines (a download, a job's merge) and adds each
   * result, all from one batch (`batchId`, or null when unknown).
   */
  sink(batchId: string | null): Sink {
    let rest = Buffer.alloc(0);
    const line = (bytes: Buffer) => {
      if (isBlank(bytes)) return;
      this.add(resultFacts(JSON.parse(decodeUtf8(bytes) ?? 'null')), batchId);
    };
    return {
      target: this.path,
      write: async (chunk) => {
        const data = Buffer.concat([rest, typeof chunk === 'string' ? Buffer.from(chunk) : chunk]);
        let start = 0;
        for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, start)) {
          line(data.subarray(start, at));
          start = at + 1;
        }
        rest = Buffer.from(data.subarray(start));
      },
      commit: async () => {
        if (rest.length > 0) line(rest);
        rest = Buffer.alloc(0);
        this.flush();
      },
      abort: async () => {
        rest = Buffer.alloc(0);
      },
    };
  }

  /**
   * Reads a build map (`custom_id` → input row) into a temporary table, so that the input's rows
   * can find their result. Memory: one batch.
   */
  async readMap(mapPath: string): Promise<void> {
    this.commit();
    this.db.exec('CREATE TEMP TABLE IF NOT EXISTS join_map (row INTEGER NOT NULL, custom_id TEXT NOT NULL)');
    this.db.exec('DELETE FROM join_map');
    const insert = this.db.prepare('INSERT INTO join_map (row, custom_id) VALUES (?, ?)');
    let batch: Array<[number, string]> = [];
    const write = () => {
      const rows = batch;
      batch = [];
      this.transaction(() => {
        for (const [row, id] of rows) insert.run(row, id);
      });
    };
    for await (const { bytes } of readLines(createReadStream(mapPath, { highWaterMark: 1 << 20 }))) {
      if (isBlank(bytes)) continue;
      const entry = JSON.parse(decodeUtf8(bytes) ?? 'null') as { custom_id?: unknown; row?: unknown } | null;
      if (typeof entry?.custom_id !== 'string' || typeof entry.row !== 'number') continue; // the header
      batch.push([entry.row, entry.custom_id]);
      if (batch.length >= this.batchRows) write();
    }
    write();
    this.db.exec('CREATE INDEX IF NOT EXISTS temp.join_map_row ON join_map (row)');
    this.hasMap = true;
  }

  /** The input's row `row` (1-based, as the map numbers them): its columns go to its result's row. */
  addInputRow(row: number, values: Record<string, unknown>): void {
    if (!this.hasMap) throw new CliError('bug: input rows before the map', { kind: 'bug' });
    this.pendingInput.push({ row, values });
    if (this.pendingInput.length >= this.batchRows) this.flush();
  }

  /** The table's column for an input column: its own name, or `input_NAME` when a result column has it. */
  private inputColumn(name: string): string {
    const known = this.inputColumns.get(name);
    if (known !== undefined) return known;
    let column = name;
    while (this.reserved.has(column)) column = `input_${column}`;
    if (!this.columns.has(column)) {
      this.db.exec(`ALTER TABLE ${RESULTS_TABLE} ADD COLUMN ${quote(column)}`);
      this.columns.add(column);
    }
    this.inputColumns.set(name, column);
    return column;
  }

  private flushInput(): void {
    if (this.pendingInput.length === 0) return;
    const rows = this.pendingInput;
    this.pendingInput = [];
    // New columns first: ALTER TABLE is not for inside the batch's transaction.
    for (const { values } of rows) for (const name of Object.keys(values)) this.inputColumn(name);
    this.transaction(() => {
      for (const { row, values } of rows) {
        const names = Object.keys(values);
        const key = names.join('\u0000');
        let update = this.updates.get(key);
        if (!update) {
          const set = names.map((n) => `${quote(this.inputColumn(n))} = ?`);
          update = this.db.prepare(
            `UPDATE ${RESULTS_TABLE} SET ${set.join(', ')} WHERE custom_id IN (SELECT custom_id FROM join_map WHERE row = ?)`,
          );
          this.updates.set(key, update);
        }
        update.run(...names.map((n) => sqlValue(values[n])), row);
      }
    });
  }

  /** Writes what is pending, indexes result_type, and closes the database. */
  finish(): ResultsSummary {
    this.flush();
    this.db.exec(`CREATE INDEX IF NOT EXISTS results_result_type ON ${RESULTS_TABLE} (result_type)`);
    if (this.hasMap) this.db.exec('DROP TABLE IF EXISTS temp.join_map');
    this.db.pragma('journal_mode = DELETE');
    this.db.close();
    return this.summary.build();
  }

  /** Closes the database, keeping the transactions already committed. */
  close(): void {
    this.pendingInput = [];
    try {
      if (this.open) this.db.exec('ROLLBACK');
    } catch {}
    this.open = false;
    try {
      this.db.close();
    } catch {}
  }
}

/**
 * Opens (or creates) a results database at `path`; an existing `results` table is kept and its
 * rows are replaced by custom_id. Throws an environment error when better-sqlite3 cannot load.
 */
export async function openResultsDatabase(
  path: string,
  options: SqliteExportOptions = {},
): Promise<ResultsDatabase> {
  const Database = await loadSqlite(options.module);
  let db: SqliteDatabase;
  try {
    db = new Database(path);
  } catch (error) {
    throw new CliError(`cannot open ${path} as a SQLite database: ${(error as Error).message}`, {
      kind: 'usage',
      hint: 'give -o a new file name, or an existing database written by claude-batch',
      cause: error,
    });
  }
  try {
    return new ResultsDatabase(db, path, options);
  } catch (error) {
    db.close();
    throw new CliError(`cannot write results into ${path}: ${(error as Error).message}`, {
      kind: 'usage',
      hint: 'give -o a new file name, or an existing database written by claude-batch',
      cause: error,
    });
  }
}

/** A sink that passes every write to both sinks; commit and abort go to `first`, then `second`. */
export function teeSink(first: Sink, second: Sink): Sink {
  return {
    target: second.target,
    async write(chunk) {
      await first.write(chunk);
      await second.write(chunk);
    },
    async commit() {
      await first.commit();
      await second.commit();
    },
    async abort() {
      await first.abort();
      await second.abort();
    },
  };
}

/** A sink that keeps nothing (the join's text output, when its rows go to a database). */
export function discardSink(target: string): Sink {
  return { target, async write() {}, async commit() {}, async abort() {} };
}
