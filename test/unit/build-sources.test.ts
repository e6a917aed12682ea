import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { type BuildOptions, buildRequestFile } from '../../src/core/builder/build.js';
import { shortHash } from '../../src/core/builder/ids.js';
import { CliError, InputError, UsageError } from '../../src/core/errors.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';

const FIX = 'test/fixtures/build';
const dir = tempDir();
let counter = 0;

interface Built {
  requests: Array<{
    custom_id: string;
    params: Record<string, unknown> & { messages: Array<{ content: string }> };
  }>;
  map: Array<{ custom_id: string; row: number; line?: number; id?: unknown }>;
  /** The map's first line: how build read the input. */
  header: Record<string, unknown>;
  summary: Awaited<ReturnType<typeof buildRequestFile>>;
  output: string;
}

const jsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** Builds into a fresh file, checks it with `submit --dry-run`, and returns what was written. */
async function build(options: Omit<BuildOptions, 'output'>): Promise<Built> {
  counter += 1;
  const output = join(dir, `out-${counter}.jsonl`);
  const summary = await buildRequestFile({ ...options, output });
  const dry = await runCli(['submit', output, '--dry-run']);
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stderr).toContain(`${summary.requests} valid request`);
  const [header, ...map] = jsonl(summary.map as string);
  expect(header).toMatchObject({ claude_batch_map: 1, source: options.source });
  return { requests: jsonl(output), map, header, summary, output };
}

