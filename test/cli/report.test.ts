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
    const flags = await runCli(['report', results, '-o', 'x.html', '--requests', 'r.jsonl'], { cwd: dir });
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('--requests needs --join INPUT');
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
