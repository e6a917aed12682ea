import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { request } from '../helpers/files.js';

// The official SDK against the emulator: if the emulator drifts from the API's shapes, these fail.
// Its clock stands still: a batch runs until a test ends it (ctx.endBatches()).
const ctx = useEmulator({ processingTimeMs: 150, maxBodyBytes: 200_000, stoppedClock: true });
const sdk = (options: { maxRetries?: number; apiKey?: string } = {}) =>
  new Anthropic({
    apiKey: options.apiKey ?? 'k',
    baseURL: ctx.emulator.url,
    maxRetries: options.maxRetries ?? 0,
  });

describe('emulator, through the official SDK', () => {
  it('creates a batch that counts everything as processing until it ends in one step', async () => {
    const client = sdk();
    const batch = await client.messages.batches.create({
      requests: [
        request('a'),
        request('b', 'EMULATE_ERROR=overloaded_error'),
        request('c', 'EMULATE_EXPIRE'),
      ] as never,
    });
    expect(batch.id).toMatch(/^msgbatch_01[0-9A-Za-z]{22}$/);
    expect(batch).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      ended_at: null,
      results_url: null,
      archived_at: null,
      cancel_initiated_at: null,
    });
    expect(Object.keys(batch).sort()).toEqual([
      'archived_at',
      'cancel_initiated_at',
      'created_at',
      'ended_at',
      'expires_at',
      'id',
      'processing_status',
      'request_counts',
      'results_url',
      'type',
    ]);
    expect(batch.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Date.parse(batch.expires_at) - Date.parse(batch.created_at)).toBe(24 * 3600 * 1000);

    ctx.endBatches();
    const ended = await client.messages.batches.retrieve(batch.id);
    expect(ended.processing_status).toBe('ended');
    expect(ended.request_counts).toEqual({
      processing: 0,
      succeeded: 1,
      errored: 1,
      canceled: 0,
      expired: 1,
    });
    expect(ended.results_url).toBe(`${ctx.emulator.url}/v1/messages/batches/${batch.id}/results`);

    const results: Record<string, unknown> = {};
    for await (const line of await client.messages.batches.results(batch.id))
      results[line.custom_id] = line.result;
    expect(Object.keys(results).sort()).toEqual(['a', 'b', 'c']);
    expect(results.a).toMatchObject({
      type: 'succeeded',
      message: {
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5',
        stop_reason: 'end_turn',
        content: [{ type: 'text', text: expect.stringContaining('Say hello to a') }],
        usage: { service_tier: 'batch', input_tokens: 4, cache_read_input_tokens: 0 },
      },
    });
    expect(results.b).toEqual({
      type: 'errored',
      error: {
        type: 'error',
        error: { type: 'overloaded_error', message: expect.any(String) },
        request_id: null,
      },
    });
    expect(results.c).toEqual({ type: 'expired' });
  });

  it('gives the same answer to the same prompt and keeps output within max_tokens', async () => {
    const client = sdk();
    const one = await client.messages.batches.create({
      requests: [
        request('a', 'same prompt'),
        { ...request('b', 'same prompt'), params: { ...request('b', 'same prompt').params, max_tokens: 2 } },
      ] as never,
    });
    ctx.endBatches();
    const lines = [];
    for await (const line of await client.messages.batches.results(one.id)) lines.push(line);
    const byId = Object.fromEntries(lines.map((l) => [l.custom_id, l.result]));
    const a = byId.a as Extract<(typeof lines)[number]['result'], { type: 'succeeded' }>;
    const b = byId.b as typeof a;
    expect(b.message.usage.output_tokens).toBeLessThanOrEqual(2);
    expect(b.message.stop_reason).toBe('max_tokens');
    expect(a.message.content).toEqual([
      {
        type: 'text',
        text: expect.stringMatching(/^Emulated answer [0-9a-f]{8} to: "same prompt"$/),
        citations: null,
      },
    ]);
  });

  it('lists newest first across several pages, both ways', async () => {
    const client = sdk();
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1)
      ids.push((await client.messages.batches.create({ requests: [request(`p${i}`)] as never })).id);
    const newest = [...ids].reverse();

    const page = await client.messages.batches.list({ limit: 3 });
    expect(page.data.map((b) => b.id)).toEqual(newest.slice(0, 3));
    expect(page.has_more).toBe(true);
    expect(page.first_id).toBe(newest[0]);
    expect(page.last_id).toBe(newest[2]);

    const walked: string[] = [];
    for await (const b of client.messages.batches.list({ limit: 2 })) walked.push(b.id);
    expect(walked.slice(0, 7)).toEqual(newest);

    const before = await client.messages.batches.list({ limit: 2, before_id: newest[4] as string });
    expect(before.data.map((b) => b.id)).toEqual(newest.slice(2, 4));
    expect(before.has_more).toBe(true);
  });

  it('cancels: canceling, then ended with the unfinished requests canceled', async () => {
    const client = sdk();
    const reqs = Array.from({ length: 10 }, (_, i) => request(`c${i}`));
    const batch = await client.messages.batches.create({ requests: reqs as never });
    const canceling = await client.messages.batches.cancel(batch.id);
    expect(canceling.processing_status).toBe('canceling');
    expect(canceling.cancel_initiated_at).not.toBeNull();
    ctx.endBatches();
    const ended = await client.messages.batches.retrieve(batch.id);
    expect(ended.processing_status).toBe('ended');
    expect(ended.request_counts.canceled).toBeGreaterThan(0);
    expect(ended.request_counts.canceled + ended.request_counts.succeeded).toBe(10);
    const types = [];
    for await (const line of await client.messages.batches.results(batch.id)) types.push(line.result.type);
    expect(types.filter((t) => t === 'canceled')).toHaveLength(ended.request_counts.canceled);
  });

  it('deletes only once a batch has ended', async () => {
    const client = sdk();
    const batch = await client.messages.batches.create({ requests: [request('d')] as never });
    await expect(client.messages.batches.delete(batch.id)).rejects.toMatchObject({
      status: 400,
      error: {
        type: 'error',
        error: { type: 'invalid_request_error', message: expect.stringMatching(/still processing/) },
      },
    });
    ctx.endBatches();
    expect(await client.messages.batches.delete(batch.id)).toEqual({
      id: batch.id,
      type: 'message_batch_deleted',
    });
    await expect(client.messages.batches.retrieve(batch.id)).rejects.toMatchObject({
      status: 404,
      error: { type: 'error', error: { type: 'not_found_error' } },
    });
  });

  it('answers create checks as the API does, with the path in the message', async () => {
    const client = sdk();
    const cases: Array<[unknown[], string]> = [
      [
        [request('ok'), request('a.b')],
        "requests.1.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
      ],
      [[request('x'.repeat(65))], 'requests.0.custom_id: String should have at most 64 characters'],
      [[request('d'), request('d')], "requests.1.custom_id: Duplicate custom_id 'd' in this batch"],
      [[{ ...request('e'), extra: 1 }], 'requests.0.extra: Extra inputs are not permitted'],
      [[{ custom_id: 'f' }], 'requests.0.params: Field required'],
      [[], 'requests: List should have at least 1 item after validation, not 0'],
    ];
    for (const [requests, message] of cases) {
      await expect(client.messages.batches.create({ requests: requests as never })).rejects.toMatchObject({
        status: 400,
        error: { type: 'error', error: { type: 'invalid_request_error', message } },
      });
    }
  });

  it('answers 413 request_too_large over the body limit', async () => {
    const big = Array.from({ length: 2000 }, (_, i) => request(`big${i}`, 'x'.repeat(100)));
    await expect(sdk().messages.batches.create({ requests: big as never })).rejects.toMatchObject({
      status: 413,
      error: { error: { type: 'request_too_large' } },
    });
  });

  it('counts tokens', async () => {
    const answer = await sdk().messages.countTokens({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'x'.repeat(40) }],
    });
    expect(answer).toEqual({ input_tokens: 10 });
  });
});