/** The error a build throws; checks that nothing was left behind. */
async function buildError(options: Omit<BuildOptions, 'output'>): Promise<CliError> {
  counter += 1;
  const output = join(dir, `bad-${counter}.jsonl`);
  const error = await buildRequestFile({ ...options, output }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  expect(existsSync(output)).toBe(false);
  expect(readdirSync(dir).filter((f) => f.includes(`bad-${counter}`))).toEqual([]);
  return error as CliError;
}

const prompts = (b: Built) => b.requests.map((r) => r.params.messages[0]?.content);

describe('build csv', () => {
  it('reads a nasty real file: BOM, CRLF, quoted commas, quotes and newlines, non-ASCII, blank rows', async () => {
    const b = await build({ source: 'csv', input: `${FIX}/reviews.csv`, promptColumn: 'text' });
    expect(prompts(b)).toEqual([
      'Boils fast, looks "retro" and the lid\nnever sticks.',
      'Très bon grille-pain — 日本語もOK 👍',
      'Too dim.\n\nReturned it.',
      'Quiet; works',
    ]);
    expect(b.requests.map((r) => r.custom_id)).toEqual(['csv-row-1', 'csv-row-2', 'csv-row-4', 'csv-row-5']);
    expect(b.map).toEqual([
      { custom_id: 'csv-row-1', row: 1, line: 2 },
      { custom_id: 'csv-row-2', row: 2, line: 4 },
      { custom_id: 'csv-row-4', row: 4, line: 7 },
      { custom_id: 'csv-row-5', row: 5, line: 10 },
    ]);
    expect(b.summary).toMatchObject({
      source: 'csv',
      requests: 4,
      skipped: { empty_prompt: 1 },
      models: { 'claude-haiku-4-5': 4 },
      overLimits: false,
      warnings: [],
    });
    expect(b.summary.bytes).toBe(readFileSync(b.output).length);
    expect(b.summary.inputTokensEstimate).toBeGreaterThan(10);
  });

  it('takes ids from --id-column and keeps them in the sidecar', async () => {
    const b = await build({
      source: 'csv',
      input: `${FIX}/reviews.csv`,
      template: 'Product: {{product}}\nReview: {{text}}',
      idColumn: 'review_id',
      idPrefix: 'p1-',
    });
    expect(b.requests.map((r) => r.custom_id)).toEqual([
      'p1-r-001',
      'p1-r-002',
      'p1-r-003',
      'p1-r-004',
      'p1-r_005',
    ]);
    expect(prompts(b)[2]).toBe('Product: Blender\nReview:');
    expect(b.map[3]).toEqual({ custom_id: 'p1-r-004', row: 4, line: 7, id: 'r-004' });
  });

  it('reads TSV with --delimiter tab or \\t', async () => {
    for (const delimiter of ['tab', '\\t']) {
      const b = await build({ source: 'csv', input: `${FIX}/reviews.tsv`, promptColumn: 'text', delimiter });
      expect(prompts(b)).toEqual(['Hello, world', 'Quoted\ttab', 'Sans guillemets']);
    }
  });

  it('a missing or unknown --prompt-column is an error listing the header', async () => {
    const none = await buildError({ source: 'csv', input: `${FIX}/reviews.csv` });
    expect(none).toBeInstanceOf(UsageError);
    expect(none.message).toContain('--prompt-column COL or --template');
    expect(none.hint).toBe('the header has: "review_id", "product", "text", "stars"');
    const wrong = await buildError({ source: 'csv', input: `${FIX}/reviews.csv`, promptColumn: 'Text' });
    expect(wrong.message).toBe(`${FIX}/reviews.csv: no column "Text" (--prompt-column)`);
    expect(wrong.hint).toContain('"text"');
    const template = await buildError({ source: 'csv', input: `${FIX}/reviews.csv`, template: '{{body}}' });
    expect(template.message).toBe(`--template uses {{body}}: ${FIX}/reviews.csv has no such column`);
  });

  it('ragged rows are errors with their line numbers, or skipped and counted with skipBadRows', async () => {
    const error = await buildError({ source: 'csv', input: `${FIX}/ragged.csv`, promptColumn: 'text' });
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems).toEqual([
      {
        file: `${FIX}/ragged.csv`,
        line: 3,
        field: 'row',
        message: '3 fields, but the header has 2 (fix the row, or pass --skip-bad-rows)',
      },
      {
        file: `${FIX}/ragged.csv`,
        line: 4,
        field: 'row',
        message: '1 field, but the header has 2 (fix the row, or pass --skip-bad-rows)',
      },
    ]);
    const b = await build({
      source: 'csv',
      input: `${FIX}/ragged.csv`,
      promptColumn: 'text',
      skipBadRows: true,
    });
    expect(prompts(b)).toEqual(['fine', 'also fine']);
    expect(b.summary.skipped).toEqual({ wrong_field_count: 2 });
    expect(b.map.map((m) => m.line)).toEqual([2, 5]);
  });

  it('ids that break the rule or repeat are errors, or hashed with hashIds', async () => {
    const error = (await buildError({
      source: 'csv',
      input: `${FIX}/ids.csv`,
      promptColumn: 'text',
      idColumn: 'id',
    })) as InputError;
    expect(error.problems.map((p) => [p.line, p.field, p.message])).toEqual([
      [
        2,
        'custom_id',
        expect.stringMatching(/^"row\.1" is not a valid custom_id: .*\(or pass --hash-ids\)$/),
      ],
      [3, 'custom_id', expect.stringMatching(/^"row 2" is not a valid custom_id/)],
      [5, 'custom_id', '"ok-3" repeats the id of row 3 (or pass --hash-ids)'],
      [6, 'custom_id', expect.stringMatching(/^"" is not a valid custom_id/)],
    ]);
    const b = await build({
      source: 'csv',
      input: `${FIX}/ids.csv`,
      promptColumn: 'text',
      idColumn: 'id',
      hashIds: true,
    });
    expect(b.requests.map((r) => r.custom_id)).toEqual([
      shortHash('row.1'),
      shortHash('row 2'),
      'ok-3',
      shortHash('ok-3\u00004'),
      shortHash(''),
    ]);
    expect(b.map.map((m) => m.id)).toEqual(['row.1', 'row 2', 'ok-3', 'ok-3', '']);
    expect(b.summary.hashedIds).toBe(4);
  });

  it('an empty file or a header alone is an error, and nothing is written', async () => {
    for (const name of ['empty.csv', 'header-only.csv']) {
      const error = await buildError({ source: 'csv', input: `${FIX}/${name}`, promptColumn: 'text' });
      expect(error.message).toMatch(/no requests|--prompt-column/);
    }
    const error = await buildError({ source: 'csv', input: `${FIX}/header-only.csv`, promptColumn: 'text' });
    expect(error.message).toBe(`${FIX}/header-only.csv: input: no requests: the input has no rows`);
  });

  it('reports malformed quoting with its line', async () => {
    const error = (await buildError({
      source: 'csv',
      input: { stream: Readable.from([Buffer.from('id,text\n1,ok\n2,"x"y\n')]), name: 'stdin' },
      promptColumn: 'text',
    })) as InputError;
    expect(error.problems[0]).toMatchObject({ file: 'stdin', line: 3, field: 'csv' });
  });
});

