import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/files.js';

// --format sqlite through the CLI, read back with better-sqlite3 itself.
const ctx = useEmulator({ processingTimeMs: 150, stoppedClock: true });
const dir = tempDir();

const RESULT_COLUMNS = [
  'custom_id',
  'result_type',
  'result_text',
  'result_stop_reason',
  'result_model',
  'result_input_tokens',
  'result_output_tokens',
  'result_cache_read_input_tokens',
  'result_cache_creation_input_tokens',
  'result_error_type',
  'result_error_message',
  'batch_id',
];

function read(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    const columns = (
      db.prepare('PRAGMA table_info(results)').all() as Array<{ name: string; pk: number }>
    ).map((c) => c.name);
    const pk = (db.prepare('PRAGMA table_info(results)').all() as Array<{ name: string; pk: number }>)
      .filter((c) => c.pk > 0)
      .map((c) => c.name);
    const rows = db.prepare('SELECT * FROM results ORDER BY custom_id').all() as Array<
      Record<string, unknown>
    >;
    const indexes = (
      db
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        .all() as Array<{
        sql: string;
      }>
    ).map((i) => i.sql);
    return { columns, pk, rows, indexes };
  } finally {
    db.close();
  }
}

async function batchFromCsv(name: string, csvText: string) {
  const csv = join(dir, `${name}.csv`);
  writeFileSync(csv, csvText);
  const requests = join(dir, `${name}.jsonl`);
  const built = await runCli(
    ['build', 'csv', csv, '--prompt-column', 'text', '--id-column', 'review_id', '-o', requests],
    {
      env: ctx.env,
    },
  );
  expect(built.code).toBe(0);
  const id = (await runCli(['submit', requests], { env: ctx.env })).stdout.trim();
  ctx.endBatches();
  return { csv, requests, id };
}

