import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_BETAS } from '../../src/core/api/betas.js';
import { readModelsFile } from '../../src/emulator/models.js';
import { type Emulator, startEmulator } from '../../src/emulator/server.js';
import { tempDir } from '../helpers/files.js';

// What the API checks that a client can get wrong, over raw HTTP as curl or another SDK sends it:
// each of these was answered 200 (or otherwise than the API) before.
let emu: Emulator;
let advance = 0;
beforeAll(async () => {
  emu = await startEmulator({
    processingTimeMs: 50,
    now: () => Date.now() + advance,
    models: ['claude-test-model-9'],
  });
});
afterAll(async () => {
  await emu.close();
});

const base = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
const call = (
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string | undefined> = {},
) => {
  const merged = Object.fromEntries(
    Object.entries({ ...base, ...headers }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return fetch(`${emu.url}${path}`, {
    method,
    headers: merged,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
};
const errorOf = async (r: Response) =>
  ((await r.json()) as { error: { type: string; message: string } }).error;
const params = (model = 'claude-haiku-4-5', prompt = 'hi') => ({
  model,
  max_tokens: 10,
  messages: [{ role: 'user', content: prompt }],
});

/** Creates a batch, ends it, and returns its result lines by custom_id (raw HTTP). */
async function resultsOf(requests: unknown[], query = ''): Promise<Map<string, Record<string, unknown>>> {
  const created = await call('POST', '/v1/messages/batches', { requests });
  expect(created.status).toBe(200);
  const { id } = (await created.json()) as { id: string };
  advance += 100;
  const text = await (await call('GET', `/v1/messages/batches/${id}/results${query}`)).text();
  const lines = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { custom_id: string; result: Record<string, unknown> });
  return new Map(lines.map((l) => [l.custom_id, l.result]));
}

describe('headers the API requires (items 1-4)', () => {
  it('refuses a request without anthropic-version: 400, on every endpoint', async () => {
    for (const [method, path] of [
      ['GET', '/v1/messages/batches'],
      ['POST', '/v1/messages/batches'],
      ['GET', '/v1/models'],
    ] as const) {
      const r = await call(method, path, method === 'POST' ? { requests: [] } : undefined, {
        'anthropic-version': undefined,
      });
      expect(r.status).toBe(400);
      expect(await errorOf(r)).toEqual({
        type: 'invalid_request_error',
        message: 'anthropic-version: header is required',
      });
    }
  });

  it('takes the versions that exist and refuses others', async () => {
    for (const version of ['2023-01-01', '2023-06-01', '2026-10-21']) {
      expect(
        (await call('GET', '/v1/messages/batches', undefined, { 'anthropic-version': version })).status,
      ).toBe(200);
    }
    const r = await call('GET', '/v1/messages/batches', undefined, { 'anthropic-version': '1999-01-01' });
    expect(r.status).toBe(400);
    expect(await errorOf(r)).toEqual({
      type: 'invalid_request_error',
      message: 'anthropic-version: "1999-01-01" is not a valid version',
    });
  });

  it('refuses an unknown beta name; takes known ones as a comma list, repeated', async () => {
    const bad = await call('GET', '/v1/messages/batches', undefined, {
      'anthropic-beta': 'message-batches-2024-09-24,not-a-real-beta-2099-01-01',
    });
    expect(bad.status).toBe(400);
    const error = await errorOf(bad);
    expect(error.type).toBe('invalid_request_error');
    expect(error.message).toMatch(
      /^Unexpected value\(s\) `not-a-real-beta-2099-01-01` for the `anthropic-beta` header/,
    );
    const good = await call('GET', '/v1/messages/batches', undefined, {
      'anthropic-beta': `${KNOWN_BETAS[0]}, message-batches-2024-09-24,message-batches-2024-09-24`,
    });
    expect(good.status).toBe(200);
  });

  it('refuses a body that is not sent as JSON', async () => {
    const body = JSON.stringify({ requests: [{ custom_id: 'a', params: params() }] });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const r = await call('POST', '/v1/messages/batches', body, { 'content-type': type });
      expect(r.status).toBe(400);
      expect(await errorOf(r)).toMatchObject({
        type: 'invalid_request_error',
        message: expect.stringContaining(type),
      });
    }
    const tokens = await call(
      'POST',
      '/v1/messages/count_tokens',
      { model: 'claude-haiku-4-5', messages: [] },
      {
        'content-type': 'text/plain',
      },
    );
    expect(tokens.status).toBe(400);
    const json = await call('POST', '/v1/messages/batches', body, {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(json.status).toBe(200);
    expect(Object.keys(await emu.counts)).toContain('POST /v1/messages/batches');
  });
});

describe('count_tokens (item 5)', () => {
  it('refuses unknown keys, as the spec does', async () => {
    const r = await call('POST', '/v1/messages/count_tokens', {
      ...params(),
      max_tokens: undefined,
      bogus: 1,
    });
    expect(r.status).toBe(400);
    expect(await errorOf(r)).toEqual({
      type: 'invalid_request_error',
      message: 'bogus: Extra inputs are not permitted',
    });
  });

  it('answers 413 request_too_large over 32 MB', async () => {
    const big = JSON.stringify({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'x'.repeat(33 * 1024 * 1024) }],
    });
    const r = await call('POST', '/v1/messages/count_tokens', big);
    expect(r.status).toBe(413);
    expect((await errorOf(r)).type).toBe('request_too_large');
  });
});

describe('beta shapes on beta calls (item 6)', () => {
  it('results read with ?beta=true or an anthropic-beta header carry the beta fields; plain ones do not', async () => {
    const requests = [{ custom_id: 'a', params: params() }];
    const plain = (await resultsOf(requests)).get('a') as {
      message: Record<string, unknown> & { usage: Record<string, unknown> };
    };
    expect(plain.message).not.toHaveProperty('context_management');
    expect(plain.message).toMatchObject({ diagnostics: null });
    expect(plain.message.usage).not.toHaveProperty('iterations');
    expect(plain.message.usage).toMatchObject({ speed: 'standard' });
    const beta = (await resultsOf(requests, '?beta=true')).get('a') as typeof plain;
    expect(beta.message).toMatchObject({ context_management: null, diagnostics: null });
    expect(beta.message.usage).toMatchObject({ fallback_credit: null, iterations: null, speed: 'standard' });
  });

  it('beta count_tokens has context_management', async () => {
    const body = { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hello' }] };
    const plain = await call('POST', '/v1/messages/count_tokens', body);
    expect(await plain.json()).toEqual({ input_tokens: expect.any(Number) });
    const beta = await call('POST', '/v1/messages/count_tokens?beta=true', body, {
      'anthropic-beta': 'token-counting-2024-11-01',
    });
    expect(await beta.json()).toEqual({ context_management: null, input_tokens: expect.any(Number) });
  });
});

describe('per-request params (item 7)', () => {
  it('unknown params keys and bad blocks come back errored invalid_request_error over raw HTTP', async () => {
    const out = await resultsOf([
      { custom_id: 'bogus', params: { ...params(), bogus_param: 1 } },
      {
        custom_id: 'block',
        params: { ...params(), messages: [{ role: 'user', content: [{ type: 'nonsense' }] }] },
      },
    ]);
    for (const id of ['bogus', 'block']) {
      expect(out.get(id)).toMatchObject({
        type: 'errored',
        error: { error: { type: 'invalid_request_error' } },
      });
    }
  });
});

describe('EMULATE_ERROR (item 8)', () => {
  it("takes only the API's error types, and says so for any other", async () => {
    const out = await resultsOf([
      { custom_id: 'real', params: params('claude-haiku-4-5', 'EMULATE_ERROR=billing_error') },
      { custom_id: 'made', params: params('claude-haiku-4-5', 'EMULATE_ERROR=made_up_error') },
    ]);
    expect(out.get('real')).toMatchObject({ error: { error: { type: 'billing_error' } } });
    expect(out.get('made')).toMatchObject({
      type: 'errored',
      error: {
        error: {
          type: 'invalid_request_error',
          message: expect.stringMatching(/^EMULATE_ERROR=made_up_error: not an error type of the API/),
        },
      },
    });
  });
});

describe('query parameters (item 10)', () => {
  it('refuses a repeated query parameter; an array one (name[]) may repeat', async () => {
    const r = await call('GET', '/v1/messages/batches?limit=1&limit=2');
    expect(r.status).toBe(400);
    expect(await errorOf(r)).toEqual({
      type: 'invalid_request_error',
      message: 'limit: query parameter given more than once',
    });
    expect((await call('GET', '/v1/models?lifecycle[]=active&lifecycle[]=deprecated')).status).toBe(200);
  });
});

describe('models (item 12)', () => {
  it('answers an unknown model errored not_found_error, and serves the known ones and those added', async () => {
    const out = await resultsOf([
      { custom_id: 'typo', params: params('claude-hiaku-4-5') },
      { custom_id: 'gpt', params: params('gpt-4o') },
      { custom_id: 'known', params: params('claude-sonnet-4-6') },
      { custom_id: 'added', params: params('claude-test-model-9') },
    ]);
    expect(out.get('typo')).toEqual({
      type: 'errored',
      error: {
        type: 'error',
        error: { type: 'not_found_error', message: 'model: claude-hiaku-4-5' },
        request_id: null,
      },
    });
    expect(out.get('gpt')).toMatchObject({ error: { error: { type: 'not_found_error' } } });
    expect(out.get('known')).toMatchObject({ type: 'succeeded' });
    expect(out.get('added')).toMatchObject({ type: 'succeeded' });
    const tokens = await call('POST', '/v1/messages/count_tokens', { model: 'gpt-4o', messages: [] });
    expect(tokens.status).toBe(404);
    expect(await errorOf(tokens)).toEqual({ type: 'not_found_error', message: 'model: gpt-4o' });
  });

  it('lists the models in pages and retrieves one; an unknown one is a 404', async () => {
    const page = (await (await call('GET', '/v1/models?limit=2')).json()) as {
      data: Array<{ id: string }>;
      has_more: boolean;
      first_id: string;
      last_id: string;
    };
    expect(page.data).toHaveLength(2);
    expect(page).toMatchObject({ has_more: true, first_id: page.data[0]?.id, last_id: page.data[1]?.id });
    const next = (await (
      await call('GET', `/v1/models?limit=1000&after_id=${page.last_id}`)
    ).json()) as typeof page;
    const all = [...page.data, ...next.data].map((m) => m.id);
    expect(all).toContain('claude-haiku-4-5');
    expect(all).toContain('claude-test-model-9');
    expect(next.has_more).toBe(false);
    const one = await call('GET', '/v1/models/claude-haiku-4-5');
    expect(await one.json()).toMatchObject({
      id: 'claude-haiku-4-5',
      type: 'model',
      display_name: 'Claude Haiku 4.5',
    });
    const none = await call('GET', '/v1/models/claude-hiaku-4-5');
    expect(none.status).toBe(404);
    expect((await errorOf(none)).type).toBe('not_found_error');
  });

  it('reads a models file: one name a line, comments and blank lines skipped', () => {
    const dir = tempDir();
    const file = join(dir, 'models.txt');
    writeFileSync(file, '# newer models\nclaude-new-1\n\n  claude-new-2  # soon\n');
    expect(readModelsFile(file)).toEqual(['claude-new-1', 'claude-new-2']);
  });
});

describe('message ids (item 13)', () => {
  it('are base62, as the API writes them', async () => {
    const requests = Array.from({ length: 40 }, (_, i) => ({ custom_id: `r${i}`, params: params() }));
    const out = await resultsOf(requests);
    for (const result of out.values()) {
      expect((result as { message: { id: string } }).message.id).toMatch(/^msg_01[0-9A-Za-z]{22}$/);
    }
  });
});