describe('build text', () => {
  it('one request per non-blank line, from a BOM file', async () => {
    const b = await build({ source: 'text', input: `${FIX}/notes-lf.txt` });
    expect(prompts(b)).toEqual(['alpha', 'beta', 'gamma']);
    expect(b.map).toEqual([
      { custom_id: 'text-line-1', row: 1, line: 1 },
      { custom_id: 'text-line-2', row: 2, line: 4 },
      { custom_id: 'text-line-3', row: 3, line: 5 },
    ]);
  });

  it('paragraphs split on blank and whitespace-only lines of a CRLF file', async () => {
    const b = await build({ source: 'text', input: `${FIX}/notes.txt`, splitBy: 'paragraph' });
    expect(prompts(b)).toEqual([
      'First paragraph, line one.\nLine two of it.',
      'Second paragraph — ünïcødé.',
      'Third, indented.',
    ]);
    expect(b.requests.map((r) => r.custom_id)).toEqual(['text-para-1', 'text-para-2', 'text-para-3']);
    expect(b.map.map((m) => m.line)).toEqual([1, 4, 8]);
  });

  it('applies a {{text}} template and refuses other names', async () => {
    const b = await build({ source: 'text', input: `${FIX}/notes-lf.txt`, template: 'Define: {{text}}' });
    expect(prompts(b)[0]).toBe('Define: alpha');
    const error = await buildError({ source: 'text', input: `${FIX}/notes-lf.txt`, template: '{{line}}' });
    expect(error.message).toBe('--template uses {{line}}: a text template has only {{text}}');
  });

  it('a file of blank lines is an error', async () => {
    const error = await buildError({ source: 'text', input: `${FIX}/blank.txt` });
    expect(error.message).toContain('no requests');
  });
});

describe('build json', () => {
  it("streams an object's items with a dotted --prompt-field and --id-field", async () => {
    const b = await build({
      source: 'json',
      input: `${FIX}/items.json`,
      promptField: 'input.text',
      idField: 'id',
    });
    expect(b.requests.map((r) => r.custom_id)).toEqual(['a1', 'a2', 'a3']);
    expect(prompts(b)).toEqual([
      'Summarise: the cat sat on the mat.',
      'Escapes: "quotes", \\backslash\\, {braces} and [brackets]',
      'Ünïcødé — 中文',
    ]);
    expect(b.map[0]).toEqual({ custom_id: 'a1', row: 1, line: 5, id: 'a1' });
  });

  it('reads a top-level array (string items are prompts), skipping empty prompts', async () => {
    const b = await build({ source: 'json', input: `${FIX}/array.json` });
    expect(prompts(b)).toEqual(['one', 'two', 'a bare string item']);
    expect(b.requests.map((r) => r.custom_id)).toEqual(['json-item-1', 'json-item-2', 'json-item-3']);
    expect(b.summary.skipped).toEqual({ empty_prompt: 1 });
  });

  it('reads a single object, and JSON Lines by extension', async () => {
    expect(prompts(await build({ source: 'json', input: `${FIX}/single.json` }))).toEqual(['Just one']);
    const lines = await build({
      source: 'json',
      input: `${FIX}/lines.jsonl`,
      template: 'Q{{id}}: {{q.text}}',
      idField: 'id',
      idPrefix: 'q-',
    });
    expect(prompts(lines)).toEqual(['Q1: first', 'Q2: second', 'Q3: third']);
    expect(lines.map).toEqual([
      { custom_id: 'q-1', row: 1, line: 1, id: 1 },
      { custom_id: 'q-2', row: 2, line: 3, id: 2 },
      { custom_id: 'q-3', row: 3, line: 4, id: 3 },
    ]);
  });

  it('reads JSON Lines from a stream with jsonl', async () => {
    const b = await build({
      source: 'json',
      input: { stream: Readable.from([Buffer.from('{"prompt":"a"}\n"b"\n')]), name: 'stdin' },
      jsonl: true,
    });
    expect(prompts(b)).toEqual(['a', 'b']);
  });

  it('a missing field is an error with the item, never the whole object', async () => {
    const error = (await buildError({ source: 'json', input: `${FIX}/missing-field.json` })) as InputError;
    expect(error.problems).toEqual([
      {
        file: `${FIX}/missing-field.json`,
        line: 3,
        field: 'item 2: prompt',
        message: 'missing (--prompt-field; its fields: "question")',
      },
      {
        file: `${FIX}/missing-field.json`,
        line: 4,
        field: 'item 3: prompt',
        message: 'must be text, got an object',
      },
    ]);
  });

  it('invalid JSON, and JSON Lines without --jsonl, are errors with their line', async () => {
    const bad = (await buildError({ source: 'json', input: `${FIX}/not-json.json` })) as InputError;
    expect(bad.problems[0]).toMatchObject({ line: 2, field: 'json' });
    const lines = (await buildError({ source: 'json', input: `${FIX}/trailing.json` })) as InputError;
    expect(lines.problems[0]).toMatchObject({
      line: 2,
      message: 'more data after the end of the JSON value',
    });
    expect(lines.hint).toContain('--jsonl');
  });
});