describe('results --format sqlite', () => {
  it('a joined result set reads back: one row per result, result columns then the input columns, values', async () => {
    const { csv, requests, id } = await batchFromCsv(
      'reviews',
      'review_id,product,text,stars\nr1,Kettle,"Boils fast, stays cool",5\nr2,Pan,EMULATE_ERROR=overloaded_error,1\nr3,Lamp,"Warm ""light""",4\n',
    );
    const db = join(dir, 'joined.db');
    const r = await runCli(
      ['results', id, '--join', csv, '--requests', requests, '--format', 'sqlite', '-o', db],
      {
        env: ctx.env,
      },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Joined: 3 rows · 3 with a result · 0 without');
    expect(r.stderr).toContain(`Wrote 3 rows into table results of ${db}`);
    const { columns, pk, rows, indexes } = read(db);
    expect(columns).toEqual([...RESULT_COLUMNS, 'review_id', 'product', 'text', 'stars']);
    expect(pk).toEqual(['custom_id']);
    expect(indexes).toEqual([expect.stringMatching(/ON results \(result_type\)/)]);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      custom_id: 'r1',
      result_type: 'succeeded',
      result_text: expect.stringMatching(/^Emulated answer [0-9a-f]{8} to: "Boils fast, stays cool"$/),
      result_stop_reason: 'end_turn',
      result_model: 'claude-haiku-4-5',
      result_error_type: null,
      batch_id: id,
      review_id: 'r1',
      product: 'Kettle',
      text: 'Boils fast, stays cool',
      stars: '5',
    });
    expect(rows[0]?.result_input_tokens).toBeGreaterThan(0);
    expect(rows[1]).toMatchObject({
      custom_id: 'r2',
      result_type: 'errored',
      result_text: null,
      result_error_type: 'overloaded_error',
      product: 'Pan',
    });
    expect(rows[2]).toMatchObject({ custom_id: 'r3', text: 'Warm "light"', stars: '4' });
  });

  it('without --join: the result columns; a re-export replaces rows (upsert), others are kept', async () => {
    const first = await batchFromCsv('a', 'review_id,text\nx1,one\nx2,two\n');
    const second = await batchFromCsv('b', 'review_id,text\nx2,two again\nx3,three\n');
    const db = join(dir, 'results.db');
    expect((await runCli(['results', first.id, '--format', 'sqlite', '-o', db], { env: ctx.env })).code).toBe(
      0,
    );
    const again = await runCli(['results', second.id, '--format', 'sqlite', '-o', db, '--json'], {
      env: ctx.env,
    });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      batch_id: second.id,
      output: db,
      format: 'sqlite',
      total: 2,
    });
    const { columns, rows } = read(db);
    expect(columns).toEqual(RESULT_COLUMNS);
    expect(rows.map((r) => [r.custom_id, r.batch_id])).toEqual([
      ['x1', first.id],
      ['x2', second.id],
      ['x3', second.id],
    ]);
    expect(rows[1]?.result_text).toMatch(/two again/);
  });

  it('needs -o FILE (exit 2), and refuses a file that is not a database (exit 2)', async () => {
    const { id } = await batchFromCsv('c', 'review_id,text\nc1,one\n');
    const missing = await runCli(['results', id, '--format', 'sqlite'], { env: ctx.env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--format sqlite writes a database file: give -o FILE');
    const text = join(dir, 'not-a-db.db');
    writeFileSync(
      text,
      'hello, this is text and not a database at all, long enough to have a header\n'.repeat(3),
    );
    const refused = await runCli(['results', id, '--format', 'sqlite', '-o', text], { env: ctx.env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not a database/);
  });

  it('job results --format sqlite, with --join: each row with its own batch id', async () => {
    const csv = join(dir, 'job.csv');
    writeFileSync(csv, 'review_id,text\nj1,one\nj2,two\nj3,three\n');
    const state = join(dir, 'job');
    const run = runCli(
      [
        'run',
        'csv',
        csv,
        '--prompt-column',
        'text',
        '--id-column',
        'review_id',
        '--state',
        state,
        '--max-requests',
        '2',
        '--interval',
        '20ms',
      ],
      {
        env: ctx.env,
      },
    );
    // The clock stands still: end the job's batches until the run is done.
    let finished = false;
    void run.then(() => {
      finished = true;
    });
    while (!finished) {
      ctx.endBatches();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect((await run).code).toBe(0);
    const db = join(dir, 'job.db');
    const r = await runCli(
      ['job', 'results', '--state', state, '--join', csv, '--format', 'sqlite', '-o', db],
      {
        env: ctx.env,
      },
    );
    expect(r.code).toBe(0);
    const { columns, rows } = read(db);
    expect(columns).toEqual([...RESULT_COLUMNS, 'review_id', 'text']);
    expect(rows.map((row) => [row.custom_id, row.text])).toEqual([
      ['j1', 'one'],
      ['j2', 'two'],
      ['j3', 'three'],
    ]);
    expect(new Set(rows.map((row) => row.batch_id)).size).toBe(2);
  });

  it('structured answers: result_output_error and one out_ column per output field, typed values', async () => {
    const schema = {
      type: 'object',
      properties: {
        score: { type: 'integer' },
        label: { type: 'string', enum: ['a', 'b'] },
        extra: {
          type: 'object',
          properties: { x: { type: 'number' } },
          required: ['x'],
          additionalProperties: false,
        },
      },
      required: ['score', 'label', 'extra'],
      additionalProperties: false,
    };
    const input = join(dir, 'structured.csv');
    writeFileSync(input, 'id,out_score,text\nr1,old,one\nr2,old,two\nr3,old,three\n');
    writeFileSync(join(dir, 'schema.json'), JSON.stringify(schema));
    const requests = join(dir, 'structured.jsonl');
    const build = await runCli(
      [
        'build',
        'csv',
        input,
        '--prompt-column',
        'text',
        '--id-column',
        'id',
        '--schema',
        'schema.json',
        '-o',
        requests,
      ],
      { cwd: dir },
    );
    expect(build.code).toBe(0);
    const answer = (id: string, text: string) =>
      JSON.stringify({
        custom_id: id,
        result: {
          type: 'succeeded',
          message: {
            id: `msg_${id}`,
            type: 'message',
            role: 'assistant',
            model: 'claude-haiku-4-5',
            content: [{ type: 'text', text }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 3, output_tokens: 4 },
          },
        },
      });
    const results = join(dir, 'structured-results.jsonl');
    writeFileSync(
      results,
      `${[
        answer('r1', JSON.stringify({ score: 3, label: 'a', extra: { x: 1.5 } })),
        answer('r2', '{"score": "three"'),
        JSON.stringify({ custom_id: 'r3', result: { type: 'expired' } }),
      ].join('\n')}\n`,
    );
    const db = join(dir, 'structured.db');
    const r = await runCli(
      ['results', '--join', input, '--requests', requests, '--from', results, '--format', 'sqlite', '-o', db],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const { columns, rows } = read(db);
    expect(columns).toEqual([
      ...RESULT_COLUMNS,
      'result_output_error',
      'out_score',
      'out_label',
      'out_extra',
      'id',
      'input_out_score',
      'text',
    ]);
    expect(rows[0]).toMatchObject({
      custom_id: 'r1',
      result_output_error: null,
      out_score: 3,
      out_label: 'a',
      out_extra: '{"x":1.5}',
      input_out_score: 'old',
      text: 'one',
    });
    expect(rows[1]?.result_output_error).toMatch(/^not JSON/);
    expect(rows[1]?.out_score).toBe(null);
    expect(rows[2]).toMatchObject({
      custom_id: 'r3',
      result_type: 'expired',
      out_score: null,
      text: 'three',
    });
  });
});
