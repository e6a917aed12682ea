import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchCost, noTokens, standardCost, usd } from '../../src/core/cost.js';
import { estimateCost } from '../../src/core/estimate.js';
import { BUILT_IN_PRICES, loadPrices, priceOf } from '../../src/core/prices.js';
import { openSource, validateRequests } from '../../src/core/request-file.js';
import { runCli } from '../helpers/cli.js';
import { request, tempDir } from '../helpers/files.js';

const dir = tempDir();
const haiku = { input: 0.5, output: 2.5 };

describe('batchCost', () => {
  it('prices input, output and the cache at the right multipliers', () => {
    const million = 1_000_000;
    expect(batchCost({ ...noTokens(), input: million }, haiku)).toBeCloseTo(0.5);
    expect(batchCost({ ...noTokens(), output: million }, haiku)).toBeCloseTo(2.5);
    expect(batchCost({ ...noTokens(), cacheRead: million }, haiku)).toBeCloseTo(0.05);
    expect(batchCost({ ...noTokens(), cacheWrite5m: million }, haiku)).toBeCloseTo(0.625);
    expect(batchCost({ ...noTokens(), cacheWrite1h: million }, haiku)).toBeCloseTo(1.0);
    expect(standardCost({ ...noTokens(), input: million, output: million }, haiku)).toBeCloseTo(6.0);
  });

  it('formats money', () => {
    expect(usd(undefined)).toBe('unknown');
    expect(usd(0)).toBe('$0.00');
    expect(usd(0.0003)).toBe('$0.0003');
    expect(usd(0.0153)).toBe('$0.0153');
    expect(usd(0.0000075)).toBe('$0.0000075');
    expect(usd(1234.5)).toBe('$1,234.50');
  });
});

describe('prices', () => {
  it('knows a model by its id or its dated snapshot, and never guesses', () => {
    expect(priceOf(BUILT_IN_PRICES, 'claude-sonnet-4-6')).toEqual({ input: 1.5, output: 7.5 });
    expect(priceOf(BUILT_IN_PRICES, 'claude-haiku-4-5-20251001')).toEqual(haiku);
    expect(priceOf(BUILT_IN_PRICES, 'claude-sonnet-4')).toBeUndefined();
    expect(priceOf(BUILT_IN_PRICES, 'my-model')).toBeUndefined();
  });

  it('loads a user file over the built-in table, and refuses a bad one', async () => {
    const path = join(dir, 'prices.json');
    writeFileSync(
      path,
      JSON.stringify({ taken: '2027-01-01', models: { 'my-model': { input: 1, output: 2 } } }),
    );
    const table = await loadPrices(path);
    expect(table.taken).toBe('2027-01-01');
    expect(priceOf(table, 'my-model')).toEqual({ input: 1, output: 2 });
    expect(priceOf(table, 'claude-haiku-4-5')).toEqual(haiku);
    writeFileSync(path, JSON.stringify({ models: {} }));
    await expect(loadPrices(path)).rejects.toThrow(/prices\.json: taken: /);
  });
});

describe('estimateCost', () => {
  it('matches hand-computed figures, and shows an unknown model as unknown', async () => {
    const lines = [
      request('a', 'x'.repeat(400), { model: 'claude-sonnet-4-6', max_tokens: 1000 }),
      request('b', 'y'.repeat(400), { model: 'claude-sonnet-4-6', max_tokens: 1000 }),
      request('c', 'z'.repeat(40), { model: 'my-model', max_tokens: 10 }),
    ];
    const path = join(dir, 'est.jsonl');
    writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n'));
    const stats = await validateRequests(openSource(path), { file: path });
    const e = await estimateCost(stats, BUILT_IN_PRICES);
    // 800 characters ≈ 200 tokens at $1.50/M = $0.0003; ceiling adds 2,000 tokens at $7.50/M = $0.015.
    expect(e.models[0]).toMatchObject({
      model: 'claude-sonnet-4-6',
      requests: 2,
      inputTokens: 200,
      maxOutputTokens: 2000,
    });
    expect(e.models[0]?.costMin).toBeCloseTo(0.0003, 10);
    expect(e.models[0]?.costMax).toBeCloseTo(0.0153, 10);
    expect(e.models[1]).toMatchObject({ model: 'my-model', costMin: undefined, costMax: undefined });
    expect(e.unknownModels).toEqual(['my-model']);
    expect(e.costMax).toBeCloseTo(0.0153, 10);

    const r = await runCli(['estimate', path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /claude-sonnet-4-6 +2 +200 \(≈ chars\/4\) +2,000 +\$0\.0003 – \$0\.0153 +\$0\.0006 – \$0\.0306/,
    );
    expect(r.stdout).toMatch(/my-model +1 +10 \(≈ chars\/4\) +10 +unknown +unknown/);
    expect(r.stdout).toContain('No price for: my-model');

    const missing = await runCli(['estimate', join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: cannot read .*nope\.jsonl: no such file\n/);
  });
});
