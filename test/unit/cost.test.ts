import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchCost, noTokens, standardCost, usd } from '../../src/core/cost/cost.js';
import { estimateCost } from '../../src/core/cost/estimate.js';
import { BUILT_IN_PRICES, loadPrices, priceOf } from '../../src/core/cost/prices.js';
import { openSource, validateRequests } from '../../src/core/requests/file.js';
import { runCli } from '../helpers/cli.js';
import { testClock } from '../helpers/emulator.js';
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

describe('actual cost of results (emulator usage, hand-computed)', () => {
  it('prices input, output, cache writes and reads as the API bills them', async () => {
    const { startEmulator } = await import('../../src/emulator/server.js');
    const clock = testClock();
    // minCacheTokens 0: the 200-token prefix below is cached although it is under haiku's minimum.
    const emulator = await startEmulator({ processingTimeMs: 50, now: clock.now, minCacheTokens: 0 });
    try {
      const env = { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: emulator.url };
      // Two requests sharing an 800-character cached system prompt (200 tokens), each with a
      // 400-character question, max_tokens 1 (so exactly 1 output token each).
      const system = [{ type: 'text', text: 's'.repeat(800), cache_control: { type: 'ephemeral' } }];
      const lines = ['a', 'b'].map((id) =>
        JSON.stringify(request(id, 'q'.repeat(400), { model: 'claude-haiku-4-5', max_tokens: 1, system })),
      );
      const path = join(dir, 'cached.jsonl');
      writeFileSync(path, `${lines.join('\n')}\n`);
      const id = (await runCli(['submit', path], { env })).stdout.trim();
      clock.advance(50);
      const out = join(dir, 'cached-results.jsonl');
      const r = await runCli(['results', id, '-o', out, '--json'], { env });
      expect(r.code).toBe(0);
      // Usage: the emulator counts 801 + 400 characters ≈ 301 tokens a request, 200 of them cached:
      // request a writes the cache (200), request b reads it (200); 101 plain input tokens each.
      expect(JSON.parse(r.stdout).byModel).toEqual({
        'claude-haiku-4-5': { input: 202, output: 2, cacheRead: 200, cacheWrite5m: 200, cacheWrite1h: 0 },
      });
      // claude-haiku-4-5 batch: $0.50 in, $2.50 out per million tokens.
      //   input       202 × 0.50       = 0.000101
      //   cache write 200 × 0.50 × 1.25 = 0.000125
      //   cache read  200 × 0.50 × 0.1  = 0.000010
      //   output        2 × 2.50       = 0.000005
      //   total                          0.000241 (standard: 0.000482)
      const human = await runCli(['results', id, '-o', join(dir, 'cached-2.jsonl')], { env });
      expect(human.stderr).toContain(
        'Cost: $0.000241 at batch prices ($0.000482 at standard prices; saved $0.000241)',
      );
    } finally {
      await emulator.close();
    }
  });
});
