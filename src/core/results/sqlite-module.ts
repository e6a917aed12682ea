/**
 * better-sqlite3, loaded only when a command writes SQLite: a native module, an optional peer
 * dependency kept out of the bundle. Where it is not installed (or its binary does not match this
 * Node), that one format fails with an environment error; nothing else loads it.
 */
import { EnvironmentError } from '../errors.js';

/** The part of better-sqlite3's API the exporter uses. */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  pragma(sql: string): unknown;
  close(): void;
}

export type SqliteConstructor = new (path: string) => SqliteDatabase;

/** The package name, and the module loaded by default. */
export const SQLITE_MODULE = 'better-sqlite3';

/**
 * Loads the SQLite module (`specifier`, default better-sqlite3) and returns its Database class;
 * throws one environment error, saying how to install it, when it cannot be loaded.
 */
export async function loadSqlite(specifier: string = SQLITE_MODULE): Promise<SqliteConstructor> {
  try {
    const loaded = (await import(specifier)) as { default?: unknown };
    const Database = (loaded.default ?? loaded) as SqliteConstructor;
    if (typeof Database !== 'function') throw new Error(`${specifier} exports no Database class`);
    // A binary built for another Node loads lazily: open one in memory to find out now.
    new Database(':memory:').close();
    return Database;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new EnvironmentError(
      `--format sqlite needs the ${SQLITE_MODULE} module, which could not be loaded (${reason})`,
      {
        hint: `install it beside claude-batch: npm install -g ${SQLITE_MODULE}@12 (or npm install ${SQLITE_MODULE}@12 in the project that has claude-batch); every other format works without it`,
        cause: error,
      },
    );
  }
}
