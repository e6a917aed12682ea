import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { request } from '../helpers/files.js';

// --queue-limit: the account's cap on requests waiting in the processing queue, through the SDK.
const ctx = useEmulator({ processingTimeMs: 5000, stoppedClock: true, queueLimit: 4 });
const sdk = () => new Anthropic({ apiKey: 'k', baseURL: ctx.emulator.url, maxRetries: 0 });
const batchOf = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => request(`${tag}${i}`)) as never;

describe('the emulator with a queue limit', () => {
  it('refuses a create over the cap with a 429 rate_limit_error and a retry-after, until batches end', async () => {
    const client = sdk();
    await client.messages.batches.create({ requests: batchOf(3, 'a') });
    const refused = await client.messages.batches
      .create({ requests: batchOf(2, 'b') })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    const error = refused as InstanceType<typeof Anthropic.RateLimitError>;
    expect(error.status).toBe(429);
    expect((error.error as { error: { type: string; message: string } }).error).toMatchObject({
      type: 'rate_limit_error',
      message: expect.stringContaining('limit of 4 batch requests in the processing queue (3 queued)'),
    });
    expect(error.headers?.get('retry-after')).toBe('5');
    const before = (await client.messages.batches.list({ limit: 100 })).data.length;
    expect(before).toBe(1);
    await client.messages.batches.create({ requests: batchOf(1, 'c') });
    ctx.endBatches();
    await client.messages.batches.create({ requests: batchOf(4, 'd') });
  });
});
