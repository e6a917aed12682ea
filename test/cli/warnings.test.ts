import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin, runCli } from '../helpers/cli.js';
import { requestsTo, useEmulator } from '../helpers/emulator.js';
import { request, tempDir, writeText } from '../helpers/files.js';

const ctx = useEmulator();
const dir = tempDir();
let counter = 0;
const fresh = (ext = 'jsonl') => {
  counter += 1;
  return join(dir, `w-${counter}.${ext}`);
};
const jsonlText = (...values: unknown[]) => `${values.map((v) => JSON.stringify(v)).join('\n')}\n`;
/** A prompt the estimate puts over the 200,000-token context window (800,001 characters). */
const HUGE = 'x'.repeat(800_001);

describe('parameters the API version refuses (temperature, top_p, top_k)', () => {
  it('build refuses them with a hint; nothing is written', async () => {
    const out = fresh();
    const input = writeText(dir, 'q.txt', 'one\ntwo\n');
    for (const flags of [
      ['--param', 'temperature=0.2'],
      ['--params', '{"top_p":0.9}'],
      ['--param', 'top_k=5'],
    ]) {
      const r = await runCli(['build', 'text', input, ...flags, '-o', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^error: params\.(temperature|top_p|top_k): not a parameter under API version 2026-10-21 .*Extra inputs are not permitted/,
      );
      expect(r.stderr).toMatch(/\nhint: leave (temperature|top_p|top_k) out of --params \/ --param/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('submit, estimate and run refuse a file holding them: FILE:LINE, exit 2, nothing sent', async () => {
    const file = writeText(
      dir,
      'sampling.jsonl',
      jsonlText(request('a'), request('b', 'hi', { temperature: 0.2 }), request('c', 'hi', { top_k: 3 })),
    );
    const before = requestsTo(ctx.emulator, /./);
    for (const argv of [
      ['submit', file],
      ['submit', file, '--dry-run'],
      ['estimate', file],
      ['run', file],
    ]) {
      const r = await runCli(argv, { env: ctx.env, cwd: dir });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(
        `${file}:2: params.temperature: not a parameter under API version 2026-10-21 (the version this tool's SDK sends)`,
      );
      expect(r.stderr).toContain(`${file}:3: params.top_k: not a parameter under API version 2026-10-21`);
    }
    expect(requestsTo(ctx.emulator, /./)).toBe(before);
  });
});

describe('model warnings', () => {
  const input = () => writeText(dir, `m-${++counter}.txt`, 'one\ntwo\n');

  it('build warns about a misspelt model with the closest known name; --strict makes it exit 2, nothing written', async () => {
    const out = fresh();
    const r = await runCli(['build', 'text', input(), '--model', 'claude-hiaku-4-5', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: model "claude-hiaku-4-5" is not a known model name (did you mean claude-haiku-4-5?): the API refuses requests for a model it does not know\n',
    );
    const gpt = await runCli(['build', 'text', input(), '--model', 'gpt-4o', '-o', fresh()]);
    expect(gpt.stderr).toContain(
      'warning: model "gpt-4o" is not a known model name (did you mean claude-haiku-4-5?)',
    );

    const strictOut = fresh();
    const strict = await runCli(['build', 'text', input(), '--model', 'gpt-4o', '--strict', '-o', strictOut]);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/^error: --strict: a warning about the requests; nothing was written\n/);
    expect(strict.stderr).toContain('  warning: model "gpt-4o" is not a known model name');
    expect(strict.stderr).toContain('hint: fix what the warnings say, or leave out --strict');
    expect(existsSync(strictOut)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith(strictOut.split('/').at(-1) as string))).toEqual([]);

    const fine = await runCli(['build', 'text', input(), '--strict', '-o', fresh()]);
    expect(fine.code).toBe(0);
    expect(fine.stderr).not.toContain('warning');
  });

  it('a known model without a price is warned about, unless a price file names it', async () => {
    const r = await runCli(['build', 'text', input(), '--model', 'claude-mythos-5', '-o', fresh()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: no known price for claude-mythos-5: its cost cannot be estimated');
    const prices = writeText(
      dir,
      'prices.json',
      JSON.stringify({ taken: '2026-12-01', models: { 'claude-mythos-5': { input: 1, output: 5 } } }),
    );
    const priced = await runCli(['build', 'text', input(), '--model', 'claude-mythos-5', '-o', fresh()], {
      env: { CLAUDE_BATCH_PRICES: prices },
    });
    expect(priced.stderr).not.toContain('warning');
  });

  it('estimate and submit warn, and refuse with --strict (nothing sent)', async () => {
    const file = writeText(dir, 'typo.jsonl', jsonlText(request('a', 'hi', { model: 'claude-sonet-4-6' })));
    const warning =
      'warning: model "claude-sonet-4-6" is not a known model name (did you mean claude-sonnet-4-6?)';

    const estimate = await runCli(['estimate', file]);
    expect(estimate.code).toBe(0);
    expect(estimate.stderr).toContain(warning);
    expect(estimate.stdout).toContain('claude-sonet-4-6');
    const strictEstimate = await runCli(['estimate', file, '--strict']);
    expect(strictEstimate.code).toBe(2);
    expect(strictEstimate.stderr).toMatch(/^error: --strict: a warning about the requests\n/);

    const before = requestsTo(ctx.emulator, /./);
    const strict = await runCli(['submit', file, '--strict'], { env: ctx.env });
    expect(strict.code).toBe(2);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toMatch(/^error: --strict: a warning about the requests; nothing was sent\n/);
    expect(strict.stderr).toContain(warning);
    expect(requestsTo(ctx.emulator, /./)).toBe(before);

    const sent = await runCli(['submit', file], { env: ctx.env });
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^msgbatch_\w+\n$/);
    expect(sent.stderr.indexOf(warning)).toBeLessThan(sent.stderr.indexOf('✓ Submitted'));

    const run = await runCli(['run', file, '--dry-run'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(warning);

    const dry = await runCli(['submit', file, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).warnings).toEqual([expect.stringContaining('claude-sonet-4-6')]);
  });
});

describe('prompts over the context window', () => {
  it('build and submit warn with the first line numbers and a count; --strict refuses', async () => {
    const text = ['short', HUGE, HUGE, 'short', HUGE, HUGE, HUGE, HUGE, HUGE].join('\n');
    const input = writeText(dir, 'huge.txt', `${text}\n`);
    const out = fresh();
    const r = await runCli(['build', 'text', input, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: 7 prompts are over the 200,000-token context window (estimated at four characters a token) at lines 2, 3, 5, 6, 7 and 2 more: the API will refuse them',
    );
    const strict = await runCli(['build', 'text', input, '--strict', '-o', fresh()]);
    expect(strict.code).toBe(2);

    const one = writeText(dir, 'one-huge.jsonl', jsonlText(request('a'), request('b', HUGE)));
    const submit = await runCli(['submit', one, '--dry-run']);
    expect(submit.code).toBe(0);
    expect(submit.stderr).toContain(
      'warning: 1 prompt is over the 200,000-token context window (estimated at four characters a token) at line 2: the API will refuse it',
    );
    const exact = writeText(dir, 'at-limit.jsonl', jsonlText(request('a', 'y'.repeat(800_000))));
    expect((await runCli(['submit', exact, '--dry-run', '--strict'])).code).toBe(0);
    expect((await runCli(['submit', one, '--dry-run', '--strict'])).code).toBe(2);
  });
});

describe('empty template fields', () => {
  it('are counted and warned about at build, with their lines', async () => {
    const input = writeText(dir, 'gaps.csv', 'id,title,text\n1,,hello\n2,T,\n3,X,yy\n4,,zz\n5,,\n');
    const out = fresh();
    const r = await runCli(['build', 'csv', input, '--template', '{{title}}: {{text}}', '-o', out, '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.requests).toBe(4);
    expect(summary.skipped).toEqual({ empty_prompt: 1 });
    expect(summary.emptyFields).toEqual({ title: 2, text: 1 });
    expect(r.stderr).toContain(
      'warning: {{title}} was empty in 2 rows (lines 2, 5): their prompts were made without it\n',
    );
    expect(r.stderr).toContain(
      'warning: {{text}} was empty in 1 row (line 3): its prompt was made without it\n',
    );

    const json = writeText(
      dir,
      'gaps.json',
      JSON.stringify([
        { a: 'x', b: null },
        { a: 'y', b: 'z' },
      ]),
    );
    const j = await runCli(['build', 'json', json, '--template', '{{a}} {{b}}', '-o', fresh()]);
    expect(j.stderr).toContain('warning: {{b}} was empty in 1 row (line 1)');
    expect(
      (await runCli(['build', 'json', json, '--template', '{{a}} {{b}}', '--strict', '-o', fresh()])).code,
    ).toBe(2);
  });
});

describe('build json with a misspelt field', () => {
  it('gives one line naming the field and the fields that exist', async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ question: `q${i}`, id: i }));
    const input = writeText(dir, 'questions.json', JSON.stringify(items));
    const r = await runCli(['build', 'json', input, '--prompt-field', 'questoin', '-o', fresh()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: ${input}: no field "questoin" in item 1 (--prompt-field)\nhint: did you mean "question"? item 1 has: "question", "id"\n`,
    );
    const id = await runCli([
      'build',
      'json',
      input,
      '--prompt-field',
      'question',
      '--id-field',
      'ID',
      '-o',
      fresh(),
    ]);
    expect(id.stderr).toMatch(
      /^error: .*: no field "ID" in item 1 \(--id-field\)\nhint: did you mean "id"\?/,
    );
  });
});

describe('build and estimate agree on input tokens', () => {
  it('for csv, json, text and custom sources, with a system prompt', async () => {
    const rows = Array.from({ length: 101 }, (_, i) => `${i},"${'word '.repeat(i % 7)}${i}"`);
    const csv = writeText(dir, 'agree.csv', `id,text\n${rows.join('\n')}\n`);
    const json = writeText(
      dir,
      'agree.json',
      JSON.stringify(rows.map((r, i) => ({ p: `${r}${i % 3 ? 'é' : ''}` }))),
    );
    const text = writeText(dir, 'agree.txt', rows.map((r) => `${r} ok`).join('\n'));
    const custom = writeText(
      dir,
      'agree.mjs',
      `export const buildRequests = () => Array.from({ length: 37 }, (_, i) => ({ custom_id: 'c' + i, params: { system: 'sys'.repeat(i), messages: [{ role: 'user', content: 'q'.repeat(i * 3 + 1) }] } }));\n`,
    );
    for (const argv of [
      ['csv', csv, '--prompt-column', 'text', '--system', 'Be terse.'],
      ['json', json, '--prompt-field', 'p', '--system', 'Abc', '--cache-system'],
      ['text', text],
      ['custom', custom],
    ]) {
      const out = fresh();
      const built = await runCli(['build', ...argv, '-o', out, '--json']);
      expect(built.code, built.stderr).toBe(0);
      const estimate = await runCli(['estimate', out, '--json']);
      expect(estimate.code).toBe(0);
      const tokens = JSON.parse(estimate.stdout).models.reduce(
        (sum: number, m: { inputTokens: number }) => sum + m.inputTokens,
        0,
      );
      expect(JSON.parse(built.stdout).inputTokensEstimate, argv[0]).toBe(tokens);
    }
  });
});

// Run by the built binary: Node's own loader decides what a CommonJS module exports (vitest's
// in-process loader hands over the keys of module.exports whatever their shape).
describe('build custom: every common module shape (real Node loader)', () => {
  const body = `[{ custom_id: 'a1', params: { messages: [{ role: 'user', content: 'Hi' }] } }]`;
  const shapes: Array<[string, string]> = [
    ['esm-default.mjs', `export default function () { return ${body}; }`],
    ['esm-default-arrow.mjs', `export default () => ${body};`],
    ['esm-named.mjs', `export function buildRequests() { return ${body}; }`],
    ['esm-snake.mjs', `export const build_requests = async () => ${body};`],
    ['cjs-fn.cjs', `module.exports = function () { return ${body}; };`],
    ['cjs-object.cjs', `module.exports = { buildRequests: () => ${body} };`],
    ['cjs-object-snake.cjs', `module.exports = { build_requests: () => ${body}, helper: 1 };`],
    ['cjs-exports.cjs', `exports.buildRequests = () => ${body};`],
    ['cjs-method.cjs', `module.exports = {\n  async buildRequests() {\n    return ${body};\n  },\n};`],
    ['cjs-variable.cjs', `const api = { buildRequests: () => ${body} };\nmodule.exports = api;`],
    [
      'cjs-transpiled.cjs',
      `Object.defineProperty(exports, '__esModule', { value: true });\nexports.default = () => ${body};`,
    ],
  ];
  for (const [name, source] of shapes) {
    it(name, async () => {
      const module = writeText(dir, name, `${source}\n`);
      const out = fresh();
      const r = await runBin(['build', 'custom', module, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({
        custom_id: 'a1',
        params: { model: 'claude-haiku-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Hi' }] },
      });
    });
  }

  it('an unusable module: the error names the exports it saw', async () => {
    const cjs = writeText(dir, 'unusable.cjs', 'module.exports = { make: () => [], version: 2 };\n');
    const r = await runBin(['build', 'custom', cjs, '-o', fresh()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `error: ${cjs} exports neither buildRequests nor a default function: it exports default (an object with make, version)`,
    );
    expect(r.stderr).toContain('hint: export function buildRequests()');
    const esm = writeText(dir, 'unusable.mjs', 'export const make = () => [];\nexport const n = 1;\n');
    const e = await runBin(['build', 'custom', esm, '-o', fresh()]);
    expect(e.stderr).toContain('it exports make (a function), n (a number)');
  });
});

describe('build csv: tab-separated files and parse errors', () => {
  it('reads a .tsv file with tab as the delimiter unless --delimiter says otherwise', async () => {
    const tsv = writeText(dir, 'data.tsv', 'id\ttext\tlang\nt1\tHello, world\ten\nt2\t"Quoted\ttab"\tfr\n');
    const out = fresh();
    const r = await runCli(['build', 'csv', tsv, '--prompt-column', 'text', '--id-column', 'id', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const prompts = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).params.messages[0].content);
    expect(prompts).toEqual(['Hello, world', 'Quoted\ttab']);
    const comma = await runCli([
      'build',
      'csv',
      tsv,
      '--delimiter',
      ',',
      '--prompt-column',
      'text',
      '-o',
      fresh(),
    ]);
    expect(comma.code).toBe(2);
    expect(comma.stderr).toContain(`${tsv}:3: csv: a quote inside a field that does not start with one`);
    expect(comma.stderr).toContain('if the file is tab-separated, pass --delimiter tab');
  });

  it('wraps csv-parse errors in one clear line with FILE:LINE and a hint', async () => {
    const tsvAsCsv = writeText(dir, 'tabs.csv', 'id\ttext\n1\t"Quoted\ttab"x\n');
    const r = await runCli(['build', 'csv', tsvAsCsv, '--prompt-column', 'text', '-o', fresh()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: ${tsvAsCsv}:2: csv: a quote inside a field that does not start with one (field 1)\nhint: quote the whole field and double the quotes in it ("a ""b"" c"); if the file is tab-separated, pass --delimiter tab\n`,
    );
    const closing = writeText(dir, 'closing.csv', 'id,text\n1,ok\n2,"x"y\n');
    const c = await runCli(['build', 'csv', closing, '--prompt-column', 'text', '-o', fresh()]);
    expect(c.stderr).toMatch(
      /^error: .*closing\.csv:3: csv: text after the closing quote of a quoted field \(field 2\)\nhint: inside a quoted field, write a quote as two quotes/,
    );
    const open = writeText(dir, 'open.csv', 'id,text\n1,"never closed\n');
    const o = await runCli(['build', 'csv', open, '--prompt-column', 'text', '-o', fresh()]);
    expect(o.stderr).toMatch(/^error: .*open\.csv:\d+: csv: a quoted field is never closed/);
    expect(r.stderr + c.stderr + o.stderr).not.toMatch(/Invalid|Opening Quote|Quote Not Closed/);
  });
});
