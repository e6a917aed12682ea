import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonItems } from '../../src/core/builder/json-scan.js';
import { InputError } from '../../src/core/errors.js';
import { split, stream } from '../helpers/chunks.js';

async function items(text: string | Buffer, cuts: number[] = []) {
  const out: Array<{ value: unknown; line: number }> = [];
  for await (const item of jsonItems(stream(split(Buffer.from(text), cuts)), 'doc.json')) out.push(item);
  return out;
}

async function failure(text: string): Promise<InputError> {
  const error = await items(text).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe('jsonItems', () => {
  it('streams a top-level array, with the line each element starts on', async () => {
    const got = await items('[\n  {"a": 1},\n  "two",\n  3, null, true,\n  [4, {"b": "]}"}]\n]\n');
    expect(got).toEqual([
      { value: { a: 1 }, line: 2 },
      { value: 'two', line: 3 },
      { value: 3, line: 4 },
      { value: null, line: 4 },
      { value: true, line: 4 },
      { value: [4, { b: ']}' }], line: 5 },
    ]);
  });

  it("streams an object's items array and ignores its other keys", async () => {
    const got = await items(
      '{"meta": {"items": "not these"},\n "items": [{"p": "x"},\n {"p": "y"}], "after": [1]}',
    );
    expect(got).toEqual([
      { value: { p: 'x' }, line: 2 },
      { value: { p: 'y' }, line: 3 },
    ]);
  });

  it('gives a single object (without an items array) as one item', async () => {
    expect(await items('\uFEFF  {"prompt": "one", "items": "a string"}  ')).toEqual([
      { value: { prompt: 'one', items: 'a string' }, line: 1 },
    ]);
  });

  it('handles strings with escapes, brackets and non-ASCII text', async () => {
    const value = { s: 'quote " backslash \\ brackets [{]} unicode \u00e9\u4e2d\ud83d\ude00 \\" end' };
    expect(await items(JSON.stringify([value, value]))).toEqual([
      { value, line: 1 },
      { value, line: 1 },
    ]);
  });

  it('yields nothing for empty input, an empty array or an object with empty items', async () => {
    expect(await items('')).toEqual([]);
    expect(await items('  \n ')).toEqual([]);
    expect(await items('[ ]')).toEqual([]);
    expect(await items('{"items": []}')).toEqual([]);
  });

  it('reports invalid JSON with the line of the value', async () => {
    const error = await failure('[{"a": 1},\n {"a": oops}]');
    expect(error.problems[0]).toMatchObject({ file: 'doc.json', line: 2, field: 'json' });
    expect(error.problems[0]?.message).toMatch(/^not valid JSON/);
  });

  it('reports a truncated document, a scalar document, and data after the value', async () => {
    expect((await failure('[{"a": 1}, {"a": ')).problems[0]?.message).toMatch(/unexpected end of the file/);
    expect((await failure('"just a string"')).message).toContain('expected a JSON array or object');
    const trailing = await failure('{"prompt": "a"}\n{"prompt": "b"}\n');
    expect(trailing.problems[0]).toMatchObject({
      line: 2,
      message: 'more data after the end of the JSON value',
    });
    expect(trailing.hint).toContain('--jsonl');
    expect((await failure('[1 2]')).problems[0]?.message).toContain('expected "," or "]"');
  });

  it('reports bytes that are not UTF-8', async () => {
    const bad = await items(Buffer.from([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d])).then(
      () => undefined,
      (e: unknown) => e as InputError,
    );
    expect(bad?.problems[0]?.message).toContain('not valid UTF-8');
  });
});

describe('jsonItems (property)', () => {
  const value = fc.jsonValue({ maxDepth: 3 });
  it('any split of any array yields exactly JSON.parse of each element', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(value, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.boolean(),
        async (values, cuts, pretty) => {
          const text = JSON.stringify(values, null, pretty ? 2 : undefined);
          const got = await items(text, cuts);
          expect(got.map((g) => g.value)).toEqual(JSON.parse(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any split of {"items": [...]} yields the items', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(value, { maxLength: 6 }),
        fc.dictionary(fc.string({ maxLength: 5 }), value, { maxKeys: 3 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        async (values, other, cuts) => {
          const { items: _dropped, ...rest } = other;
          const text = JSON.stringify({ ...rest, items: values, tail: rest });
          const got = await items(text, cuts);
          expect(got.map((g) => g.value)).toEqual(JSON.parse(JSON.stringify(values)));
        },
      ),
      { numRuns: 200 },
    );
  });
});