describe('build custom', () => {
  it('runs an async generator; --model and --max-tokens fill what it leaves out', async () => {
    const b = await build({
      source: 'custom',
      input: `${FIX}/gen.mjs`,
      model: 'claude-sonnet-4-5',
      maxTokens: 77,
    });
    expect(b.requests[0]).toEqual({
      custom_id: 'word-1',
      params: {
        model: 'claude-sonnet-4-5',
        max_tokens: 77,
        messages: [{ role: 'user', content: 'Define alpha (claude-sonnet-4-5, 77)' }],
      },
    });
    expect(b.map).toEqual([
      { custom_id: 'word-1', row: 1 },
      { custom_id: 'word-2', row: 2 },
      { custom_id: 'word-3', row: 3 },
    ]);
  });

  it('runs a default export returning an array, keeping what the module set', async () => {
    const b = await build({
      source: 'custom',
      input: `${FIX}/default-array.js`,
      env: { CLAUDE_BATCH_MODEL: 'm-env' },
    });
    expect(b.requests.map((r) => [r.params.model, r.params.max_tokens])).toEqual([
      ['m-env', 1024],
      ['claude-sonnet-4-5', 50],
    ]);
    expect(b.summary.models).toEqual({ 'm-env': 1, 'claude-sonnet-4-5': 1 });
  });

  it('reports each invalid request with its index', async () => {
    const error = (await buildError({ source: 'custom', input: `${FIX}/invalid.mjs` })) as InputError;
    expect(error.problems.map((p) => [p.file, p.field, p.message])).toEqual([
      [`${FIX}/invalid.mjs`, 'requests[1].params.messages', 'must hold at least one message'],
      [`${FIX}/invalid.mjs`, 'requests[1].original_row', expect.stringMatching(/^unknown key: /)],
      [
        `${FIX}/invalid.mjs`,
        'requests[2].custom_id',
        '"ok" repeats the id of request 1 (or pass --hash-ids)',
      ],
    ]);
    expect(error.message).toBe(`3 problems in ${FIX}/invalid.mjs; nothing was written`);
  });

  it('load and call errors carry the module message, exit code 2', async () => {
    const cases: Array<[string, RegExp]> = [
      ['throws.mjs', /throws\.mjs: buildRequests failed: database is down$/],
      ['syntax-error.mjs', /^cannot load .*syntax-error\.mjs: /],
      [
        'no-export.mjs',
        /exports neither buildRequests nor a default function: it exports somethingElse \(a number\)$/,
      ],
      ['missing.mjs', /^cannot load .*missing\.mjs: no such file$/],
    ];
    for (const [file, pattern] of cases) {
      const error = await buildError({ source: 'custom', input: `${FIX}/${file}` });
      expect(error.message).toMatch(pattern);
      expect(exitCodeFor(error.kind)).toBe(2);
    }
  });
});

