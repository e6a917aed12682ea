import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/core/errors.js';
import { resultFacts } from '../../src/core/results/line.js';
import { RESULT_ROW_COLUMNS } from '../../src/core/results/rows.js';
import { openResultsDatabase } from '../../src/core/results/sqlite.js';
import { loadSqlite } from '../../src/core/results/sqlite-module.js';
import { tempDir, writeText } from '../helpers/files.js';
import { errored, succeeded } from '../helpers/join.js';

const dir = tempDir();

describe('the SQLite module', () => {
  it('loads better-sqlite3 lazily', async () => {
    const Loaded = await loadSqlite();
    expect(typeof Loaded).toBe('function');
  });

  it('that cannot load is one environment error, saying how to install it', async () => {
    const error = (await loadSqlite('claude-batch-no-such-sqlite-module').catch(
      (e: unknown) => e,
    )) as CliError;
    expect(error).toBeInstanceOf(CliError);
    expect(error.kind).toBe('environment');
    expect(error.message).toMatch(
      /^--format sqlite needs the better-sqlite3 module, which could not be loaded \(/,
    );
    expect(error.hint).toContain('npm install -g better-sqlite3@12');
    await expect(
      openResultsDatabase(join(dir, 'x.db'), { module: 'claude-batch-no-such-sqlite-module' }),
    ).rejects.toMatchObject({
      kind: 'environment',
    });
  });
});

describe('the results database', () => {
  it('writes in batches, sets input columns by row through the map, renames clashing ones, keeps JSON values', async () => {
    const path = join(dir, 'unit.db');
    const db = await openResultsDatabase(path, { batchRows: 2 });
    for (const [i, line] of [
      succeeded('a', 'A'),
      errored('b', 'invalid_request_error', 'bad'),
      succeeded('c', 'C'),
    ].entries()) {
      db.add(resultFacts(line), `msgbatch_${i}`);
    }
    const map = writeText(
      dir,
      'unit.map',
      `${JSON.stringify({ claude_batch_map: 1 })}\n{"custom_id":"a","row":1}\n{"custom_id":"b","row":2}\n{"custom_id":"c","row":4}\n`,
    );
    await db.readMap(map);
    db.addInputRow(1, { custom_id: 'a', tags: ['x', 'y'], ok: true, score: 1.5 });
    db.addInputRow(2, { custom_id: 'b', nested: { k: 1 }, ok: false });
    db.addInputRow(3, { custom_id: 'nobody' });
    db.addInputRow(4, { custom_id: 'c', score: null });
    const summary = db.finish();
    expect(summary).toMatchObject({ total: 3, succeeded: 2, errored: 1 });

    const read = new Database(path, { readonly: true });
    const columns = (read.prepare('PRAGMA table_info(results)').all() as Array<{ name: string }>).map(
      (c) => c.name,
    );
    expect(columns).toEqual([
      ...RESULT_ROW_COLUMNS.map((c) => c.name),
      'input_custom_id',
      'tags',
      'ok',
      'score',
      'nested',
    ]);
    const rows = read
      .prepare(
        'SELECT custom_id, input_custom_id, tags, ok, score, nested, result_error_type FROM results ORDER BY custom_id',
      )
      .all();
    read.close();
    expect(rows).toEqual([
      {
        custom_id: 'a',
        input_custom_id: 'a',
        tags: '["x","y"]',
        ok: 1,
        score: 1.5,
        nested: null,
        result_error_type: null,
      },
      {
        custom_id: 'b',
        input_custom_id: 'b',
        tags: null,
        ok: 0,
        score: null,
        nested: '{"k":1}',
        result_error_type: 'invalid_request_error',
      },
      {
        custom_id: 'c',
        input_custom_id: 'c',
        tags: null,
        ok: null,
        score: null,
        nested: null,
        result_error_type: null,
      },
    ]);
  });
});
