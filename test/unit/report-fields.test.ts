import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_PRICES } from '../../src/core/cost/prices.js';
import { openAtomicFile } from '../../src/core/fs/atomic-file.js';
import type { ReportData } from '../../src/core/report/data.js';
import { MAX_DISTINCT, OutputsBuilder, TOP_VALUES } from '../../src/core/report/fields.js';
import { writeReport } from '../../src/core/report/report.js';
import { fileInput } from '../../src/core/report/sources.js';
import { resultFacts } from '../../src/core/results/line.js';
import { OutputSpecs } from '../../src/core/results/output.js';
import { tempDir, writeText } from '../helpers/files.js';
import { errored, HOSTILE, reportBlock, succeeded } from '../helpers/report.js';

const dir = tempDir();
const USAGE = { input_tokens: 10, output_tokens: 5 };
const SCHEMA = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
    score: { type: 'number', minimum: 0, maximum: 1 },
    topics: { type: 'array', items: { type: 'string' } },
    note: { type: 'string' },
  },
  required: ['sentiment', 'score'],
  additionalProperties: false,
};
const LINES = [
  succeeded('a1', '{"sentiment":"positive","score":0.9,"topics":["price"]}', USAGE),
  succeeded(
    'a2',
    JSON.stringify({ sentiment: 'positive', score: 0.75, topics: ['price'], note: HOSTILE }),
    USAGE,
  ),
  succeeded('a3', '{"sentiment":"negative","score":0.1}', USAGE),
  succeeded('a4', '{"sentiment":"neutral","score":0.5}', USAGE),
  succeeded('b1', '{"sentiment":"angry","score":2}', USAGE),
  succeeded('b2', 'Sure! Here is the JSON you asked for.', USAGE),
  succeeded('b3', '{"sentiment":"posi', USAGE, 'max_tokens'),
  errored('e1', 'overloaded_error', 'Overloaded'),
];

function toolResult(id: string, name: string, input: unknown): string {
  return JSON.stringify({
    custom_id: id,
    result: {
      type: 'succeeded',
      message: {
        id: `msg_${id}`,
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5',
        content: [{ type: 'tool_use', id: `tu_${id}`, name, input }],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: USAGE,
      },
    },
  });
}

async function report(name: string, lines: string[], outputs?: OutputSpecs) {
  const results = writeText(dir, `${name}.jsonl`, `${lines.join('\n')}\n`);
  const out = join(dir, `${name}.html`);
  const outcome = await writeReport({
    ...fileInput(results),
    prices: BUILT_IN_PRICES,
    sink: await openAtomicFile(out),
    outputs,
    now: () => Date.parse('2026-12-01T12:00:00Z'),
  });
  const html = readFileSync(out, 'utf8');
  return {
    outcome,
    html,
    data: reportBlock(html, 'report-data') as ReportData,
    rows: reportBlock(html, 'report-rows') as unknown[][],
  };
}

