import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_PRICES } from '../../src/core/cost/prices.js';
import { openAtomicFile } from '../../src/core/fs/atomic-file.js';
import { ANSWER_LIMIT, binWidth, cut, histogram, type ReportData } from '../../src/core/report/data.js';
import { pageStart, scriptJson } from '../../src/core/report/html.js';
import { PAGE_SCRIPT } from '../../src/core/report/page-script.js';
import { writeReport } from '../../src/core/report/report.js';
import { fileInput } from '../../src/core/report/sources.js';
import { tempDir, writeText } from '../helpers/files.js';
import { ended, errored, HOSTILE, references, reportBlock, succeeded } from '../helpers/report.js';

const dir = tempDir();
const LONG = 'x'.repeat(600);
const LINES = [
  succeeded('s1', 'Hello', { input_tokens: 100, output_tokens: 10, cache_read_input_tokens: 1000 }),
  succeeded(
    's2',
    HOSTILE,
    { input_tokens: 200, output_tokens: 20, cache_creation_input_tokens: 400 },
    'max_tokens',
  ),
  succeeded('s3', LONG, { input_tokens: 150, output_tokens: 30 }),
  succeeded('s4', 'y', { input_tokens: 120, output_tokens: 64 }, 'max_tokens'),
  errored('e1', 'invalid_request_error', 'bad request'),
  errored('e2', 'invalid_request_error', 'bad request'),
  errored('e3', 'overloaded_error', 'Overloaded'),
  ended('c1', 'canceled'),
  ended('x1', 'expired'),
];

async function report(name: string, lines: string[], full = false) {
  const results = writeText(dir, `${name}.jsonl`, `${lines.join('\n')}\n`);
  const out = join(dir, `${name}.html`);
  const outcome = await writeReport({
    ...fileInput(results),
    prices: BUILT_IN_PRICES,
    sink: await openAtomicFile(out),
    full,
    now: () => Date.parse('2026-12-01T12:00:00Z'),
  });
  return { outcome, html: readFileSync(out, 'utf8') };
}

