import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildRequestFile } from '../../src/core/builder/build.js';
import { InputError, UsageError } from '../../src/core/errors.js';
import { joinResults, joinSourceFor } from '../../src/core/join/join.js';
import { tempDir, writeText } from '../helpers/files.js';
import {
  errored,
  expired,
  fileSink,
  readCsv,
  readJsonl,
  shuffle,
  succeeded,
  toJsonl,
} from '../helpers/join.js';

const FIX = 'test/fixtures/join';
const dir = tempDir();
let counter = 0;
const next = (ext: string) => {
  counter += 1;
  return join(dir, `out-${counter}.${ext}`);
};

/** Builds the fixture CSV with build's own code, so the map's row numbers are build's. */
async function buildReviews(): Promise<string> {
  const output = next('jsonl');
  const summary = await buildRequestFile({
    source: 'csv',
    input: `${FIX}/reviews.csv`,
    promptColumn: 'text',
    skipBadRows: true,
    output,
    model: 'claude-haiku-4-5',
  });
  expect(summary.requests).toBe(4);
  return summary.map as string;
}

const RESULT_HEADER = [
  'result_stop_reason',
  'result_input_tokens',
  'result_output_tokens',
  'result_error_type',
  'result_error_message',
];

describe('joinResults: csv input', () => {
  it('restores every input row and column in order, with results given in random order (csv out)', async () => {
    const map = await buildReviews();
    const out = next('csv');
    const summary = await joinResults({
      results: `${FIX}/reviews.results.jsonl`,
      map,
      input: `${FIX}/reviews.csv`,
      format: 'csv',
      sink: await fileSink(out),
    });
    const records = readCsv(out);
    expect(records[0]).toEqual(['id', 'text', 'notes', 'result_type', 'result_text', ...RESULT_HEADER]);
    expect(records.slice(1)).toEqual([
      [
        'r1',
        'Great, really great',
        'first',
        'errored',
        '',
        '',
        '',
        '',
        'overloaded_error',
        'Overloaded, "try" later',
      ],
      ['r2', 'Line one\r\nline two', 'has newline', 'expired', '', '', '', '', '', ''],
      [
        'r3',
        'She said "wow"',
        'quotes',
        'succeeded',
        'positive,\n"very" indeed',
        'max_tokens',
        '15',
        '4',
        '',
        '',
      ],
      ['r4', '', 'empty prompt', '', '', '', '', '', '', ''],
      ['r5', 'short row', '', '', '', '', '', '', '', ''],
      ['r6', 'Plain text', 'last, with comma', 'succeeded', 'neutral', 'end_turn', '12', '2', '', ''],
    ]);
    expect(summary).toMatchObject({
      source: 'csv',
      format: 'csv',
      rows: 6,
      joined: 4,
      withoutResult: 2,
      unmatchedResults: 0,
      resultsBeyondInput: 0,
      unevenRows: 1,
    });
    expect(summary.results).toMatchObject({ total: 4, succeeded: 2, errored: 1, expired: 1 });
    // The quoting is RFC 4180: a quoted field doubles its quotes.
    expect(readFileSync(out, 'utf8')).toContain(
      'r3,"She said ""wow""",quotes,succeeded,"positive,\n""very"" indeed"',
    );
  });

  it('writes header → value objects plus the result fields (jsonl out), from a results stream', async () => {
    const map = await buildReviews();
    const out = next('jsonl');
    const bytes = readFileSync(`${FIX}/reviews.results.jsonl`);
    // Chunks of 7 bytes: line ends fall anywhere.
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
    await joinResults({
      results: Readable.from(chunks),
      map,
      input: `${FIX}/reviews.csv`,
      format: 'jsonl',
      sink: await fileSink(out),
    });
    const rows = readJsonl(out);
    expect(rows.map((r) => r.id)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    expect(Object.keys(rows[0] ?? {})).toEqual([
      'id',
      'text',
      'notes',
      'result_type',
      'result_text',
      ...RESULT_HEADER,
    ]);
    expect(rows[2]).toEqual({
      id: 'r3',
      text: 'She said "wow"',
      notes: 'quotes',
      result_type: 'succeeded',
      result_text: 'positive,\n"very" indeed',
      result_stop_reason: 'max_tokens',
      result_input_tokens: 15,
      result_output_tokens: 4,
      result_error_type: null,
      result_error_message: null,
    });
    expect(rows[3]).toMatchObject({ id: 'r4', result_type: null, result_text: null });
  });

  it('reads a TSV with the delimiter build was given (tab by default for .tsv)', async () => {
    const input = writeText(dir, 'data.tsv', 'key\tprompt\na,b\tfirst\nc\tsecond\n');
    const map = writeText(dir, 'data.map.jsonl', toJsonl([{ custom_id: 'x-2', row: 2, id: 'c' }]));
    const results = writeText(dir, 'data.results.jsonl', toJsonl([succeeded('x-2', 'two')]));
    const out = next('csv');
    await joinResults({ results, map, input, format: 'csv', sink: await fileSink(out) });
    expect(readCsv(out).map((r) => r.slice(0, 4))).toEqual([
      ['key', 'prompt', 'result_type', 'result_text'],
      ['a,b', 'first', '', ''],
      ['c', 'second', 'succeeded', 'two'],
    ]);
  });

  it('finds rows by ids taken from a column (--id-column), and counts results not in the map', async () => {
    const input = writeText(dir, 'ids.csv', 'order,prompt\n17,alpha\n18,beta\n19,gamma\n');
    const built = await buildRequestFile({
      source: 'csv',
      input,
      promptColumn: 'prompt',
      idColumn: 'order',
      idPrefix: 'o-',
      output: next('jsonl'),
      model: 'claude-haiku-4-5',
    });
    const results = writeText(
      dir,
      'ids.results.jsonl',
      toJsonl([succeeded('o-19', 'G'), succeeded('stranger', '?'), errored('o-17', 'api_error', 'boom')]),
    );
    const out = next('csv');
    const summary = await joinResults({
      results,
      map: built.map as string,
      input,
      format: 'csv',
      sink: await fileSink(out),
    });
    expect(readCsv(out).map((r) => [r[0], r[2], r[3], r[7]])).toEqual([
      ['order', 'result_type', 'result_text', 'result_error_type'],
      ['17', 'errored', '', 'api_error'],
      ['18', '', '', ''],
      ['19', 'succeeded', 'G', ''],
    ]);
    expect(summary).toMatchObject({
      joined: 2,
      withoutResult: 1,
      unmatchedResults: 1,
      unmatchedIds: ['stranger'],
    });
  });
});

describe('joinResults: json and text inputs', () => {
  it('adds the result under a `result` key (or result_result when the item has one)', async () => {
    const built = await buildRequestFile({
      source: 'json',
      input: `${FIX}/items.json`,
      output: next('jsonl'),
      model: 'claude-haiku-4-5',
    });
    expect(built.requests).toBe(3);
    const results = writeText(
      dir,
      'items.results.jsonl',
      toJsonl(
        shuffle([succeeded('json-item-1', 'one'), expired('json-item-2'), succeeded('json-item-4', 'four')]),
      ),
    );
    const out = next('jsonl');
    const summary = await joinResults({
      results,
      map: built.map as string,
      input: `${FIX}/items.json`,
      format: 'jsonl',
      sink: await fileSink(out),
    });
    const rows = readJsonl(out);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({
      prompt: 'first question',
      meta: { tags: ['a', 'b'] },
      score: 1.5,
      result: {
        result_type: 'succeeded',
        text: 'one',
        stop_reason: 'end_turn',
        input_tokens: 10,
        output_tokens: 3,
        error_type: null,
        error_message: null,
      },
    });
    expect(rows[1]).toMatchObject({ value: 'a bare string item', result: { result_type: 'expired' } });
    expect(rows[2]).toEqual({ prompt: '', score: null, result: null });
    expect(rows[3]).toMatchObject({
      prompt: 'fourth',
      result: 'the input already has a result field',
      result_result: { result_type: 'succeeded', text: 'four' },
    });
    expect(summary).toMatchObject({ source: 'json', rows: 4, joined: 3, withoutResult: 1 });
  });

  it('writes JSON items as CSV: the union of top-level keys, objects as JSON text', async () => {
    const built = await buildRequestFile({
      source: 'json',
      input: `${FIX}/items.json`,
      output: next('jsonl'),
      model: 'claude-haiku-4-5',
    });
    const results = writeText(dir, 'items2.results.jsonl', toJsonl([succeeded('json-item-4', 'four')]));
    const out = next('csv');
    await joinResults({
      results,
      map: built.map as string,
      input: `${FIX}/items.json`,
      format: 'csv',
      sink: await fileSink(out),
    });
    const records = readCsv(out);
    expect(records[0]).toEqual([
      'prompt',
      'meta',
      'score',
      'value',
      'result',
      'result_type',
      'result_text',
      ...RESULT_HEADER,
    ]);
    expect(records[1]?.slice(0, 6)).toEqual(['first question', '{"tags":["a","b"]}', '1.5', '', '', '']);
    expect(records[2]?.slice(0, 4)).toEqual(['', '', '', 'a bare string item']);
    expect(records[4]?.slice(0, 7)).toEqual([
      'fourth',
      '',
      '',
      '',
      'the input already has a result field',
      'succeeded',
      'four',
    ]);
  });

  it('reads JSON Lines inputs (by extension) item by item', async () => {
    const input = writeText(dir, 'lines.ndjson', '{"q":"a"}\n\n{"q":"b"}\n{"q":"c"}\n');
    const built = await buildRequestFile({
      source: 'json',
      input,
      promptField: 'q',
      output: next('jsonl'),
      model: 'claude-haiku-4-5',
    });
    const results = writeText(dir, 'lines.results.jsonl', toJsonl([succeeded('json-item-3', 'C')]));
    const out = next('jsonl');
    expect(joinSourceFor(input)).toBe('jsonl');
    await joinResults({
      results,
      map: built.map as string,
      input,
      format: 'jsonl',
      sink: await fileSink(out),
    });
    expect(readJsonl(out).map((r) => [r.q, (r.result as { text?: string } | null)?.text ?? null])).toEqual([
      ['a', null],
      ['b', null],
      ['c', 'C'],
    ]);
  });

  it('joins text lines and paragraphs as {row, text, …result} (result text as result_text)', async () => {
    for (const splitBy of ['line', 'paragraph'] as const) {
      const built = await buildRequestFile({
        source: 'text',
        input: `${FIX}/notes.txt`,
        splitBy,
        output: next('jsonl'),
        model: 'claude-haiku-4-5',
      });
      const kind = splitBy === 'line' ? 'text-line' : 'text-para';
      const results = writeText(
        dir,
        `notes-${splitBy}.results.jsonl`,
        toJsonl([succeeded(`${kind}-3`, 'third'), succeeded(`${kind}-1`, 'first')]),
      );
      const out = next('jsonl');
      await joinResults({
        results,
        map: built.map as string,
        input: `${FIX}/notes.txt`,
        splitBy,
        format: 'jsonl',
        sink: await fileSink(out),
      });
      const rows = readJsonl(out);
      const texts =
        splitBy === 'line' ? ['one', 'two', 'three', 'four', 'five'] : ['one', 'two  \nthree', 'four\nfive'];
      expect(rows.map((r) => r.text)).toEqual(texts);
      expect(rows.map((r) => r.row)).toEqual(texts.map((_, i) => i + 1));
      expect(rows.map((r) => r.result_text)).toEqual(
        texts.map((_, i) => (i === 0 ? 'first' : i === 2 ? 'third' : null)),
      );
      expect(Object.keys(rows[0] ?? {}).slice(0, 4)).toEqual(['row', 'text', 'result_type', 'result_text']);
    }
  });
});

describe('joinResults: mistakes', () => {
  it('refuses a missing map with a hint, and leaves no output file', async () => {
    const out = next('csv');
    const error = await joinResults({
      results: `${FIX}/reviews.results.jsonl`,
      map: join(dir, 'nope.map.jsonl'),
      input: `${FIX}/reviews.csv`,
      format: 'csv',
      sink: await fileSink(out),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(/cannot read the map .*nope\.map\.jsonl: no such file/);
    expect((error as UsageError).hint).toContain('requests.jsonl.map');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('says so when no result belongs to the map (the wrong map)', async () => {
    const map = writeText(dir, 'other.map.jsonl', toJsonl([{ custom_id: 'zzz-1', row: 1 }]));
    const out = next('csv');
    const error = await joinResults({
      results: `${FIX}/reviews.results.jsonl`,
      map,
      input: `${FIX}/reviews.csv`,
      format: 'csv',
      sink: await fileSink(out),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('none of the 4 results has a custom_id in');
    expect(existsSync(out)).toBe(false);
  });

  it('names the line of a broken map or results file', async () => {
    const map = writeText(
      dir,
      'broken.map.jsonl',
      '{"custom_id":"a-1","row":1}\n{"custom_id":"a-2","row":0}\n',
    );
    const error = await joinResults({
      results: `${FIX}/reviews.results.jsonl`,
      map,
      input: `${FIX}/reviews.csv`,
      format: 'csv',
      sink: await fileSink(next('csv')),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      `${map}:2: row: missing or not a whole number from 1 to 100,000,000`,
    );

    const badResults = writeText(
      dir,
      'bad.results.jsonl',
      `${JSON.stringify(expired('csv-row-1'))}\n{oops\n`,
    );
    const error2 = await joinResults({
      results: badResults,
      map: await buildReviews(),
      input: `${FIX}/reviews.csv`,
      format: 'csv',
      sink: await fileSink(next('csv')),
    }).catch((e: unknown) => e);
    expect((error2 as Error).message).toBe(`${badResults}:2: json: not a JSON line`);
  });

  it('a map without a header (an older build): a misaligned read is refused by its line numbers, nothing written', async () => {
    const input = writeText(dir, 'paras.txt', 'one\nstill one\n\ntwo\n\nthree\n');
    // What an older build wrote for --split-by paragraph: no header, rows at lines 1, 4 and 6.
    const map = writeText(
      dir,
      'paras.map.jsonl',
      toJsonl([
        { custom_id: 'text-para-1', row: 1, line: 1 },
        { custom_id: 'text-para-2', row: 2, line: 4 },
        { custom_id: 'text-para-3', row: 3, line: 6 },
      ]),
    );
    const results = writeText(
      dir,
      'paras.results.jsonl',
      toJsonl([succeeded('text-para-1', 'A'), succeeded('text-para-2', 'B'), succeeded('text-para-3', 'C')]),
    );
    const out = next('jsonl');
    const error = await joinResults({
      results,
      map,
      input,
      format: 'jsonl',
      sink: await fileSink(out),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(
      `${input} does not match the map: its row 2 starts on line 2, the map's on line 4; nothing was written`,
    );
    expect(existsSync(out)).toBe(false);
    // Read as build read it, the same map joins.
    await joinResults({
      results,
      map,
      input,
      format: 'jsonl',
      splitBy: 'paragraph',
      sink: await fileSink(out),
    });
    expect(readJsonl(out).map((r) => [r.text, r.result_text])).toEqual([
      ['one\nstill one', 'A'],
      ['two', 'B'],
      ['three', 'C'],
    ]);
  });

  it("a header naming the id column: each row's id must be the map's (csv and json)", async () => {
    const input = writeText(dir, 'orders.csv', 'order,prompt\n17,alpha\n18,beta\n');
    const header = {
      claude_batch_map: 1,
      source: 'csv',
      delimiter: ',',
      id_column: 'order',
      input: { name: 'orders.csv' },
    };
    const rows = [
      { custom_id: 'o-17', row: 1, line: 2, id: '17' },
      { custom_id: 'o-18', row: 2, line: 3, id: '18' },
    ];
    const results = writeText(
      dir,
      'orders.results.jsonl',
      toJsonl([succeeded('o-17', 'A'), succeeded('o-18', 'B')]),
    );
    const good = writeText(dir, 'orders.map', toJsonl([header, ...rows]));
    const out = next('jsonl');
    await joinResults({ results, map: good, input, format: 'jsonl', sink: await fileSink(out) });
    expect(readJsonl(out).map((r) => [r.order, r.result_text])).toEqual([
      ['17', 'A'],
      ['18', 'B'],
    ]);
    // The map says row 2 is order 19: refused, nothing written.
    const bad = writeText(dir, 'orders-bad.map', toJsonl([header, rows[0], { ...rows[1], id: '19' }]));
    const refused = next('jsonl');
    const error = await joinResults({
      results,
      map: bad,
      input,
      format: 'jsonl',
      sink: await fileSink(refused),
    }).catch((e: unknown) => e);
    expect((error as UsageError).message).toBe(
      `${input} does not match the map: its row 2 has the id "18", not the map's; nothing was written`,
    );
    expect(existsSync(refused)).toBe(false);

    const items = writeText(dir, 'items.jsonl', '{"meta":{"id":5},"q":"x"}\n{"meta":{"id":6},"q":"y"}\n');
    const jsonHeader = {
      claude_batch_map: 1,
      source: 'json',
      jsonl: true,
      id_field: 'meta.id',
      input: { name: 'items.jsonl' },
    };
    const jsonMap = writeText(
      dir,
      'items.map',
      toJsonl([
        jsonHeader,
        { custom_id: 'i-5', row: 1, line: 1, id: 5 },
        { custom_id: 'i-6', row: 2, line: 2, id: 7 },
      ]),
    );
    const jsonResults = writeText(dir, 'items.results.jsonl', toJsonl([succeeded('i-5', 'A')]));
    const jsonError = await joinResults({
      results: jsonResults,
      map: jsonMap,
      input: items,
      format: 'jsonl',
      sink: await fileSink(next('jsonl')),
    }).catch((e: unknown) => e);
    expect((jsonError as UsageError).message).toBe(
      `${items} does not match the map: its row 2 has the id 6, not the map's; nothing was written`,
    );
  });

  it('reports results for rows past the end of the input, and keeps the last of repeated results', async () => {
    const input = writeText(dir, 'short.txt', 'only line\n');
    const map = writeText(
      dir,
      'short.map.jsonl',
      toJsonl([
        { custom_id: 'text-line-1', row: 1 },
        { custom_id: 'text-line-2', row: 2 },
      ]),
    );
    const results = writeText(
      dir,
      'short.results.jsonl',
      toJsonl([
        succeeded('text-line-1', 'old'),
        succeeded('text-line-2', 'x'),
        succeeded('text-line-1', 'new'),
      ]),
    );
    const out = next('csv');
    const summary = await joinResults({ results, map, input, format: 'csv', sink: await fileSink(out) });
    expect(readCsv(out).map((r) => r.slice(0, 4))).toEqual([
      ['row', 'text', 'result_type', 'result_text'],
      ['1', 'only line', 'succeeded', 'new'],
    ]);
    expect(summary).toMatchObject({ rows: 1, joined: 1, resultsBeyondInput: 1, repeatedResults: 1 });
  });

  it('checks the source, format and split options before reading anything', async () => {
    const base = {
      results: `${FIX}/reviews.results.jsonl`,
      map: `${FIX}/reviews.results.jsonl`,
      input: `${FIX}/reviews.csv`,
    };
    const fail = async (extra: Record<string, unknown>) =>
      (
        (await joinResults({
          ...base,
          format: 'csv',
          sink: await fileSink(next('csv')),
          ...extra,
        } as Parameters<typeof joinResults>[0]).catch((e: unknown) => e)) as Error
      ).message;
    expect(await fail({ source: 'xml' })).toBe('--join-source xml: use csv, json, jsonl or text');
    expect(await fail({ format: 'compact' })).toBe('--format compact: use csv or jsonl with --join');
    expect(await fail({ splitBy: 'word' })).toBe('--split-by word: use line or paragraph');
    expect(await fail({ delimiter: ';;' })).toContain('--delimiter ";;": use one character');
    expect(await fail({ input: join(dir, 'missing.csv') })).toMatch(
      /cannot read the input .*missing\.csv: no such file/,
    );
  });
});