describe('the structured answers of a report', () => {
  it('sums up each output field of the valid answers, in schema order, and lists the invalid ones', async () => {
    const { data, outcome } = await report('fields', LINES, OutputSpecs.fromSchema(SCHEMA));
    const outputs = data.outputs;
    expect(data).toEqual(JSON.parse(JSON.stringify(outcome.data)));
    expect(outcome.summary.outputs).toEqual({ checked: 7, invalid: 3 });
    expect(outputs).toMatchObject({ checked: 7, valid: 4, invalid: 3, tools: null });
    expect(outputs?.limits).toEqual({ distinct: MAX_DISTINCT, top: TOP_VALUES, value_chars: 200 });
    expect(outputs?.invalid_examples.map((x) => x.custom_id)).toEqual(['b1', 'b2', 'b3']);
    const [b1, b2, b3] = outputs?.invalid_examples.map((x) => x.reason) ?? [];
    expect(b1).toMatch(
      /^does not match the schema: sentiment: must be equal to one of the allowed values; score: must be <= 1/,
    );
    expect(b2).toMatch(/^not JSON \(/);
    expect(b3).toBe('the answer was cut at max_tokens (stop_reason max_tokens): not complete JSON');
    expect(outputs?.fields.map((f) => f.name)).toEqual(['sentiment', 'score', 'topics', 'note']);
    const [sentiment, score, topics, note] = outputs?.fields ?? [];
    expect(sentiment).toEqual({
      name: 'sentiment',
      present: 4,
      missing: 0,
      values: [
        { value: 'positive', count: 2 },
        { value: 'negative', count: 1 },
        { value: 'neutral', count: 1 },
      ],
      other: 0,
      distinct: 3,
      capped: false,
      numbers: null,
    });
    expect(topics).toMatchObject({ present: 2, missing: 2, values: [{ value: '["price"]', count: 2 }] });
    expect(note).toMatchObject({ present: 1, missing: 3, values: [{ value: HOSTILE, count: 1 }] });
    // Numbers: a histogram with fine bins (the values are not whole), no value counts.
    expect(score).toMatchObject({ present: 4, missing: 0, values: [], other: 0, distinct: 0 });
    const h = score?.numbers;
    expect({ ...h, bins: undefined }).toEqual({
      count: 4,
      min: 0.1,
      max: 0.9,
      mean: 0.5625,
      p50: 0.5,
      p90: 0.9,
      bins: undefined,
    });
    expect(h?.bins).toHaveLength(17);
    expect(h?.bins[0]).toEqual({ from: 0.1, to: 0.15, count: 1 });
    expect(h?.bins[8]).toEqual({ from: 0.5, to: 0.55, count: 1 });
    expect(h?.bins[13]).toEqual({ from: 0.75, to: 0.8, count: 1 });
    expect(h?.bins[16]).toEqual({ from: 0.9, to: 0.95, count: 1 });
    expect(h?.bins.reduce((n, b) => n + b.count, 0)).toBe(4);
  });

  it('gives each row its output_error (null for a valid answer or a result that asked for none)', async () => {
    const { rows } = await report('rows', LINES, OutputSpecs.fromSchema(SCHEMA));
    expect(rows.map((r) => [r[0], r[8], r[9] === null ? null : String(r[9]).slice(0, 10)])).toEqual([
      ['a1', null, null],
      ['a2', null, null],
      ['a3', null, null],
      ['a4', null, null],
      ['b1', null, 'does not m'],
      ['b2', null, 'not JSON ('],
      ['b3', null, 'the answer'],
      ['e1', null, null],
    ]);
  });

  it('without what was asked, no summary and rows as before', async () => {
    const { data, rows } = await report('plain', LINES);
    expect(data.outputs).toBeNull();
    expect(rows[0]).toHaveLength(8);
  });

  it('forced tools: counts by tool name, the input fields summed up the same way', async () => {
    const tool = (name: string, properties: Record<string, unknown>) => ({
      name,
      description: name,
      input_schema: { type: 'object', properties, required: Object.keys(properties) },
    });
    const params = {
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'x' }],
      tools: [tool('label', { label: { type: 'string' } }), tool('rate', { stars: { type: 'integer' } })],
      tool_choice: { type: 'any' },
    };
    const requests = writeText(
      dir,
      'tools.requests.jsonl',
      `${['t1', 't2', 't3', 't4'].map((id) => JSON.stringify({ custom_id: id, params })).join('\n')}\n`,
    );
    const specs = await OutputSpecs.fromRequests(requests);
    const { data } = await report(
      'tools',
      [
        toolResult('t1', 'label', { label: 'spam' }),
        toolResult('t2', 'label', { label: 'spam' }),
        toolResult('t3', 'rate', { stars: 4 }),
        toolResult('t4', 'rate', { stars: 'four' }),
      ],
      specs,
    );
    expect(data.outputs).toMatchObject({
      checked: 4,
      valid: 3,
      invalid: 1,
      tools: [
        { name: 'label', count: 2 },
        { name: 'rate', count: 2 },
      ],
      invalid_examples: [{ custom_id: 't4', reason: 'does not match the schema: stars: must be integer' }],
    });
    const [label, stars] = data.outputs?.fields ?? [];
    expect(label).toMatchObject({
      name: 'label',
      present: 2,
      missing: 1,
      values: [{ value: 'spam', count: 2 }],
    });
    expect(stars).toMatchObject({ name: 'stars', present: 1, missing: 2, values: [] });
    expect(stars?.numbers?.bins).toEqual([{ from: 4, to: 5, count: 1 }]);
  });

  it(`keeps at most ${MAX_DISTINCT} distinct values a field, lists the top ${TOP_VALUES}, and counts the rest as other`, () => {
    const builder = new OutputsBuilder({ tool: false, fields: ['word', 'flag'] });
    const specs = OutputSpecs.fromSchema({ type: 'object' });
    const add = (id: string, value: unknown) => {
      const facts = resultFacts(JSON.parse(succeeded(id, JSON.stringify(value), USAGE)));
      builder.add(facts, specs.check(facts));
    };
    for (let i = 0; i < 3; i += 1) add(`common${i}`, { word: 'common', flag: true });
    for (let i = 0; i < MAX_DISTINCT + 5; i += 1)
      add(`w${i}`, { word: `word${String(i).padStart(4, '0')}`, flag: false });
    const [word, flag] = builder.build().fields;
    expect(word?.values).toHaveLength(TOP_VALUES);
    expect(word?.values[0]).toEqual({ value: 'common', count: 3 });
    expect(word?.values[1]).toEqual({ value: 'word0000', count: 1 });
    expect(word).toMatchObject({ present: MAX_DISTINCT + 8, distinct: MAX_DISTINCT, capped: true });
    expect((word?.other ?? 0) + TOP_VALUES + 2).toBe(MAX_DISTINCT + 8);
    expect(flag?.values).toEqual([
      { value: 'false', count: MAX_DISTINCT + 5 },
      { value: 'true', count: 3 },
    ]);
  });
});
