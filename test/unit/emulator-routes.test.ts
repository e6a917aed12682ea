import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/server.js';

// The emulator's routing, over HTTP: which endpoint answers, how a path with the wrong method or
// an unknown path is answered and counted, and the concerns every answer shares.
let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ processingTimeMs: 50, apiKey: 'right-key' });
});
afterAll(async () => {
  await emu.close();
});

const headers = {
  'x-api-key': 'right-key',
  'anthropic-version': '2023-06-01',
  'content-type': 'application/json',
};
const call = (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) =>
  fetch(`${emu.url}${path}`, {
    method,
    headers: { ...headers, ...extra },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
const errorOf = async (r: Response) =>
  ((await r.json()) as { error: { type: string; message: string } }).error;
const request = {
  custom_id: 'a',
  params: { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
};

describe('emulator routes', () => {
  it('answers each endpoint, and counts it under its pattern', async () => {
    const created = await call('POST', '/v1/messages/batches', { requests: [request] });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    expect((await call('GET', `/v1/messages/batches/${id}`)).status).toBe(200);
    expect((await call('GET', '/v1/messages/batches?limit=5')).status).toBe(200);
    const { max_tokens: _, ...countable } = request.params;
    const tokens = await call('POST', '/v1/messages/count_tokens', countable);
    expect(await tokens.json()).toEqual({ input_tokens: expect.any(Number) });
    // Ids are decoded from the path.
    const encoded = await call('GET', `/v1/messages/batches/${encodeURIComponent('msgbatch_ä')}`);
    expect((await errorOf(encoded)).message).toBe("No message batch found with id 'msgbatch_ä'.");
    expect((await call('POST', `/v1/messages/batches/${id}/cancel`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const results = await call('GET', `/v1/messages/batches/${id}/results`);
    expect(results.headers.get('content-type')).toBe('application/x-jsonl');
    expect((await results.text()).split('\n').filter(Boolean)).toHaveLength(1);
    expect(await (await call('DELETE', `/v1/messages/batches/${id}`)).json()).toEqual({
      id,
      type: 'message_batch_deleted',
    });
    expect(emu.counts).toMatchObject({
      'POST /v1/messages/batches': 1,
      'GET /v1/messages/batches/{id}': 2,
      'GET /v1/messages/batches': 1,
      'POST /v1/messages/count_tokens': 1,
      'POST /v1/messages/batches/{id}/cancel': 1,
      'GET /v1/messages/batches/{id}/results': 1,
      'DELETE /v1/messages/batches/{id}': 1,
    });
  });

  it('a known path with another method: 405 with the methods it takes in allow, whether or not the batch exists', async () => {
    const created = await call('POST', '/v1/messages/batches', { requests: [request] });
    const { id } = (await created.json()) as { id: string };
    const put = await call('PUT', `/v1/messages/batches/${id}`);
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, DELETE');
    expect(await errorOf(put)).toEqual({
      type: 'invalid_request_error',
      message: `Method PUT is not allowed for /v1/messages/batches/${id}`,
    });
    const missing = await call('GET', '/v1/messages/batches/msgbatch_none/cancel');
    expect(missing.status).toBe(405);
    expect(missing.headers.get('allow')).toBe('POST');
    const tokens = await call('GET', '/v1/messages/count_tokens');
    expect(tokens.status).toBe(405);
    expect(tokens.headers.get('allow')).toBe('POST');
    expect((await errorOf(tokens)).type).toBe('invalid_request_error');
    const patch = await call('PATCH', '/v1/messages/batches');
    expect(patch.status).toBe(405);
    expect(patch.headers.get('allow')).toBe('POST, GET');
    const models = await call('POST', '/v1/models', {});
    expect([models.status, models.headers.get('allow')]).toEqual([405, 'GET']);
    const results = await call('DELETE', `/v1/messages/batches/${id}/results`);
    expect([results.status, results.headers.get('allow')]).toEqual([405, 'GET']);
    expect(emu.counts['PUT /v1/messages/batches/{id}']).toBe(1);
    expect(emu.counts['GET /v1/messages/batches/{id}/cancel']).toBe(1);
    expect(emu.counts['PATCH /v1/messages/batches']).toBe(1);
  });

  it('an unknown path is a 404 named by itself', async () => {
    const r = await call('POST', '/v1/nothing/here', { a: 1 });
    expect(r.status).toBe(404);
    expect(await errorOf(r)).toEqual({
      type: 'not_found_error',
      message: 'Not found: POST /v1/nothing/here',
    });
    expect(emu.counts['POST /v1/nothing/here']).toBe(1);
  });

  it('refuses a missing or wrong key with 401 before anything else, on any path', async () => {
    const none = await fetch(`${emu.url}/v1/messages/batches`, { method: 'POST', body: '{}' });
    expect(none.status).toBe(401);
    expect(await errorOf(none)).toEqual({
      type: 'authentication_error',
      message: 'x-api-key header is required',
    });
    const wrong = await call('GET', '/v1/nothing', undefined, { 'x-api-key': 'other' });
    expect(wrong.status).toBe(401);
    expect((await errorOf(wrong)).message).toBe('invalid x-api-key');
    const bearer = await fetch(`${emu.url}/v1/messages/batches?limit=1`, {
      headers: { authorization: 'Bearer right-key', 'anthropic-version': '2023-06-01' },
    });
    expect(bearer.status).toBe(200);
  });

  it('every answer has a request id, also in the error body; bodies that are not JSON are 400s', async () => {
    const bad = await call('POST', '/v1/messages/batches', '{nope');
    expect(bad.status).toBe(400);
    const id = bad.headers.get('request-id');
    expect(id).toMatch(/^req_01\w{22}$/);
    const body = (await bad.json()) as { request_id: string; error: { message: string } };
    expect(body.request_id).toBe(id);
    expect(body.error.message).toMatch(/^body: Invalid JSON: /);
    const tokens = await call('POST', '/v1/messages/count_tokens', '{nope');
    expect(await errorOf(tokens)).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringMatching(/^body: Invalid JSON/),
    });
    const limit = await call('GET', '/v1/messages/batches?limit=0');
    expect((await errorOf(limit)).message).toBe('limit: Input should be between 1 and 1000');
  });

  it('logs each answer with when it was received, in order', async () => {
    const before = Date.now();
    await call('GET', '/v1/messages/batches?limit=1');
    const last = emu.log.at(-1);
    expect(last).toMatchObject({ method: 'GET', path: '/v1/messages/batches', status: 200 });
    expect(last?.at).toBeGreaterThanOrEqual(before);
    expect(last?.at).toBeLessThanOrEqual(Date.now());
    const times = emu.log.map((l) => l.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});

describe('emulator faults over HTTP: the retry headers', () => {
  it('sends retry-after-ms and retry-after by default, one of them with retry-after-only', async () => {
    const both = await startEmulator({ faults: '503=1,retry-after=1500ms' });
    const date = await startEmulator({ faults: '503=1,retry-after=1500ms,retry-after-only=date' });
    try {
      const a = await fetch(`${both.url}/v1/messages/batches`, { headers });
      expect(a.status).toBe(503);
      expect([a.headers.get('retry-after-ms'), a.headers.get('retry-after')]).toEqual(['1500', '2']);
      expect(a.headers.get('x-should-retry')).toBe('true');
      const b = await fetch(`${date.url}/v1/messages/batches`, { headers });
      expect(b.headers.get('retry-after-ms')).toBeNull();
      const wait = Date.parse(b.headers.get('retry-after') ?? '') - Date.now();
      expect(wait).toBeGreaterThan(1000);
      expect(wait).toBeLessThanOrEqual(2500);
    } finally {
      await both.close();
      await date.close();
    }
  });
});
