import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeText } from '../helpers/files.js';

const FIX = resolve('test/fixtures/build');
const dir = tempDir();
let counter = 0;
const fresh = (ext = 'jsonl') => {
  counter += 1;
  return join(dir, `out-${counter}.${ext}`);
};

const lines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** Asserts that a request file passes `submit --dry-run` with this many requests. */
async function expectSubmittable(path: string, requests: number): Promise<void> {
  const dry = await runCli(['submit', path, '--dry-run']);
  expect(dry.stderr).toContain(`${requests} valid request`);
  expect(dry.code).toBe(0);
}

describe('build csv', () => {
  it('writes the file, a sidecar, and a summary on stderr; stdout stays empty', async () => {
    const out = fresh();
    const r = await runCli(['build', 'csv', `${FIX}/reviews.csv`, '--prompt-column', 'text', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^✓ 4 requests written to ${out} \\(\\d+ B\\)\n`));
    expect(r.stderr).toContain('  skipped: 1 empty prompt\n');
    expect(r.stderr).toMatch(/ {2}models: claude-haiku-4-5 ×4 · input ≈ \d+ tokens \(estimate\)\n/);
    expect(r.stderr).toContain(`  sidecar: ${`${out}.map`} (custom_id → input row)\n`);
    expect(r.stderr).toContain(`Next: claude-batch submit ${out}\n`);
    expect(lines(readFileSync(`${out}.map`, 'utf8'))).toHaveLength(5); // a header line, then 4
    await expectSubmittable(out, 4);
  });

  it('writes batch_requests.jsonl by default, and refuses to replace it without --force', async () => {
    const cwd = tempDir();
    const args = ['build', 'csv', `${FIX}/reviews.tsv`, '--delimiter', '\\t', '--prompt-column', 'text'];
    const first = await runCli(args, { cwd });
    expect(first.code).toBe(0);
    const out = join(cwd, 'batch_requests.jsonl');
    expect(existsSync(out)).toBe(true);
    expect(existsSync(join(cwd, 'batch_requests.jsonl.map'))).toBe(true);
    const before = readFileSync(out, 'utf8');

    const again = await runCli([...args, '--max-tokens', '5'], { cwd });
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe(
      'error: batch_requests.jsonl already exists\nhint: pass --force to replace it, or choose another path with -o\n',
    );
    expect(readFileSync(out, 'utf8')).toBe(before);

    const forced = await runCli([...args, '--max-tokens', '5', '--force'], { cwd });
    expect(forced.code).toBe(0);
    expect(lines(readFileSync(out, 'utf8'))[0].params.max_tokens).toBe(5);
    await expectSubmittable(out, 3);
  });

  it('-o - writes the requests to stdout, no sidecar, the summary to stderr', async () => {
    const cwd = tempDir();
    const r = await runCli(['build', 'csv', '-', '--prompt-column', 'text', '-o', '-'], {
      cwd,
      stdin: readFileSync(`${FIX}/reviews.csv`),
    });
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((l) => l.custom_id)).toEqual([
      'csv-row-1',
      'csv-row-2',
      'csv-row-4',
      'csv-row-5',
    ]);
    expect(r.stderr).toMatch(/^✓ 4 requests written to stdout\n/);
    expect(r.stderr).not.toContain('sidecar');
    const dry = await runCli(['submit', '-', '--dry-run'], { stdin: r.stdout });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('4 valid requests');
  });

  it('-o - with --map FILE writes the sidecar to that file', async () => {
    const map = fresh();
    const r = await runCli(['build', 'text', `${FIX}/notes-lf.txt`, '-o', '-', '--map', map]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(3);
    expect(r.stderr).toContain(`  sidecar: ${map} (custom_id → input row)`);
    expect(lines(readFileSync(map, 'utf8'))).toEqual([
      { claude_batch_map: 1, source: 'text', split_by: 'line', input: expect.objectContaining({ size: 24 }) },
      { custom_id: 'text-line-1', row: 1, line: 1 },
      { custom_id: 'text-line-2', row: 2, line: 4 },
      { custom_id: 'text-line-3', row: 3, line: 5 },
    ]);
    const dry = await runCli(['submit', '-', '--dry-run'], { stdin: r.stdout });
    expect(dry.code).toBe(0);
  });

  it('--json prints the summary as JSON on stdout', async () => {
    const out = fresh();
    const r = await runCli([
      'build',
      'csv',
      `${FIX}/reviews.csv`,
      '--prompt-column',
      'text',
      '-o',
      out,
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      source: 'csv',
      input: `${FIX}/reviews.csv`,
      output: out,
      map: `${out}.map`,
      requests: 4,
      skipped: { empty_prompt: 1 },
      bytes: readFileSync(out).length,
      inputTokensEstimate: expect.any(Number),
      models: { 'claude-haiku-4-5': 4 },
      hashedIds: 0,
      emptyFields: {},
      overContext: 0,
      overLimits: false,
      warnings: [],
    });
    await expectSubmittable(out, 4);
    const toStdout = await runCli([
      'build',
      'csv',
      `${FIX}/reviews.csv`,
      '--prompt-column',
      'text',
      '-o',
      '-',
      '--json',
    ]);
    expect(toStdout.code).toBe(2);
    expect(toStdout.stdout).toBe('');
    expect(toStdout.stderr).toContain('error: --json prints the summary on stdout, so it needs -o FILE');
  });

  it('a missing --prompt-column lists the header; exit 2, nothing written', async () => {
    const out = fresh();
    const r = await runCli(['build', 'csv', `${FIX}/reviews.csv`, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: ${FIX}/reviews.csv: say which column holds the prompt: --prompt-column COL or --template\n` +
        'hint: the header has: "review_id", "product", "text", "stars"\n',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('ragged rows: FILE:LINE errors, or --skip-bad-rows', async () => {
    const out = fresh();
    const r = await runCli(['build', 'csv', `${FIX}/ragged.csv`, '--prompt-column', 'text', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`  ${FIX}/ragged.csv:3: row: 3 fields, but the header has 2`);
    expect(r.stderr).toContain(`  ${FIX}/ragged.csv:4: row: 1 field, but the header has 2`);
    expect(existsSync(out)).toBe(false);
    const skip = await runCli([
      'build',
      'csv',
      `${FIX}/ragged.csv`,
      '--prompt-column',
      'text',
      '-o',
      out,
      '--skip-bad-rows',
    ]);
    expect(skip.code).toBe(0);
    expect(skip.stderr).toContain('skipped: 2 wrong number of fields');
    await expectSubmittable(out, 2);
  });

  it('--id-column with ids needing a hash: exit 2, or --hash-ids', async () => {
    const out = fresh();
    const args = [
      'build',
      'csv',
      `${FIX}/ids.csv`,
      '--prompt-column',
      'text',
      '--id-column',
      'id',
      '-o',
      out,
    ];
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: 4 problems in ${FIX}/ids.csv; nothing was written\n`);
    expect(r.stderr).toContain(
      `${FIX}/ids.csv:5: custom_id: "ok-3" repeats the id of row 3 (or pass --hash-ids)`,
    );
    const hashed = await runCli([...args, '--hash-ids']);
    expect(hashed.code).toBe(0);
    expect(hashed.stderr).toContain('4 ids replaced by a hash (--hash-ids)');
    await expectSubmittable(out, 5);
  });

  it('request flags: model from CLAUDE_BATCH_MODEL, --system @file, --cache-system 1h, --param, --params', async () => {
    const out = fresh();
    const r = await runCli(
      [
        'build',
        'csv',
        `${FIX}/reviews.csv`,
        '--template',
        'Product: {{product}}. Review: {{text}}',
        '--system',
        `@${FIX}/system.txt`,
        '--cache-system',
        '1h',
        '--param',
        'stop_sequences=["END"]',
        '--params',
        '{"metadata":{"user_id":"u-1"}}',
        '--max-tokens',
        '300',
        '-o',
        out,
      ],
      { env: { CLAUDE_BATCH_MODEL: 'claude-sonnet-4-5' } },
    );
    expect(r.code).toBe(0);
    const first = lines(readFileSync(out, 'utf8'))[0];
    expect(first).toEqual({
      custom_id: 'csv-row-1',
      params: {
        model: 'claude-sonnet-4-5',
        max_tokens: 300,
        system: [
          {
            type: 'text',
            text: 'You are a terse product analyst.',
            cache_control: { type: 'ephemeral', ttl: '1h' },
          },
        ],
        stop_sequences: ['END'],
        metadata: { user_id: 'u-1' },
        messages: [
          {
            role: 'user',
            content: 'Product: Kettle. Review: Boils fast, looks "retro" and the lid\nnever sticks.',
          },
        ],
      },
    });
    await expectSubmittable(out, 5);
    const cached = await runCli(
      [
        'build',
        'csv',
        `${FIX}/reviews.csv`,
        '--prompt-column',
        'text',
        '--system',
        'Hi',
        '--cache-system',
        '-o',
        fresh(),
      ],
      {},
    );
    expect(cached.code).toBe(0);
  });

  it('bad flags exit 2 with a message', async () => {
    const base = ['build', 'csv', `${FIX}/reviews.csv`, '--prompt-column', 'text', '-o', fresh()];
    const cases: Array<[string[], string]> = [
      [
        ['--cache-system', '2h', '--system', 'x'],
        "error: option '--cache-system [ttl]' argument '2h' is invalid",
      ],
      [['--max-tokens', '0'], '--max-tokens must be a whole number'],
      [
        ['--param', 'model="x"'],
        'error: params.model cannot be set with --params or --param\nhint: use --model',
      ],
      [['--params', '{bad'], 'error: --params is not valid JSON'],
      [['--cache-system'], 'error: --cache-system needs a system prompt'],
      [['--delimiter', '::'], 'error: --delimiter "::": use one character'],
      [['--id-prefix', 'a.b'], 'error: --id-prefix "a.b" cannot start a custom_id'],
      [['--template', 'x {{text}}'], 'error: --prompt-column and --template cannot be used together'],
    ];
    for (const [extra, message] of cases) {
      const r = await runCli([...base, ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(message);
    }
  });

  it('an empty input is an error; nothing is written', async () => {
    const out = fresh();
    const r = await runCli(['build', 'csv', `${FIX}/header-only.csv`, '--prompt-column', 'text', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: ${FIX}/header-only.csv: input: no requests: the input has no rows\nhint: nothing was written\n`,
    );
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.map`)).toBe(false);
  });

  it('interrupted: exit 130 and no file left', async () => {
    const out = fresh();
    const controller = new AbortController();
    controller.abort();
    const r = await runCli(['build', 'csv', `${FIX}/reviews.csv`, '--prompt-column', 'text', '-o', out], {
      signal: controller.signal,
    });
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Interrupted');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.map`)).toBe(false);
  });

  it('a missing input file is a usage error', async () => {
    const r = await runCli(['build', 'csv', join(dir, 'nope.csv'), '--prompt-column', 'text', '-o', fresh()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: cannot read ${join(dir, 'nope.csv')}: no such file\nhint: check the path\n`,
    );
  });
});

describe('build text', () => {
  it('--split-by paragraph on a CRLF file with whitespace-only separators', async () => {
    const out = fresh();
    const r = await runCli(['build', 'text', `${FIX}/notes.txt`, '--split-by', 'paragraph', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^✓ 3 requests written/);
    expect(lines(readFileSync(out, 'utf8')).map((l) => l.custom_id)).toEqual([
      'text-para-1',
      'text-para-2',
      'text-para-3',
    ]);
    await expectSubmittable(out, 3);
  });

  it('one request a line from stdin, with --id-prefix', async () => {
    const out = fresh();
    const r = await runCli(['build', 'text', '-', '--id-prefix', 'run2-', '-o', out], {
      stdin: 'Ça va ?\r\n\r\nこんにちは\r\n',
    });
    expect(r.code).toBe(0);
    expect(lines(readFileSync(out, 'utf8')).map((l) => [l.custom_id, l.params.messages[0].content])).toEqual([
      ['run2-text-line-1', 'Ça va ?'],
      ['run2-text-line-2', 'こんにちは'],
    ]);
    await expectSubmittable(out, 2);
  });

  it('--split-by accepts only line or paragraph', async () => {
    const r = await runCli(['build', 'text', `${FIX}/notes.txt`, '--split-by', 'word']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("argument 'word' is invalid. Allowed choices are line, paragraph.");
  });

  it('warns when the file is over one batch (100,000 requests)', async () => {
    const input = join(dir, 'many.txt');
    writeFileSync(input, Array.from({ length: 100_001 }, (_, i) => `q${i}`).join('\n'));
    const out = fresh();
    const r = await runCli(['build', 'text', input, '-o', out, '--no-map']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('✓ 100,001 requests written');
    expect(r.stderr).toContain(
      'warning: 100,001 requests: one batch takes at most 100,000; split the file, or use `claude-batch run`',
    );
    expect(r.stderr).not.toContain('Next:');
    const dry = await runCli(['submit', out, '--dry-run']);
    expect(dry.code).toBe(2);
  });
});

describe('build json', () => {
  it('an object with items, dotted --prompt-field, --id-field', async () => {
    const out = fresh();
    const r = await runCli([
      'build',
      'json',
      `${FIX}/items.json`,
      '--prompt-field',
      'input.text',
      '--id-field',
      'id',
      '-o',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(lines(readFileSync(out, 'utf8')).map((l) => l.custom_id)).toEqual(['a1', 'a2', 'a3']);
    await expectSubmittable(out, 3);
  });

  it('JSON Lines from stdin with --jsonl and a template', async () => {
    const out = fresh();
    const r = await runCli(['build', 'json', '-', '--jsonl', '--template', 'Answer: {{q.text}}', '-o', out], {
      stdin: readFileSync(`${FIX}/lines.jsonl`),
    });
    expect(r.code).toBe(0);
    expect(lines(readFileSync(out, 'utf8')).map((l) => l.params.messages[0].content)).toEqual([
      'Answer: first',
      'Answer: second',
      'Answer: third',
    ]);
    await expectSubmittable(out, 3);
  });

  it('a missing field names the item and its line', async () => {
    const r = await runCli(['build', 'json', `${FIX}/missing-field.json`, '-o', fresh()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: 2 problems in ${FIX}/missing-field.json; nothing was written\n`);
    expect(r.stderr).toContain(
      `  ${FIX}/missing-field.json:3: item 2: prompt: missing (--prompt-field; its fields: "question")\n`,
    );
    expect(r.stderr).toContain(
      `  ${FIX}/missing-field.json:4: item 3: prompt: must be text, got an object\n`,
    );
  });
});

describe('build custom', () => {
  it('runs a module; --model and --max-tokens fill what it leaves out', async () => {
    const out = fresh();
    const r = await runCli(['build', 'custom', `${FIX}/gen.mjs`, '--model', 'claude-sonnet-4-5', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^✓ 3 requests written/);
    const first = lines(readFileSync(out, 'utf8'))[0];
    expect(first.params).toMatchObject({ model: 'claude-sonnet-4-5', max_tokens: 1024 });
    await expectSubmittable(out, 3);
  });

  it('an invalid request is reported with its index; exit 2', async () => {
    const out = fresh();
    const r = await runCli(['build', 'custom', `${FIX}/invalid.mjs`, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `  ${FIX}/invalid.mjs: requests[1].params.messages: must hold at least one message\n`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("a module's own error is shown, exit 2, no stack trace", async () => {
    const r = await runCli(['build', 'custom', `${FIX}/throws.mjs`, '-o', fresh()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: ${FIX}/throws.mjs: buildRequests failed: database is down\nhint: fix the module and run again\n`,
    );
  });

  it('refuses stdin', async () => {
    const r = await runCli(['build', 'custom', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: build custom reads a module file, not stdin');
  });
});

describe('build', () => {
  it('without a source shows the sources and exits 2', async () => {
    const r = await runCli(['build']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('csv [options] <input>');
    expect(r.stderr).toContain('custom [options] <module>');
  });

  it('a file written by one source can be joined back through the sidecar', async () => {
    const out = fresh();
    const input = writeText(dir, 'join.csv', 'sku,comment\nA-1,"nice, really"\nB-2,meh\n');
    const r = await runCli([
      'build',
      'csv',
      input,
      '--prompt-column',
      'comment',
      '--id-column',
      'sku',
      '-o',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(lines(readFileSync(`${out}.map`, 'utf8')).slice(1)).toEqual([
      { custom_id: 'A-1', row: 1, line: 2, id: 'A-1' },
      { custom_id: 'B-2', row: 2, line: 3, id: 'B-2' },
    ]);
    await expectSubmittable(out, 2);
  });
});

describe('build csv, TSV with a bare quote', () => {
  it('takes a `"` inside an unquoted TSV field as a character', async () => {
    const folder = tempDir();
    const tsv = join(folder, 'd.tsv');
    writeFileSync(tsv, 'id\tbody\n1\thello "there"\n2\tplain\n');
    const out = join(folder, 'd.jsonl');
    const r = await runCli(['build', 'csv', tsv, '--delimiter', 'tab', '--prompt-column', 'body', '-o', out]);
    expect(r.code).toBe(0);
    const first = JSON.parse(readFileSync(out, 'utf8').split('\n')[0] as string);
    expect(first.params.messages[0].content).toBe('hello "there"');
  });
});

describe('sidecars and request-file globs', () => {
  it("README's loop `for f in part-*.jsonl` finds the request files, not their maps", async () => {
    const folder = tempDir();
    for (const part of ['part-1', 'part-2']) {
      const r = await runCli(['build', 'text', `${FIX}/notes-lf.txt`, '-o', join(folder, `${part}.jsonl`)]);
      expect(r.code, r.stderr).toBe(0);
    }
    // The shell's own expansion of the globs people write for request files.
    const glob = (pattern: string) =>
      execFileSync('sh', ['-c', `for f in ${pattern}; do echo "$f"; done`], { cwd: folder, encoding: 'utf8' })
        .trim()
        .split('\n');
    expect(glob('part-*.jsonl')).toEqual(['part-1.jsonl', 'part-2.jsonl']);
    expect(glob('*.jsonl')).toEqual(['part-1.jsonl', 'part-2.jsonl']);
    expect(readdirSync(folder).sort()).toEqual([
      'part-1.jsonl',
      'part-1.jsonl.map',
      'part-2.jsonl',
      'part-2.jsonl.map',
    ]);
    for (const f of glob('part-*.jsonl')) await expectSubmittable(join(folder, f), 3);
  });

  it('submit recognises a map (new, or an older build’s) and says so: exit 2, nothing sent', async () => {
    const folder = tempDir();
    const out = join(folder, 'requests.jsonl');
    expect((await runCli(['build', 'text', `${FIX}/notes-lf.txt`, '-o', out])).code).toBe(0);
    const oldStyle = join(folder, 'requests.map.jsonl');
    writeFileSync(oldStyle, readFileSync(`${out}.map`, 'utf8').split('\n').slice(1).join('\n'));
    for (const map of [`${out}.map`, oldStyle]) {
      const r = await runCli(['submit', map, '--dry-run']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `error: ${map} is a sidecar map that build writes beside a request file (custom_id → input row), not a request file\n`,
      );
      expect(r.stderr).toContain('hint: submit the request file itself');
    }
  });
});
