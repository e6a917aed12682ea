import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeText } from '../helpers/files.js';
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

  it('an unknown batch id: exit 3, no file', async () => {
    const r = await runCli(['report', 'msgbatch_nope', '-o', 'none.html'], { cwd: dir, env: ctx.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('not found');
    expect(existsSync(join(dir, 'none.html'))).toBe(false);
  });
});
