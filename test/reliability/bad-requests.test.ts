import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { request, tempDir } from '../helpers/files.js';

/**
 * Every bad request file must end with exit 2, a message naming the file and the line (or the
 * file alone when it holds no request at all), nothing on stdout, no file written, and no
 * request sent to the API.
 */
const FIXTURES = fileURLToPath(new URL('../fixtures/bad/requests/', import.meta.url));
const ctx = useEmulator({});
const work = tempDir();

/** Each fixture and the start of the first problem it must report: `FILE:LINE: field`. */
const CASES: Array<[file: string, where: string]> = [
  ['array-line.jsonl', ':1: request: must be a JSON object'],
  ['bom-then-error.jsonl', ':2: params.max_tokens: must be at least 1'],
  ['crlf-then-error.jsonl', ':3: json: not valid JSON'],
  ['custom-id-empty.jsonl', ':1: custom_id: "" is not a valid custom_id'],
  ['custom-id-invalid-chars.jsonl', ':3: custom_id: "has space" is not a valid custom_id'],
  ['custom-id-number.jsonl', ':1: custom_id: must be a string, got a number'],
  ['custom-id-too-long.jsonl', ':1: custom_id: "xxxxxxxx'],
  ['custom-id-unicode.jsonl', ':1: custom_id: "café" is not a valid custom_id'],
  ['duplicate-ids.jsonl', ':3: custom_id: "a" repeats the id of line 1'],
  ['empty.jsonl', ': file: no requests'],
  ['extra-key.jsonl', ':1: method: unknown key'],
  ['invalid-utf8.jsonl', ':2: encoding: not valid UTF-8'],
  ['lone-cr-separators.jsonl', ':1: json: not valid JSON'],
  ['malformed-json.jsonl', ':2: json: not valid JSON'],
  ['max-tokens-fraction.jsonl', ':1: params.max_tokens: must be an integer, got 1.5'],
  ['max-tokens-string.jsonl', ':1: params.max_tokens: must be an integer, got a string'],
  ['max-tokens-zero.jsonl', ':1: params.max_tokens: must be at least 1, got 0'],
  ['messages-bad-role.jsonl', ':1: params.messages.0.role: must be "user" or "assistant"'],
  ['messages-content-number.jsonl', ':1: params.messages.0.content: must be a string or an array'],
  ['messages-empty.jsonl', ':1: params.messages: must hold at least one message'],
  ['missing-params.jsonl', ':1: params: is required'],
  ['model-missing.jsonl', ':1: params.model: is required'],
  ['nul-bytes.jsonl', ':2: json: not valid JSON (Bad control character'],
  ['null-line.jsonl', ':1: request: must be a JSON object with custom_id and params, got null'],
  ['only-blank-lines.jsonl', ': file: no requests: the file is empty or holds only blank lines'],
  ['params-not-object.jsonl', ':1: params: must be an object, got a string'],
  ['pretty-printed-json.jsonl', ':1: json: not valid JSON'],
  ['stream-true.jsonl', ':1: params.stream: must not be true'],
  ['string-line.jsonl', ':2: request: must be a JSON object with custom_id and params, got a string'],
  ['trailing-comma.jsonl', ':1: json: not valid JSON'],
  ['utf16le.jsonl', ':1: encoding: not valid UTF-8'],
];

const TEN_MB = 10 * 1024 * 1024;
/** Large cases, generated here rather than committed. */
const GENERATED: Array<[file: string, where: string, make: () => Buffer]> = [
  [
    'ten-mb-line-extra-key.jsonl',
    ':1: note: unknown key',
    () => Buffer.from(`${JSON.stringify({ ...request('big', 'x'.repeat(TEN_MB)), note: 1 })}\n`),
  ],
  ['ten-mb-not-json.jsonl', ':1: json: not valid JSON', () => Buffer.alloc(TEN_MB, 'x')],
  [
    'ten-mb-line-then-duplicate.jsonl',
    ':2: custom_id: "big" repeats the id of line 1',
    () =>
      Buffer.from(
        `${JSON.stringify(request('big', 'y'.repeat(TEN_MB)))}\n${JSON.stringify(request('big'))}\n`,
      ),
  ],
];

let sentBefore = 0;
const sent = () => Object.values(ctx.emulator.counts).reduce((a, b) => a + b, 0);
beforeAll(() => {
  sentBefore = sent();
  for (const [name, , make] of GENERATED) writeFileSync(join(work, name), make());
});

async function expectRefused(path: string, shownAs: string, where: string, stdin?: Buffer) {
  const cwd = join(work);
  const before = readdirSync(cwd).sort();
  const r = await runCli(['submit', stdin ? '-' : path], {
    env: ctx.env,
    cwd,
    ...(stdin ? { stdin } : {}),
  });
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain(`${shownAs}${where}`);
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr).toContain('nothing was sent');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(readdirSync(cwd).sort()).toEqual(before);
  expect(sent()).toBe(sentBefore);
}

describe('bad request files: exit 2, FILE:LINE, nothing written, nothing sent', () => {
  it('the corpus holds every fixture listed here, and at least 20', () => {
    const files = readdirSync(FIXTURES).sort();
    expect(files).toEqual(CASES.map(([f]) => f).sort());
    expect(files.length + GENERATED.length).toBeGreaterThanOrEqual(20);
  });

  it.each(CASES)('%s', async (file, where) => {
    const path = join(FIXTURES, file);
    await expectRefused(path, path, where);
  });

  it.each(GENERATED)('%s (generated)', async (file, where) => {
    const path = join(work, file);
    await expectRefused(path, path, where);
  });

  it.each(CASES.filter(([f]) => /bom|crlf|utf8|nul|duplicate|empty/.test(f)))(
    '%s through stdin',
    async (file, where) => {
      await expectRefused('-', 'stdin', where, readFileSync(join(FIXTURES, file)));
    },
  );

  it('the emulator saw no request at all', () => {
    expect(sent()).toBe(0);
    expect(ctx.emulator.log).toEqual([]);
  });
});