describe('output files', () => {
  it('refuses to replace a file without force, and replaces it with force', async () => {
    const output = join(dir, 'twice.jsonl');
    const options: BuildOptions = { source: 'text', input: `${FIX}/notes-lf.txt`, output };
    await buildRequestFile(options);
    const error = await buildRequestFile(options).catch((e: unknown) => e as UsageError);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).hint).toContain('--force');
    const again = await buildRequestFile({ ...options, force: true, template: 'X {{text}}' });
    expect(again.requests).toBe(3);
    expect(readFileSync(output, 'utf8')).toContain('X alpha');
  });

  it('writes no sidecar with map: false, and a named one with map: PATH', async () => {
    const none = await buildRequestFile({
      source: 'text',
      input: `${FIX}/notes-lf.txt`,
      output: join(dir, 'nomap.jsonl'),
      map: false,
    });
    expect(none.map).toBeNull();
    expect(existsSync(join(dir, 'nomap.jsonl.map'))).toBe(false);
    const named = await buildRequestFile({
      source: 'text',
      input: `${FIX}/notes-lf.txt`,
      output: join(dir, 'named.jsonl'),
      map: join(dir, 'named-ids.jsonl'),
    });
    expect(jsonl(named.map as string)).toHaveLength(4); // the header, then one line a request
  });
});

describe('the map header', () => {
  const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
  const identity = (path: string, name = path) => ({ name, size: statSync(path).size, sha256: sha256(path) });

  it('says how each source was read, and what the input was (size and sha256)', async () => {
    const csv = await build({
      source: 'csv',
      input: `${FIX}/reviews.tsv`,
      delimiter: 'tab',
      promptColumn: 'text',
      skipBadRows: true,
    });
    expect(csv.header).toEqual({
      claude_batch_map: 1,
      source: 'csv',
      delimiter: '\t',
      input: identity(`${FIX}/reviews.tsv`),
    });
    const ids = await build({
      source: 'csv',
      input: `${FIX}/ids.csv`,
      promptColumn: 'text',
      idColumn: 'id',
      hashIds: true,
    });
    expect(ids.header).toMatchObject({ source: 'csv', delimiter: ',', id_column: 'id' });
    const paragraphs = await build({ source: 'text', input: `${FIX}/notes.txt`, splitBy: 'paragraph' });
    expect(paragraphs.header).toEqual({
      claude_batch_map: 1,
      source: 'text',
      split_by: 'paragraph',
      input: identity(`${FIX}/notes.txt`),
    });
    expect((await build({ source: 'text', input: `${FIX}/notes.txt` })).header).toMatchObject({
      split_by: 'line',
    });
    expect(
      (await build({ source: 'json', input: `${FIX}/lines.jsonl`, template: '{{q.text}}' })).header,
    ).toMatchObject({ source: 'json', jsonl: true, input: identity(`${FIX}/lines.jsonl`) });
    expect(
      (
        await build({
          source: 'json',
          input: `${FIX}/items.json`,
          promptField: 'input.text',
          idField: 'id',
        })
      ).header,
    ).toMatchObject({ source: 'json', jsonl: false, id_field: 'id' });
    const custom = await build({ source: 'custom', input: `${FIX}/gen.mjs` });
    expect(custom.header).toEqual({
      claude_batch_map: 1,
      source: 'custom',
      input: { name: `${FIX}/gen.mjs` },
    });
  });

  it('identifies stdin by the bytes read (kept in a temporary file that is then removed)', async () => {
    const text = 'alpha\n\nbeta\n';
    const b = await build({
      source: 'text',
      input: { stream: Readable.from([Buffer.from(text)]), name: 'stdin' },
    });
    expect(b.requests).toHaveLength(2);
    expect(b.header).toEqual({
      claude_batch_map: 1,
      source: 'text',
      split_by: 'line',
      input: {
        name: 'stdin',
        size: Buffer.byteLength(text),
        sha256: createHash('sha256').update(text).digest('hex'),
      },
    });
  });
});

describe('the map header: a build that fails early', () => {
  it('a bad option found after the hash started: the error at once, no file, no temporary file', async () => {
    const folder = tempDir();
    const output = join(folder, 'never.jsonl');
    const error = await buildRequestFile({
      source: 'text',
      input: `${FIX}/notes.txt`,
      splitBy: 'sentence' as 'line',
      output,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe('--split-by sentence: use line or paragraph');
    expect(readdirSync(folder)).toEqual([]);
    const stdin = await buildRequestFile({
      source: 'text',
      input: { stream: Readable.from([Buffer.from('a\n')]), name: 'stdin' },
      splitBy: 'sentence' as 'line',
      output: join(folder, 'never2.jsonl'),
    }).catch((e: unknown) => e);
    expect(stdin).toBeInstanceOf(UsageError);
    expect(readdirSync(folder)).toEqual([]);
  });
});