describe('the data embedded in a report', () => {
  it('is exactly what the results say: counts, cost, histograms, stop reasons, errors', async () => {
    const { outcome, html } = await report('known', LINES);
    const data = reportBlock(html, 'report-data') as ReportData;
    expect(data).toEqual(JSON.parse(JSON.stringify(outcome.data)));
    expect(data.counts).toEqual({ total: 9, succeeded: 4, errored: 3, canceled: 1, expired: 1, other: 0 });
    expect(data.models).toEqual(['claude-haiku-4-5']);
    // haiku-4-5 at batch prices: $0.50 input, $2.50 output per million; cache reads 0.1×, 5m writes 1.25×.
    const batch = (570 * 0.5 + 1000 * 0.05 + 400 * 0.625 + 124 * 2.5) / 1e6;
    expect(data.cost.batch).toBeCloseTo(batch, 12);
    expect(data.cost.standard).toBeCloseTo(2 * batch, 12);
    expect(data.cost.saving).toBeCloseTo(batch, 12);
    expect(data.cost.batch_text).toBe('$0.000895');
    expect(data.cost.tokens).toEqual({ input: 570, output: 124, cache_read: 1000, cache_write: 400 });
    expect(data.cost.by_model).toEqual([
      expect.objectContaining({
        model: 'claude-haiku-4-5',
        input: 570,
        output: 124,
        cache_read: 1000,
        cache_write_5m: 400,
        cache_write_1h: 0,
      }),
    ]);
    const input = data.histograms.input_tokens;
    expect({ ...input, bins: undefined }).toEqual({
      count: 4,
      min: 100,
      max: 200,
      mean: 142.5,
      p50: 120,
      p90: 200,
      bins: undefined,
    });
    expect(input.bins).toHaveLength(11);
    expect(input.bins.map((b) => b.from)).toEqual([100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200]);
    expect(input.bins.map((b) => b.count)).toEqual([1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1]);
    const output = data.histograms.output_tokens;
    expect(output.bins[0]).toEqual({ from: 10, to: 15, count: 1 });
    expect(output.bins.at(-1)).toEqual({ from: 60, to: 65, count: 1 });
    expect(output.bins.reduce((n, b) => n + b.count, 0)).toBe(4);
    expect([output.p50, output.p90, output.mean]).toEqual([20, 64, 31]);
    expect(data.stop_reasons).toEqual([
      { stop_reason: 'end_turn', count: 2 },
      { stop_reason: 'max_tokens', count: 2 },
    ]);
    expect(data.errors).toEqual([
      { type: 'invalid_request_error', message: 'bad request', count: 2, examples: ['e1', 'e2'] },
      { type: 'overloaded_error', message: 'Overloaded', count: 1, examples: ['e3'] },
    ]);
    expect(data.table).toEqual({ columns: [], rows: 9, answer_limit: ANSWER_LIMIT, truncated: 1 });
    expect(data.source).toMatchObject({
      kind: 'file',
      title: 'known.jsonl',
      batch_ids: [],
      duration_ms: null,
    });
    expect(data.generated_at).toBe('2026-12-01T12:00:00.000Z');
  });

  it('has one row per result, answers cut at the limit unless full', async () => {
    const { html } = await report('rows', LINES);
    const rows = reportBlock(html, 'report-rows') as unknown[][];
    expect(rows).toHaveLength(9);
    expect(rows[0]).toEqual(['s1', 'succeeded', 'end_turn', 100, 10, 'Hello', 5, null]);
    expect(rows[2]?.[5]).toBe('x'.repeat(ANSWER_LIMIT));
    expect(rows[2]?.[6]).toBe(600);
    expect(rows[4]).toEqual([
      'e1',
      'errored',
      null,
      null,
      null,
      null,
      null,
      'invalid_request_error: bad request',
    ]);
    expect(rows[7]?.slice(0, 2)).toEqual(['c1', 'canceled']);
    const full = reportBlock((await report('full', LINES, true)).html, 'report-rows') as unknown[][];
    expect(full[2]?.[5]).toBe(LONG);
  });

  it('keeps hostile strings as data: no markup, no script end, the same text once parsed', async () => {
    const { html } = await report('hostile', [
      ...LINES,
      errored('h1', '</script><script>alert(2)</script>', HOSTILE),
    ]);
    expect(html).not.toContain('</script><img');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toMatch(/[\u2028\u2029]/);
    expect(html.match(/<script\b/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    const rows = reportBlock(html, 'report-rows') as unknown[][];
    expect(rows[1]?.[5]).toBe(HOSTILE);
    const data = reportBlock(html, 'report-data') as ReportData;
    expect(data.errors.find((e) => e.message === HOSTILE)?.type).toBe('</script><script>alert(2)</script>');
    expect(references(html)).toEqual([]);
    expect(html).not.toMatch(/https?:/);
    expect(html).toContain("script-src 'sha256-");
  });

  it('an empty results file makes an empty report', async () => {
    const { outcome } = await report('empty', []);
    expect(outcome.data.counts.total).toBe(0);
    expect(outcome.data.histograms.input_tokens).toEqual({
      count: 0,
      min: null,
      max: null,
      mean: null,
      p50: null,
      p90: null,
      bins: [],
    });
  });

  it('refuses a line that is not a result, naming it; nothing is written', async () => {
    const results = writeText(dir, 'bad.jsonl', `${LINES[0]}\n{"custom_id":"a","type":"succeeded"}\n`);
    const out = join(dir, 'bad.html');
    await expect(
      writeReport({ ...fileInput(results), prices: BUILT_IN_PRICES, sink: await openAtomicFile(out) }),
    ).rejects.toThrow(/bad\.jsonl:2: result/);
    expect(() => readFileSync(out)).toThrow();
  });
});

describe('the pieces', () => {
  it('scriptJson escapes <, >, &, U+2028 and U+2029 and parses back the same', () => {
    const value = { a: HOSTILE, b: ['<!--', '-->', '&amp;'] };
    const text = scriptJson(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('the title (a file name, an id) is escaped in the static markup', () => {
    const page = pageStart('</title><script>alert(1)</script>&"');
    expect(page).toContain('&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;');
    expect(page).not.toContain('<script>alert');
  });

  it('bins are round widths that cover the values', () => {
    expect(binWidth(1)).toBe(1);
    expect(binWidth(101)).toBe(10);
    expect(binWidth(55)).toBe(5);
    expect(binWidth(3000)).toBe(200);
    expect(histogram([7]).bins).toEqual([{ from: 7, to: 8, count: 1 }]);
    const h = histogram(Array.from({ length: 1000 }, (_, i) => i * 7));
    expect(h.bins.length).toBeLessThanOrEqual(20);
    expect(h.bins.reduce((n, b) => n + b.count, 0)).toBe(1000);
  });

  it("the page's script builds with the DOM only: no markup from strings, no eval, no URLs", () => {
    expect(PAGE_SCRIPT).not.toMatch(
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/,
    );
    expect(PAGE_SCRIPT).not.toMatch(/https?:|['"](src|href)['"]/);
    expect(PAGE_SCRIPT).not.toContain('</script');
  });

  it('cut never splits a surrogate pair', () => {
    expect(cut('ab😀c', 3)).toBe('ab');
    expect(cut('abc', 5)).toBe('abc');
  });
});
