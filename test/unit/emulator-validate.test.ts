import Anthropic from '@anthropic-ai/sdk';
import type { MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { request } from '../helpers/files.js';

// A client that does not validate (the SDK used directly, curl) can send what the API refuses:
// the emulator reports each such request errored, as the API does, checked with the CLI's schema.
const ctx = useEmulator({ processingTimeMs: 150, stoppedClock: true });

async function results(requests: unknown[]): Promise<Map<string, MessageBatchIndividualResponse['result']>> {
  const client = new Anthropic({ apiKey: 'k', baseURL: ctx.emulator.url, maxRetries: 0 });
  const batch = await client.messages.batches.create({ requests: requests as never });
  ctx.endBatches();
  const out = new Map<string, MessageBatchIndividualResponse['result']>();
  for await (const line of await client.messages.batches.results(batch.id))
    out.set(line.custom_id, line.result);
  return out;
}

describe('the emulator checks each request the way the API does', () => {
  it('unknown params keys and bad content blocks come back errored with invalid_request_error', async () => {
    const good = request('good', 'Hello');
    const bogus = request('bogus', 'Hello', { bogus_param: 1 });
    const block = {
      custom_id: 'block',
      params: {
        model: 'claude-haiku-4-5',
        max_tokens: 64,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'nonsense' }] }],
      },
    };
    const image = {
      custom_id: 'image',
      params: {
        model: 'claude-haiku-4-5',
        max_tokens: 64,
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'AAAA' } }],
          },
        ],
      },
    };
    const out = await results([good, bogus, block, image]);
    expect(out.get('good')?.type).toBe('succeeded');
    for (const [id, path] of [
      ['bogus', /^bogus_param: /],
      ['block', /^messages\.0\.content\.1/],
      ['image', /^messages\.0\.content\.0\.source\.media_type: /],
    ] as const) {
      const result = out.get(id);
      expect(result?.type, id).toBe('errored');
      if (result?.type !== 'errored') continue;
      expect(result.error.error.type).toBe('invalid_request_error');
      expect(result.error.error.message, id).toMatch(path);
    }
  });
});
