import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { readLines } from '../../src/core/fs/lines.js';
import { validateRequests } from '../../src/core/requests/file.js';
import { split, stream } from '../helpers/chunks.js';

async function records(chunks: Iterable<Uint8Array>): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const { number, bytes } of readLines(chunks)) out.push([number, bytes.toString('hex')]);
  return out;
}

/** Text with multi-byte characters (2, 3 and 4 bytes in UTF-8), \r, and plain ASCII. */
const text = fc.string({
  unit: fc.constantFrom(
    'a',
    'Z',
    '0',
    ' ',
    '"',
    '\\',
    '\r',
    'é',
    'ß',
    '€',
    '中',
    '😀',
    '\u{10FFFF}',
    '\u0000',
  ),
  maxLength: 20,
});

/** A document: lines joined by LF or CRLF, maybe a BOM, maybe a last line end. */
const document = fc
  .record({
    lines: fc.array(text, { maxLength: 12 }),
    crlf: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
    bom: fc.boolean(),
    trailing: fc.boolean(),
  })
  .map(({ lines, crlf, bom, trailing }) => {
    let out = bom ? '\uFEFF' : '';
    lines.forEach((line, i) => {
      out += line;
      if (i < lines.length - 1 || trailing) out += crlf[i] ? '\r\n' : '\n';
    });
    return Buffer.from(out, 'utf8');
  });

/**
 * The reference: split on \n (no phantom line after a last \n), drop one \r at each line's end,
 * and a BOM at the start of the first line (a file of only a BOM is one empty line).
 */
function expected(b: Buffer): Array<[number, string]> {
  if (b.length === 0) return [];
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i += 1) {
    if (b[i] === 0x0a) {
      parts.push(b.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < b.length) parts.push(b.subarray(start));
  const first = parts[0];
  if (first?.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))) parts[0] = first.subarray(3);
  return parts.map((p, i) => [
    i + 1,
    (p.length > 0 && p[p.length - 1] === 0x0d ? p.subarray(0, p.length - 1) : p).toString('hex'),
  ]);
}

const cuts = fc.array(fc.nat(), { maxLength: 30 });

describe('readLines (property)', () => {
  it('any split of the input into chunks yields the same records, the reference ones', async () => {
    await fc.assert(
      fc.asyncProperty(document, cuts, async (bytes, at) => {
        const whole = await records([bytes]);
        expect(whole).toEqual(expected(bytes));
        expect(await records(split(bytes, at))).toEqual(whole);
      }),
      { numRuns: 400 },
    );
  });

  it('byte-by-byte chunks (every boundary at once) give the same records', async () => {
    await fc.assert(
      fc.asyncProperty(document, async (bytes) => {
        const single = [...bytes].map((b) => Buffer.from([b]));
        expect(await records(single)).toEqual(await records([bytes]));
      }),
      { numRuns: 150 },
    );
  });

  it('a split between \\r and \\n, and inside a 4-byte character, changes nothing', async () => {
    const bytes = Buffer.from('a😀b\r\nc€\r\n\r\nd', 'utf8');
    const whole = await records([bytes]);
    for (let i = 0; i <= bytes.length; i += 1) {
      for (let j = i; j <= bytes.length; j += 1) expect(await records(split(bytes, [i, j]))).toEqual(whole);
    }
  });
});

/** One line of a request file: valid, or wrong in one of many ways; with multi-byte prompts. */
const requestLine = fc.oneof(
  fc.record({ id: fc.stringMatching(/^[a-z0-9_-]{1,6}$/), prompt: text }).map(({ id, prompt }) =>
    JSON.stringify({
      custom_id: id,
      params: {
        model: 'claude-haiku-4-5',
        max_tokens: 16,
        messages: [{ role: 'user', content: prompt || 'x' }],
      },
    }),
  ),
  fc.constantFrom(
    '',
    '   ',
    '{oops',
    '{"custom_id":"bad id","params":{}}',
    '{"custom_id":"x","params":{"model":"m","max_tokens":0,"messages":[]}}',
    '{"custom_id":"é","params":{"model":"中","max_tokens":1,"messages":[{"role":"user","content":"😀"}]},"extra":1}',
    'null',
  ),
  text.map((t) => JSON.stringify(t)),
);

const requestFile = fc
  .record({
    lines: fc.array(requestLine, { maxLength: 10 }),
    crlf: fc.boolean(),
    bom: fc.boolean(),
    invalidUtf8At: fc.option(fc.nat()),
  })
  .map(({ lines, crlf, bom, invalidUtf8At }) => {
    let bytes = Buffer.from((bom ? '\uFEFF' : '') + lines.join(crlf ? '\r\n' : '\n'), 'utf8');
    if (invalidUtf8At !== null && bytes.length > 0) {
      const at = invalidUtf8At % bytes.length;
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at)]);
    }
    return bytes;
  });

/** The validator's verdict: its figures, or its problems. */
async function verdict(chunks: Buffer[]): Promise<unknown> {
  try {
    return { ok: await validateRequests(stream(chunks), { file: 'f.jsonl' }) };
  } catch (error) {
    if (error instanceof InputError) return { problems: error.problems, count: error.problemCount };
    throw error;
  }
}

describe('validateRequests (property)', () => {
  it('any split of the file into chunks gives the same verdict, problems and line numbers', async () => {
    await fc.assert(
      fc.asyncProperty(requestFile, cuts, async (bytes, at) => {
        expect(await verdict(split(bytes, at))).toEqual(await verdict([bytes]));
      }),
      { numRuns: 300 },
    );
  });

  it('valid files give the same figures byte by byte', async () => {
    const valid = fc.array(
      fc.record({ prompt: text }).map(({ prompt }) => prompt),
      { minLength: 1, maxLength: 6 },
    );
    await fc.assert(
      fc.asyncProperty(valid, fc.boolean(), async (prompts, crlf) => {
        const lines = prompts.map((p, i) =>
          JSON.stringify({
            custom_id: `r${i}`,
            params: { model: 'm', max_tokens: 8, messages: [{ role: 'user', content: p.trim() ? p : 'x' }] },
          }),
        );
        const bytes = Buffer.from(lines.join(crlf ? '\r\n' : '\n'), 'utf8');
        const whole = (await verdict([bytes])) as { ok: { requests: number } };
        expect(whole.ok.requests).toBe(prompts.length);
        expect(await verdict([...bytes].map((b) => Buffer.from([b])))).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });
});
