import Anthropic from '@anthropic-ai/sdk';
import type { Usage } from '@anthropic-ai/sdk/resources/messages/messages';
import { describe, expect, it } from 'vitest';
import { minCacheableTokens } from '../../src/emulator/answers.js';
import { useEmulator } from '../helpers/emulator.js';

// Prompt caching as the API accounts it, within one batch, through the official SDK.
const ctx = useEmulator({ processingTimeMs: 150, stoppedClock: true });

const cached = (text: string, ttl?: '1h') => ({
  type: 'text',
  text,
  cache_control: ttl ? { type: 'ephemeral', ttl } : { type: 'ephemeral' },
});

function req(id: string, model: string, system: unknown[], question: string) {
  return {
    custom_id: id,
    params: { model, max_tokens: 16, system, messages: [{ role: 'user', content: question }] },
  };
}

async function usages(requests: unknown[]): Promise<Map<string, Usage>> {
  const client = new Anthropic({ apiKey: 'k', baseURL: ctx.emulator.url, maxRetries: 0 });
  const batch = await client.messages.batches.create({ requests: requests as never });
  ctx.endBatches();
  const out = new Map<string, Usage>();
  for await (const line of await client.messages.batches.results(batch.id)) {
    if (line.result.type !== 'succeeded') throw new Error(JSON.stringify(line.result));
    out.set(line.custom_id, line.result.message.usage);
  }
  return out;
}

const SONNET = 'claude-sonnet-4-5';
const big = 's'.repeat(4800); // 1,200 tokens: above Sonnet 4.5's 1,024, below Haiku 4.5's 4,096
const question = 'q'.repeat(400); // 100 tokens

describe('emulator: prompt caching', () => {
  it('has a minimum cacheable length by model', () => {
    expect(minCacheableTokens('claude-sonnet-4-5')).toBe(1024);
    expect(minCacheableTokens('claude-opus-4-1')).toBe(1024);
    expect(minCacheableTokens('claude-sonnet-4-6')).toBe(2048);
    expect(minCacheableTokens('claude-3-5-haiku-latest')).toBe(2048);
    expect(minCacheableTokens('claude-haiku-4-5')).toBe(4096);
    expect(minCacheableTokens('claude-opus-4-6')).toBe(4096);
  });

  it('the first request writes the prefix, later ones of the batch read it; input excludes it', async () => {
    const u = await usages([
      req('a', SONNET, [cached(big)], question),
      req('b', SONNET, [cached(big)], question),
      req('c', SONNET, [cached(`${big}!`)], question), // another prefix: written again
    ]);
    // 4,800 + 1 (newline) + 400 characters: 1,301 tokens, 1,200 of them the cached prefix.
    expect(u.get('a')).toMatchObject({
      input_tokens: 101,
      cache_creation_input_tokens: 1200,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 1200, ephemeral_1h_input_tokens: 0 },
    });
    expect(u.get('b')).toMatchObject({
      input_tokens: 101,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 1200,
      cache_creation: null,
    });
    expect(u.get('c')).toMatchObject({ cache_creation_input_tokens: 1201, cache_read_input_tokens: 0 });
  });

  it('a prefix under the model’s minimum caches nothing', async () => {
    const u = await usages([
      req('haiku', 'claude-haiku-4-5', [cached(big)], question),
      req('haiku-2', 'claude-haiku-4-5', [cached(big)], question),
    ]);
    for (const id of ['haiku', 'haiku-2']) {
      expect(u.get(id)).toMatchObject({
        input_tokens: 1301,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        cache_creation: null,
      });
    }
  });

  it('splits writes by ttl, and reads the longest prefix already written', async () => {
    const second = 't'.repeat(4000); // 1,000 more tokens
    const u = await usages([
      req('hour', SONNET, [cached(big, '1h')], question),
      req('both', SONNET, [cached(big, '1h'), cached(second)], question),
    ]);
    expect(u.get('hour')).toMatchObject({
      cache_creation_input_tokens: 1200,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 1200 },
    });
    // The 1h prefix is read; the 1,000 tokens after it are written for 5 minutes.
    expect(u.get('both')).toMatchObject({
      input_tokens: 101,
      cache_read_input_tokens: 1200,
      cache_creation_input_tokens: 1000,
      cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 0 },
    });
  });

  it('does not read a prefix written by another batch', async () => {
    const first = await usages([req('x', SONNET, [cached(big)], question)]);
    const again = await usages([req('x', SONNET, [cached(big)], question)]);
    expect(first.get('x')?.cache_creation_input_tokens).toBe(1200);
    expect(again.get('x')?.cache_creation_input_tokens).toBe(1200);
  });
});
