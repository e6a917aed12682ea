import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/core/api/client.js';
import { closest, editDistance } from '../../src/core/closest.js';
import { closestModel, isKnownModel, KNOWN_MODELS, modelWarnings } from '../../src/core/cost/models.js';
import { BUILT_IN_PRICES } from '../../src/core/cost/prices.js';
import { API_VERSION } from '../../src/core/requests/api-version.js';

const SDK_MESSAGES = 'node_modules/@anthropic-ai/sdk/src/resources/messages/messages.ts';

/** The literal names of the SDK's `Model` type, read from its source. */
function sdkModelNames(): string[] {
  const source = readFileSync(SDK_MESSAGES, 'utf8');
  const block = /export type Model =([\s\S]*?);/.exec(source)?.[1] ?? '';
  return [...block.matchAll(/\|\s*'([^']+)'/g)].map((m) => m[1] as string);
}

describe('known models', () => {
  it("lists every name of the SDK's Model type and of the built-in price table", () => {
    const names = sdkModelNames();
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((name) => !KNOWN_MODELS.includes(name))).toEqual([]);
    expect(Object.keys(BUILT_IN_PRICES.models).filter((name) => !KNOWN_MODELS.includes(name))).toEqual([]);
  });

  it('knows dated snapshots and models from a user price file', () => {
    expect(isKnownModel('claude-haiku-4-5-20260101')).toBe(true);
    expect(isKnownModel('my-finetune')).toBe(false);
    expect(
      isKnownModel('my-finetune', { ...BUILT_IN_PRICES, models: { 'my-finetune': { input: 1, output: 1 } } }),
    ).toBe(true);
  });

  it('suggests the closest known name for a misspelt one', () => {
    expect(editDistance('hiaku', 'haiku')).toBe(1);
    expect(closest('questoin', ['id', 'question', 'answer'])).toBe('question');
    expect(closestModel('claude-hiaku-4-5')).toBe('claude-haiku-4-5');
    expect(closestModel('gpt-4o')).toBe('claude-haiku-4-5');
    expect(closestModel('Claude-Sonnet-4-6')).toBe('claude-sonnet-4-6');
    expect(closestModel('claude-3-5-sonnet')).toMatch(/^claude-sonnet-/);
  });

  it('warns about an unknown name and about a known model without a price, not about a priced one', () => {
    expect(modelWarnings(['claude-haiku-4-5', 'claude-haiku-4-5-20251001'])).toEqual([]);
    expect(modelWarnings(['claude-hiaku-4-5'])).toEqual([
      'model "claude-hiaku-4-5" is not a known model name (did you mean claude-haiku-4-5?): the API refuses requests for a model it does not know',
    ]);
    expect(modelWarnings(['claude-mythos-5'])).toEqual([
      expect.stringMatching(/^no known price for claude-mythos-5: its cost cannot be estimated/),
    ]);
  });
});

describe('API_VERSION', () => {
  it('is the anthropic-version the SDK really sends', async () => {
    let seen: string | undefined;
    const server = createServer((req, res) => {
      seen = String(req.headers['anthropic-version']);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [], has_more: false, first_id: null, last_id: null }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = await createClient({
        env: { ANTHROPIC_API_KEY: 'test-key-not-secret' },
        baseUrl: `http://127.0.0.1:${port}`,
        maxRetries: 0,
      });
      await client.sdk.messages.batches.list({ limit: 1 });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(seen).toBe(API_VERSION);
  });
});
