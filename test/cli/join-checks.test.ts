/**
 * Issue 13, "never silently wrong": a join reads the input the way the map says build read it,
 * and refuses (exit 2, no file) when the input or the flags disagree with the map.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/files.js';

const ctx = useEmulator({ processingTimeMs: 100 });
const dir = tempDir();

const NOTES = 'First paragraph,\nstill the first.\n\nSecond one.\n\nThird one\nhas two lines.\n';

/** Builds `args`, submits, waits with `monitor --results`: the batch id and its results file. */
async function builtAndDone(args: string[], requests: string): Promise<{ id: string; results: string }> {
  const built = await runCli([...args, '-o', requests], { env: ctx.env, cwd: dir });
  expect(built.code, built.stderr).toBe(0);
  const submitted = await runCli(['submit', join(dir, requests)], { env: ctx.env, cwd: dir });
  expect(submitted.code, submitted.stderr).toBe(0);
  const id = submitted.stdout.trim();
  const results = join(dir, `${requests}.results`);
  const watched = await runCli(['monitor', id, '--interval', '50ms', '--results', results], {
    env: ctx.env,
    cwd: dir,
  });
  expect(watched.code, watched.stderr).toBe(0);
  return { id, results };
}

const join_ = (args: string[]) => runCli(['results', ...args], { env: ctx.env, cwd: dir });

/** The rows of a JSON Lines output. */
const rowsOf = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** A refused join: exit 2, the reason on stderr, no output file and no temporary file left. */
function expectRefused(r: { code: number; stdout: string; stderr: string }, out: string, reason: RegExp) {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(reason);
  expect(r.stdout).toBe('');
  expect(existsSync(join(dir, out))).toBe(false);
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
}

