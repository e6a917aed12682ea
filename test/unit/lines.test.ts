import { describe, expect, it } from 'vitest';
import { decodeUtf8, isBlank, readLines } from '../../src/core/fs/lines.js';

async function lines(chunks: Array<string | Buffer>): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const { number, bytes } of readLines(
    chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)),
  )) {
    out.push([number, bytes.toString('utf8')]);
  }
  return out;
}

describe('readLines', () => {
  it('splits LF and CRLF lines and numbers them from 1', async () => {
    expect(await lines(['a\nb\r\nc'])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
  });

  it('keeps empty lines (so line numbers stay true) and has no phantom last line', async () => {
    expect(await lines(['a\n\nb\n'])).toEqual([
      [1, 'a'],
      [2, ''],
      [3, 'b'],
    ]);
  });

  it('drops a UTF-8 BOM at the start only', async () => {
    expect(await lines(['\uFEFFa\n\uFEFFb'])).toEqual([
      [1, 'a'],
      [2, '\uFEFFb'],
    ]);
  });

  it('gives the same lines whatever the chunking, even inside a character or a CRLF', async () => {
    const text = Buffer.from('héllo wörld 🙂\r\nzwei\r\n\r\ndrei ✓');
    const whole = await lines([text]);
    for (let cut = 1; cut < text.length; cut += 1) {
      expect(await lines([text.subarray(0, cut), text.subarray(cut)])).toEqual(whole);
    }
    const bytes = [...text].map((b) => Buffer.from([b]));
    expect(await lines(bytes)).toEqual(whole);
  });

  it("gives each line's byte offset: reading its length there gives its bytes back, whatever the chunking", async () => {
    const text = Buffer.from('\uFEFFhéllo\r\n\nzwei 🙂\ndrei');
    for (let cut = 1; cut < text.length; cut += 1) {
      for await (const { offset, bytes } of readLines([text.subarray(0, cut), text.subarray(cut)]))
        expect(text.subarray(offset, offset + bytes.length).equals(bytes)).toBe(true);
    }
    const offsets: number[] = [];
    for await (const { offset } of readLines([text])) offsets.push(offset);
    expect(offsets).toEqual([3, 11, 12, 22]);
  });

  it('reads nothing from an empty stream', async () => {
    expect(await lines([])).toEqual([]);
    expect(await lines([''])).toEqual([]);
  });
});

describe('isBlank / decodeUtf8', () => {
  it('treats spaces and tabs as blank', () => {
    expect(isBlank(Buffer.from(' \t '))).toBe(true);
    expect(isBlank(Buffer.from(' x'))).toBe(false);
  });

  it('refuses invalid UTF-8', () => {
    expect(decodeUtf8(Buffer.from([0x61, 0xff, 0x62]))).toBeUndefined();
    expect(decodeUtf8(Buffer.from('ok ✓'))).toBe('ok ✓');
  });
});
