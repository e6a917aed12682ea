import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeRequests, writeText } from '../helpers/files.js';
import { ended, errored, reportBlock, succeeded } from '../helpers/report.js';

const ctx = useEmulator();
const dir = tempDir();
const results = writeText(
  dir,
  'results.jsonl',
  `${[
    succeeded('a', 'Yes', { input_tokens: 10, output_tokens: 2 }),
    succeeded('b', 'No', { input_tokens: 12, output_tokens: 3 }, 'max_tokens'),
    errored('c', 'overloaded_error', 'Overloaded'),
    ended('d', 'expired'),
  ].join('\n')}\n`,
);

describe('report', () => {
  it('writes the page to -o: nothing on stdout, a summary on stderr, exit 0', async () => {
    const r = await runCli(['report', results, '-o', 'page.html'], { cwd: dir });
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^Report: 4 results · 2 succeeded · 1 errored · 0 canceled · 1 expired · 4 rows · cost \$\S+ \(standard \$\S+\)\nWrote page\.html \(\d/,
    );
    expect(r.code).toBe(0);
    const data = reportBlock(readFileSync(join(dir, 'page.html'), 'utf8'), 'report-data');
    expect(data).toMatchObject({
      counts: { total: 4, succeeded: 2 },
      source: { kind: 'file', title: 'results.jsonl' },
    });
  });

  it('-o - writes the page on stdout', async () => {
    const r = await runCli(['report', results, '-o', '-'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<!doctype html>[\s\S]*<\/html>\n$/);
    expect(r.stderr).not.toContain('Wrote');
  });

  it('needs -o, refuses to replace a file without --force, and join flags without --join (exit 2)', async () => {
    const none = await runCli(['report', results], { cwd: dir });
    expect([none.code, none.stdout]).toEqual([2, '']);
    expect(none.stderr).toContain('error: report needs -o FILE.html');
    const taken = writeText(dir, 'taken.html', 'mine');
    const again = await runCli(['report', results, '-o', taken], { cwd: dir });
    expect(again.code).toBe(2);
    expect(readFileSync(taken, 'utf8')).toBe('mine');
    expect((await runCli(['report', results, '-o', taken, '--force'], { cwd: dir })).code).toBe(0);
    const flags = await runCli(['report', results, '-o', 'x.html', '--map', 'r.jsonl.map'], { cwd: dir });
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('--map needs --join INPUT');
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  });

  it('a line that is not a result: FILE:LINE, exit 2, no file left', async () => {
    const bad = writeText(dir, 'compact.jsonl', '{"custom_id":"a","type":"succeeded","text":"x"}\n');
    const r = await runCli(['report', bad, '-o', 'bad.html'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('compact.jsonl:1: result');
    expect(existsSync(join(dir, 'bad.html'))).toBe(false);
  });

  it('--join on JSON and on text: the input columns, rows in input order, a row without a result', async () => {
    writeText(
      dir,
      'items.json',
      JSON.stringify([
        { id: 'q1', question: 'What is 2 + 2?', tags: ['math'] },
        { id: 'q2', question: 'Name a colour.' },
      ]),
    );
    const built = await runCli(
      [
        'build',
        'json',
        'items.json',
        '--prompt-field',
        'question',
        '--id-field',
        'id',
        '-o',
        'items-requests.jsonl',
      ],
      { cwd: dir },
    );
    expect(built.code).toBe(0);
    writeText(
      dir,
      'items-results.jsonl',
      `${succeeded('q2', 'Blue', { input_tokens: 5, output_tokens: 1 })}\n`,
    );
    const r = await runCli(
      [
        'report',
        'items-results.jsonl',
        '--join',
        'items.json',
        '--requests',
        'items-requests.jsonl',
        '-o',
        'items.html',
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const html = readFileSync(join(dir, 'items.html'), 'utf8');
    expect(reportBlock(html, 'report-data')).toMatchObject({
      table: { columns: ['id', 'question', 'tags'], rows: 2 },
      join: { input: 'items.json', rows: 2, without_result: 1 },
    });
    expect(reportBlock(html, 'report-rows')).toEqual([
      ['q1', null, null, null, null, null, null, null, ['q1', 'What is 2 + 2?', '["math"]']],
      ['q2', 'succeeded', 'end_turn', 5, 1, 'Blue', 4, null, ['q2', 'Name a colour.']],
    ]);

    writeText(dir, 'notes.txt', 'First note.\n\nSecond note.\n');
    await runCli(['build', 'text', 'notes.txt', '--split-by', 'paragraph', '-o', 'notes-requests.jsonl'], {
      cwd: dir,
    });
    writeText(
      dir,
      'notes-results.jsonl',
      `${errored('text-para-1', 'overloaded_error', 'busy')}\n${succeeded('text-para-2', 'ok', { input_tokens: 3, output_tokens: 1 })}\n`,
    );
    const t = await runCli(
      [
        'report',
        'notes-results.jsonl',
        '--join',
        'notes.txt',
        '--requests',
        'notes-requests.jsonl',
        '-o',
        'notes.html',
      ],
      { cwd: dir },
    );
    expect([t.code, t.stderr]).toEqual([0, expect.stringContaining('Wrote notes.html')]);
    const rows = reportBlock(readFileSync(join(dir, 'notes.html'), 'utf8'), 'report-rows') as unknown[][];
    expect(rows.map((row) => [row[0], row[1], row[8]])).toEqual([
      ['text-para-1', 'errored', ['1', 'First note.']],
      ['text-para-2', 'succeeded', ['2', 'Second note.']],
    ]);
  });

  it('structured answers: --requests (alone or with --join) or --schema give field summaries and output_error', async () => {
    writeText(dir, 'reviews.csv', 'id,text\n1,good\n2,bad\n3,meh\n');
    writeText(
      dir,
      'schema.json',
      JSON.stringify({
        type: 'object',
        properties: {
          sentiment: { type: 'string', enum: ['positive', 'negative'] },
          score: { type: 'integer' },
        },
        required: ['sentiment', 'score'],
        additionalProperties: false,
      }),
    );
    const built = await runCli(
      [
        'build',
        'csv',
        'reviews.csv',
        '--prompt-column',
        'text',
        '--schema',
        'schema.json',
        '-o',
        'reviews.jsonl',
      ],
      { cwd: dir },
    );
    expect(built.code).toBe(0);
    const usage = { input_tokens: 4, output_tokens: 6 };
    writeText(
      dir,
      'structured.jsonl',
      `${[
        succeeded('csv-row-1', '{"sentiment":"positive","score":5}', usage),
        succeeded('csv-row-2', '{"sentiment":"negative","score":1}', usage),
        succeeded('csv-row-3', '{"sentiment":"meh","score":3}', usage),
      ].join('\n')}\n`,
    );
    const fields = [
      {
        name: 'sentiment',
        values: [
          { value: 'negative', count: 1 },
          { value: 'positive', count: 1 },
        ],
      },
      { name: 'score', numbers: { count: 2, min: 1, max: 5 } },
    ];
    const alone = await runCli(
      ['report', 'structured.jsonl', '--requests', 'reviews.jsonl', '-o', 's1.html'],
      {
        cwd: dir,
      },
    );
    expect([alone.code, alone.stdout]).toEqual([0, '']);
    expect(alone.stderr).toContain(
      'Structured answers: 3 checked · 1 invalid (see output_error; send them again with retry --invalid-output)\nWrote s1.html',
    );
    const data = reportBlock(readFileSync(join(dir, 's1.html'), 'utf8'), 'report-data');
    expect(data).toMatchObject({
      outputs: { checked: 3, invalid: 1, invalid_examples: [{ custom_id: 'csv-row-3' }], fields },
    });

    const schema = await runCli(['report', 'structured.jsonl', '--schema', 'schema.json', '-o', 's2.html'], {
      cwd: dir,
    });
    expect(schema.code).toBe(0);
    expect(reportBlock(readFileSync(join(dir, 's2.html'), 'utf8'), 'report-data')).toMatchObject({
      outputs: { checked: 3, invalid: 1, fields },
    });

    const joined = await runCli(
      ['report', 'structured.jsonl', '--join', 'reviews.csv', '--requests', 'reviews.jsonl', '-o', 's3.html'],
      { cwd: dir },
    );
    expect(joined.code).toBe(0);
    const html = readFileSync(join(dir, 's3.html'), 'utf8');
    expect(reportBlock(html, 'report-data')).toMatchObject({
      outputs: { invalid: 1, fields },
      table: { columns: ['id', 'text'] },
    });
    const rows = reportBlock(html, 'report-rows') as unknown[][];
    expect(
      rows.map((row) => [row[0], row[1], row[8], typeof row[9] === 'string' ? 'invalid' : row[9]]),
    ).toEqual([
      ['csv-row-1', 'succeeded', ['1', 'good'], null],
      ['csv-row-2', 'succeeded', ['2', 'bad'], null],
      ['csv-row-3', 'succeeded', ['3', 'meh'], 'invalid'],
    ]);
    expect(rows[2]?.[9]).toMatch(
      /^does not match the schema: sentiment: must be equal to one of the allowed values/,
    );

    const missing = await runCli(['report', 'structured.jsonl', '--schema', 'nope.json', '-o', 's4.html'], {
      cwd: dir,
    });
    expect([missing.code, missing.stdout]).toEqual([2, '']);
    expect(missing.stderr).toContain('nope.json');
    expect(existsSync(join(dir, 's4.html'))).toBe(false);
  });

  it('--join refuses an input edited since build, before anything is written (exit 2)', async () => {
    writeText(dir, 'items.json', JSON.stringify([{ id: 'q1', question: 'Changed' }]));
    const r = await runCli(
      [
        'report',
        'items-results.jsonl',
        '--join',
        'items.json',
        '--requests',
        'items-requests.jsonl',
        '-o',
        'edited.html',
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not the input this map was built from');
    expect(existsSync(join(dir, 'edited.html'))).toBe(false);
  });

  it('monitor with several batches and --report: one page for all of them, downloaded for the report', async () => {
    const ids: string[] = [];
    for (const [name, count] of [
      ['two.jsonl', 2],
      ['three.jsonl', 3],
    ] as const)
      ids.push((await runCli(['submit', writeRequests(dir, name, count)], { env: ctx.env })).stdout.trim());
    const r = await runCli(['monitor', ...ids, '--interval', '50ms', '--report', 'both.html'], {
      cwd: dir,
      env: ctx.env,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Report: 5 results · 5 succeeded');
    const data = reportBlock(readFileSync(join(dir, 'both.html'), 'utf8'), 'report-data');
    expect(data).toMatchObject({
      source: { kind: 'batch', title: '2 batches', batch_ids: ids },
      counts: { total: 5 },
    });
  });

  it('an unknown batch id: exit 3, no file', async () => {
    const r = await runCli(['report', 'msgbatch_nope', '-o', 'none.html'], { cwd: dir, env: ctx.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('not found');
    expect(existsSync(join(dir, 'none.html'))).toBe(false);
  });
});