describe('emulator, over plain HTTP (as curl examples call it)', () => {
  it('takes x-api-key, answers ?beta=true, and sets content-type and request-id on every answer', async () => {
    const res = await fetch(`${ctx.emulator.url}/v1/messages/batches?beta=true&limit=1`, {
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('request-id')).toMatch(/^req_01/);
    const missing = await fetch(`${ctx.emulator.url}/v1/messages/batches/msgbatch_nope`, {
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('request-id')).toMatch(/^req_/);
    expect(await missing.json()).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: expect.any(String) },
      request_id: missing.headers.get('request-id'),
    });
  });

  it('refuses a request without a key: 401 authentication_error', async () => {
    const res = await fetch(`${ctx.emulator.url}/v1/messages/batches`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('serves results as application/x-jsonl, one line a request, no blank line', async () => {
    const batch = await sdk().messages.batches.create({
      requests: [request('r1'), request('r2'), request('r3')] as never,
    });
    ctx.endBatches();
    const res = await fetch(`${ctx.emulator.url}/v1/messages/batches/${batch.id}/results`, {
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    });
    expect(res.headers.get('content-type')).toBe('application/x-jsonl');
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => JSON.parse(l).custom_id).sort()).toEqual(['r1', 'r2', 'r3']);
  });
});

describe('emulator with --api-key', () => {
  const only = useEmulator({ apiKey: 'the-one-key' });
  it('accepts only that key', async () => {
    const client = new Anthropic({ apiKey: 'wrong', baseURL: only.emulator.url, maxRetries: 0 });
    await expect(client.messages.batches.list()).rejects.toMatchObject({ status: 401 });
    const right = new Anthropic({ apiKey: 'the-one-key', baseURL: only.emulator.url, maxRetries: 0 });
    await expect(right.messages.batches.list()).resolves.toBeDefined();
  });
});
