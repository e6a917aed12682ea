import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { RowMapping } from '../../src/core/join/mapping.js';
import { csvField, csvRecord, resultColumnNames, resultKey } from '../../src/core/join/output.js';

describe('csv quoting (RFC 4180)', () => {
  it('quotes only fields with a comma, a quote or a line break, doubling quotes', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField('')).toBe('');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\ronly')).toBe('"cr\ronly"');
    expect(csvRecord(['a', 'b,c', ''])).toBe('a,"b,c",\n');
  });

  it('round-trips any text through csv-parse', () => {
    const nasty = ['', ' ', '"', '""', ',', '\n', '\r\n', 'a"b,c\nd', 'é🙂', '=1+1', ' lead', 'trail '];
    const records = [nasty, [...nasty].reverse()];
    const text = records.map((r) => csvRecord(r)).join('');
    expect(parse(text, { relax_column_count: true })).toEqual(records);
  });
});

describe('result column names', () => {
  it('always prefixes result_ (so an input column never hides an answer), again when the input has the name', () => {
    const plain = [
      'result_type',
      'result_text',
      'result_stop_reason',
      'result_input_tokens',
      'result_output_tokens',
      'result_error_type',
      'result_error_message',
    ];
    expect(resultColumnNames(['id', 'prompt'])).toEqual(plain);
    // An input column `text` (or `stop_reason`…) no longer moves the answer: the names do not depend on it.
    expect(resultColumnNames(['id', 'text', 'stop_reason', 'input_tokens'])).toEqual(plain);
    expect(resultColumnNames(['text', 'result_text', 'result_type'])).toEqual([
      'result_result_type',
      'result_result_text',
      'result_stop_reason',
      'result_input_tokens',
      'result_output_tokens',
      'result_error_type',
      'result_error_message',
    ]);
    expect(resultKey({ a: 1 })).toBe('result');
    expect(resultKey({ result: 1, result_result: 2 })).toBe('result_result_result');
  });
});

describe('RowMapping', () => {
  it('recognises generated ids by stem and number without storing them', () => {
    const m = new RowMapping();
    for (let row = 1; row <= 5000; row += 1) if (row !== 40) m.add(`p_csv-row-${row}`, row);
    expect(m.rowOf('p_csv-row-1')).toBe(1);
    expect(m.rowOf('p_csv-row-5000')).toBe(5000);
    expect(m.rowOf('p_csv-row-40')).toBeUndefined();
    expect(m.rowOf('p_csv-row-5001')).toBeUndefined();
    expect(m.rowOf('p_csv-row-01')).toBeUndefined();
    expect(m.rowOf('p_csv-row-')).toBeUndefined();
    expect(m.rowOf('csv-row-1')).toBeUndefined();
    expect(m.rowOf('p_csv-row-1x')).toBeUndefined();
    expect(m.maxRow).toBe(5000);
    expect(m.size).toBe(4999);
  });

  it('keeps other ids (id columns, hashes, mixed stems) by name', () => {
    const m = new RowMapping();
    m.add('order-17', 1);
    m.add('h-0123456789abcdef', 2);
    m.add('text-line-3', 3);
    m.add('text-line-9', 4);
    m.add('other-5', 5);
    expect(m.rowOf('order-17')).toBe(1);
    expect(m.rowOf('h-0123456789abcdef')).toBe(2);
    expect(m.rowOf('text-line-3')).toBe(3);
    expect(m.rowOf('text-line-9')).toBe(4);
    expect(m.rowOf('other-5')).toBe(5);
    expect(m.rowOf('text-line-4')).toBeUndefined();
    expect(m.rowOf('order-1')).toBeUndefined();
  });
});