describe('results --join reads the input as the map says', () => {
  it('paragraphs built with --split-by paragraph are joined as paragraphs, with no flag', async () => {
    writeFileSync(join(dir, 'notes.txt'), NOTES);
    const { id } = await builtAndDone(
      ['build', 'text', 'notes.txt', '--split-by', 'paragraph'],
      'notes-req.jsonl',
    );
    const r = await join_([id, '--join', 'notes.txt', '--requests', 'notes-req.jsonl', '-o', 'notes.jsonl']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Joined: 3 rows · 3 with a result · 0 without');
    const rows = rowsOf(readFileSync(join(dir, 'notes.jsonl'), 'utf8'));
    expect(rows.map((row) => row.text)).toEqual([
      'First paragraph,\nstill the first.',
      'Second one.',
      'Third one\nhas two lines.',
    ]);
    // Each answer is the answer to its own paragraph (the emulator echoes the prompt).
    for (const row of rows) expect(row.result_text).toContain(String(row.text).slice(0, 8));

    // The same flag as build is accepted; one that differs is refused with the reason.
    const same = await join_([
      id,
      '--join',
      'notes.txt',
      '--requests',
      'notes-req.jsonl',
      '--split-by',
      'paragraph',
    ]);
    expect(same.code, same.stderr).toBe(0);
    expectRefused(
      await join_([
        id,
        '--join',
        'notes.txt',
        '--requests',
        'notes-req.jsonl',
        '--split-by',
        'line',
        '-o',
        'x1.jsonl',
      ]),
      'x1.jsonl',
      /--split-by line disagrees with the map: build read notes\.txt as text, one request per paragraph/,
    );
    expectRefused(
      await join_([
        id,
        '--join',
        'notes.txt',
        '--requests',
        'notes-req.jsonl',
        '--join-source',
        'csv',
        '-o',
        'x2.csv',
      ]),
      'x2.csv',
      /--join-source csv disagrees with the map/,
    );
    expectRefused(
      await join_([
        id,
        '--join',
        'notes.txt',
        '--requests',
        'notes-req.jsonl',
        '--delimiter',
        ';',
        '-o',
        'x3.jsonl',
      ]),
      'x3.jsonl',
      /--delimiter ";" disagrees with the map/,
    );
    // Nothing at all on stdout either, when the output would have gone there.
    expectRefused(
      await join_([id, '--join', 'notes.txt', '--requests', 'notes-req.jsonl', '--split-by', 'line']),
      'never',
      /disagrees with the map/,
    );
  });

  it('an input edited since build is refused: another size, or the same size and other bytes', async () => {
    writeFileSync(join(dir, 'edit.txt'), 'alpha\nbeta\ngamma\n');
    const { id } = await builtAndDone(['build', 'text', 'edit.txt'], 'edit-req.jsonl');
    writeFileSync(join(dir, 'edit.txt'), 'alpha\nbeta\ngamma\ndelta\n');
    expectRefused(
      await join_([id, '--join', 'edit.txt', '--requests', 'edit-req.jsonl', '-o', 'e1.jsonl']),
      'e1.jsonl',
      /edit\.txt is not the input this map was built from: it has 23 bytes, build read edit\.txt as text, one request per line of 17 bytes/,
    );
    // Same size, lines swapped: only the hash can tell.
    writeFileSync(join(dir, 'edit.txt'), 'beta\nalpha\ngamma\n');
    expectRefused(
      await join_([id, '--join', 'edit.txt', '--requests', 'edit-req.jsonl', '-o', 'e2.jsonl']),
      'e2.jsonl',
      /edit\.txt is not the input this map was built from: same size, other content \(sha256 /,
    );
    // Another file of the same bytes is fine: it is the input build read.
    writeFileSync(join(dir, 'copy.txt'), 'alpha\nbeta\ngamma\n');
    const ok = await join_([id, '--join', 'copy.txt', '--requests', 'edit-req.jsonl']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(rowsOf(ok.stdout).map((row) => row.text)).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('CSV: the delimiter build used is the one read (also for a .tsv built with ,); another is refused', async () => {
    writeFileSync(join(dir, 'semi.csv'), 'id;text\n1;alpha, one\n2;beta\n');
    const { id } = await builtAndDone(
      ['build', 'csv', 'semi.csv', '--delimiter', ';', '--prompt-column', 'text'],
      'semi-req.jsonl',
    );
    const r = await join_([id, '--join', 'semi.csv', '--requests', 'semi-req.jsonl', '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[1]).toMatch(/^1,"alpha, one",succeeded,/);
    expectRefused(
      await join_([
        id,
        '--join',
        'semi.csv',
        '--requests',
        'semi-req.jsonl',
        '--delimiter',
        ',',
        '-o',
        's1.csv',
      ]),
      's1.csv',
      /--delimiter "," disagrees with the map: build read semi\.csv as CSV with the delimiter ";"/,
    );
    expectRefused(
      await join_([
        id,
        '--join',
        'semi.csv',
        '--requests',
        'semi-req.jsonl',
        '--split-by',
        'paragraph',
        '-o',
        's2.csv',
      ]),
      's2.csv',
      /--split-by paragraph disagrees with the map/,
    );
    // A .tsv that build read with "," (build's default for .tsv is a tab): join reads it with ","
    // as the map says, where an extension-based guess would have split on tabs.
    writeFileSync(join(dir, 'commas.tsv'), 'id,text\n1,tab\there\n2,plain\n');
    const tsv = await builtAndDone(
      ['build', 'csv', 'commas.tsv', '--prompt-column', 'text', '--delimiter', ','],
      'commas-req.jsonl',
    );
    const t = await join_([tsv.id, '--join', 'commas.tsv', '--requests', 'commas-req.jsonl']);
    expect(t.code, t.stderr).toBe(0);
    expect(rowsOf(t.stdout).map((row) => [row.id, row.text, row.result_type])).toEqual([
      ['1', 'tab\there', 'succeeded'],
      ['2', 'plain', 'succeeded'],
    ]);
  });

  it('JSON: read as build read it (a JSON Lines file named .json), another source refused', async () => {
    writeFileSync(join(dir, 'items.json'), '{"q":"one"}\n{"q":"two"}\n');
    const { id } = await builtAndDone(
      ['build', 'json', 'items.json', '--jsonl', '--prompt-field', 'q'],
      'items-req.jsonl',
    );
    const r = await join_([id, '--join', 'items.json', '--requests', 'items-req.jsonl']);
    expect(r.code, r.stderr).toBe(0);
    expect(
      rowsOf(r.stdout).map((row) => [row.q, (row.result as { result_type: string }).result_type]),
    ).toEqual([
      ['one', 'succeeded'],
      ['two', 'succeeded'],
    ]);
    expectRefused(
      await join_([
        id,
        '--join',
        'items.json',
        '--requests',
        'items-req.jsonl',
        '--join-source',
        'json',
        '-o',
        'j.csv',
      ]),
      'j.csv',
      /--join-source json disagrees with the map: build read items\.json as JSON Lines/,
    );
  });

  it('a map from an older build (no header) is still read as before, and a misaligned read is refused by its lines', async () => {
    writeFileSync(join(dir, 'old.txt'), NOTES);
    const { id } = await builtAndDone(
      ['build', 'text', 'old.txt', '--split-by', 'paragraph'],
      'old-req.jsonl',
    );
    // What an older build wrote: no header line, and the old name.
    const lines = readFileSync(join(dir, 'old-req.jsonl.map'), 'utf8').split('\n');
    writeFileSync(join(dir, 'old-req.map.jsonl'), lines.slice(1).join('\n'));
    rmSync(join(dir, 'old-req.jsonl.map'));

    const good = await join_([
      id,
      '--join',
      'old.txt',
      '--requests',
      'old-req.jsonl',
      '--split-by',
      'paragraph',
    ]);
    expect(good.code, good.stderr).toBe(0);
    expect(rowsOf(good.stdout)).toHaveLength(3);
    // Without --split-by the old map cannot say how build read it, but its line numbers can
    // tell that row 2 (line 2 here) is not the map's row 2 (line 4).
    const bad = await join_([id, '--join', 'old.txt', '--requests', 'old-req.jsonl', '-o', 'o1.jsonl']);
    expectRefused(
      bad,
      'o1.jsonl',
      /old\.txt does not match the map: its row 2 starts on line 2, the map's on line 4/,
    );
    expect(bad.stderr).toContain('--split-by');
  });
});

describe('results --join --from FILE: join a results file already downloaded', () => {
  it('joins the file monitor --results wrote, with no batch id, no key and no API', async () => {
    writeFileSync(join(dir, 'local.csv'), 'id,text\na,"one, two"\nb,EMULATE_ERROR=api_error\nc,three\n');
    const { id, results } = await builtAndDone(
      ['build', 'csv', 'local.csv', '--prompt-column', 'text', '--id-column', 'id'],
      'local-req.jsonl',
    );
    // Nothing to talk to, and no key: the results come from the file only.
    const offline = { ANTHROPIC_BASE_URL: 'http://127.0.0.1:9', ANTHROPIC_API_KEY: '' };
    const args = ['results', '--join', 'local.csv', '--requests', 'local-req.jsonl', '--from', results];
    const r = await runCli([...args, '--format', 'csv', '-o', 'local.joined.csv'], {
      env: offline,
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Joined: 3 rows · 3 with a result · 0 without');
    const lines = readFileSync(join(dir, 'local.joined.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(
      'id,text,result_type,result_text,result_stop_reason,result_input_tokens,result_output_tokens,result_error_type,result_error_message',
    );
    expect(lines[1]).toMatch(
      /^a,"one, two",succeeded,"Emulated answer [0-9a-f]{8} to: ""one, two""",end_turn,/,
    );
    expect(lines[2]).toMatch(/^b,EMULATE_ERROR=api_error,errored,,,,,api_error,/);
    expect(lines[3]).toMatch(/^c,three,succeeded,/);

    // --json names the file instead of a batch.
    const json = await runCli([...args, '-o', 'local.joined.jsonl', '--json'], { env: offline, cwd: dir });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ results_file: results, rows: 3, joined: 3 });

    // A batch id as well cannot be checked against a file (results lines do not name their batch).
    const both = await runCli(['results', id, ...args.slice(1), '-o', 'both.jsonl'], {
      env: offline,
      cwd: dir,
    });
    expectRefused(both, 'both.jsonl', /--from reads the results from .*: give no batch id/);
    // --from is for --join; no id and no --from is a usage error.
    expectRefused(
      await runCli(['results', '--from', results], { env: offline, cwd: dir }),
      'never',
      /--from needs --join INPUT/,
    );
    expectRefused(await runCli(['results'], { env: offline, cwd: dir }), 'never', /results needs a batch id/);
  });

  it('refuses a file that is not API result lines (a --format compact file), and warns about missing results', async () => {
    writeFileSync(join(dir, 'part.txt'), 'alpha\nbeta\ngamma\n');
    const { id, results } = await builtAndDone(['build', 'text', 'part.txt'], 'part-req.jsonl');
    const compact = join(dir, 'part.compact.jsonl');
    expect((await runCli(['results', id, '--format', 'compact', '-o', compact], { env: ctx.env })).code).toBe(
      0,
    );
    const args = ['results', '--join', 'part.txt', '--requests', 'part-req.jsonl'];
    expectRefused(
      await runCli([...args, '--from', compact, '-o', 'c.jsonl'], { env: ctx.env, cwd: dir }),
      'c.jsonl',
      /part\.compact\.jsonl:1: result: not a result line as the API sends it/,
    );
    // Only two of the three results: joined, with the gap said out loud.
    const partial = join(dir, 'partial.jsonl');
    writeFileSync(partial, readFileSync(results, 'utf8').trim().split('\n').slice(0, 2).join('\n'));
    const r = await runCli([...args, '--from', partial], { env: ctx.env, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Joined: 3 rows · 2 with a result · 1 without');
    expect(r.stderr).toContain(
      'warning: 1 request of the map with no result (are these the results of the whole batch?)',
    );
    // A missing file: exit 2, nothing written.
    expectRefused(
      await runCli([...args, '--from', 'nope.jsonl', '-o', 'n.jsonl'], { env: ctx.env, cwd: dir }),
      'n.jsonl',
      /cannot read the results file nope\.jsonl: no such file/,
    );
  });
});
