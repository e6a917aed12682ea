import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvRows } from '../../src/core/builder/csv.js';
import type { PromptRow, SourceEvent } from '../../src/core/builder/rows.js';
import { split, stream } from '../helpers/chunks.js';

/** RFC 4180: quote a field when it holds the delimiter, a quote or a line break; double the quotes. */
function field(text: string, delimiter: string): string {
  return /["\r\n]/.test(text) || text.includes(delimiter) ? `"${text.replaceAll('"', '""')}"` : text;
}

const cell = fc.string({
  unit: fc.constantFrom('a', 'Z', '1', ' ', ',', ';', '\t', '"', '\n', '\r\n', 'é', '中', '😀'),
  maxLength: 12,
});

describe('csvRows (property)', () => {
  it('any RFC 4180 file, cut anywhere, gives back each field and the line each row starts on', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 10 }),
        fc.constantFrom(',', ';', '\t'),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 30 }),
        async (rows, delimiter, crlf, bom, cuts) => {
          const eol = crlf ? '\r\n' : '\n';
          const records = rows.map(([a, b]) => [`k${a}`, `p${b}`]);
          let text = bom ? '\uFEFF' : '';
          text += `id${delimiter}text${eol}`;
          const lines: number[] = [];
          let line = 2;
          for (const record of records) {
            lines.push(line);
            text += record.map((f) => field(f, delimiter)).join(delimiter) + eol;
            line += 1 + record.join('').split('\n').length - 1;
          }
          const source = csvRows(stream(split(Buffer.from(text), cuts)), 'p.csv', {
            promptColumn: 'text',
            idColumn: 'id',
            delimiter,
          });
          const got: PromptRow[] = [];
          for await (const batch of source.events) {
            for (const event of [batch].flat() as SourceEvent[]) if (event.kind === 'row') got.push(event);
          }
          expect(got.map((g) => g.key)).toEqual(records.map((r) => r[0]));
          expect(got.map((g) => g.prompt)).toEqual(
            records.map((r) => (r[1] as string).replaceAll('\r\n', '\n').trim()),
          );
          expect(got.map((g) => g.line)).toEqual(lines);
          expect(got.map((g) => g.row)).toEqual(records.map((_, i) => i + 1));
        },
      ),
      { numRuns: 300 },
    );
  });
});
