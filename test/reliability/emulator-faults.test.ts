import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/server.js';
import { testClock, waitFor } from '../helpers/emulator.js';
import { request } from '../helpers/files.js';

const started: Emulator[] = [];
const PROCESSING_MS = 60_000;
/** The clock of the emulator last started: a batch ends when a test moves it. */
let clock = testClock();
async function emulator(options: EmulatorOptions): Promise<Emulator> {
  clock = testClock();
  const emu = await startEmulator({ processingTimeMs: PROCESSING_MS, now: clock.now, ...options });
  started.push(emu);
  return emu;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});

const headers = { 'x-api-key': 'k', 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
const body = (n: number, prefix = 'r') =>
  JSON.stringify({ requests: Array.from({ length: n }, (_, i) => request(`${prefix}-${i}`)) });

async function create(emu: Emulator, n: number, prefix?: string): Promise<Response> {
  return fetch(`${emu.url}/v1/messages/batches`, { method: 'POST', headers, body: body(n, prefix) });
}
async function listIds(emu: Emulator): Promise<string[]> {
  for (;;) {
    const r = await fetch(`${emu.url}/v1/messages/batches?limit=1000`, { headers });
    if (r.ok) return ((await r.json()) as { data: Array<{ id: string }> }).data.map((b) => b.id);
  }
}
async function createdId(emu: Emulator, n: number, prefix?: string): Promise<string> {
  const r = await create(emu, n, prefix);
  expect(r.status).toBe(200);
  return ((await r.json()) as { id: string }).id;
}

describe('HTTP error faults', () => {
  it.each([
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [529, 'overloaded_error'],
  ])(
    '%i answers in the API error shape with retry-after-ms, and a faulted create creates nothing',
    async (status, type) => {
      const emu = await emulator({ faults: `${status}=1,retry-after=15ms` });
      const r = await create(emu, 3);
      expect(r.status).toBe(status);
      expect(r.headers.get('retry-after-ms')).toBe('15');
      expect(r.headers.get('request-id')).toMatch(/^req_01/);
      expect(await r.json()).toMatchObject({
        type: 'error',
        error: { type },
        request_id: expect.any(String),
      });
      const list = await fetch(`${emu.url}/v1/messages/batches`, { headers });
      expect(list.status).toBe(status);
      expect(emu.injected).toEqual({ [status]: 2 });
      expect(emu.log.map((l) => [l.status, l.fault])).toEqual([
        [status, String(status)],
        [status, String(status)],
      ]);
    },
  );

  it('the share is about right and the same for the same seed', async () => {
    const statuses = async (seed: number) => {
      const emu = await emulator({ faults: '429=0.2,500=0.1', seed });
      const out: number[] = [];
      for (let i = 0; i < 200; i += 1)
        out.push((await fetch(`${emu.url}/v1/messages/batches`, { headers })).status);
      return out;
    };
    const a = await statuses(5);
    expect(await statuses(5)).toEqual(a);
    expect(await statuses(6)).not.toEqual(a);
    const n429 = a.filter((s) => s === 429).length;
    const n500 = a.filter((s) => s === 500).length;
    expect(n429).toBeGreaterThan(20);
    expect(n429).toBeLessThan(65);
    expect(n500).toBeGreaterThan(5);
    expect(n500).toBeLessThan(40);
  });
});

describe('slow', () => {
  it('delays every answer, after the work', async () => {
    const emu = await emulator({ faults: 'slow=120ms' });
    const t0 = Date.now();
    await createdId(emu, 1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
  });
});

describe('lost-create', () => {
  it('creates the batch, then destroys the connection before the answer', async () => {
    const emu = await emulator({ faults: 'lost-create=1' });
    await expect(create(emu, 2)).rejects.toThrow();
    const ids = await listIds(emu);
    expect(ids).toHaveLength(1);
    expect(emu.injected['lost-create']).toBe(1);
    // The log entry of a destroyed answer is written when its connection closes.
    await waitFor(() => emu.log.some((l) => l.method === 'POST'), 'the create in the log');
    expect(emu.log.find((l) => l.method === 'POST')?.fault).toBe('lost-create');
  });
});

describe('notfound-after-create', () => {
  it('retrieve and results answer 404 for that long, while the list shows the batch', async () => {
    const emu = await emulator({ faults: 'notfound-after-create=30s' });
    const id = await createdId(emu, 2);
    const get = (path = '') => fetch(`${emu.url}/v1/messages/batches/${id}${path}`, { headers });
    const early = await get();
    expect(early.status).toBe(404);
    expect(await early.json()).toMatchObject({ error: { type: 'not_found_error' } });
    expect((await get('/results')).status).toBe(404);
    expect(await listIds(emu)).toEqual([id]);
    clock.advance(PROCESSING_MS);
    expect((await get()).status).toBe(200);
    expect((await get('/results')).status).toBe(200);
  });
});

describe('results downloads', () => {
  async function ended(options: EmulatorOptions, n: number) {
    const emu = await emulator(options);
    const id = await createdId(emu, n);
    clock.advance(PROCESSING_MS);
    return { emu, url: `${emu.url}/v1/messages/batches/${id}/results` };
  }

  it('reset: the connection is cut part-way, in the middle of a line', async () => {
    const { emu, url } = await ended({ faults: 'reset=1' }, 50);
    const r = await fetch(url, { headers });
    expect(r.status).toBe(200);
    const received: Uint8Array[] = [];
    const reader = (r.body as ReadableStream<Uint8Array>).getReader();
    const read = async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        received.push(value);
      }
    };
    await expect(read()).rejects.toThrow();
    const text = Buffer.concat(received).toString('utf8');
    const lines = text.split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.length).toBeLessThan(50);
    expect(() => JSON.parse(lines[lines.length - 1] as string)).toThrow();
    expect(emu.injected.reset).toBe(1);
  });

  it('truncate: the answer ends cleanly at a line boundary, short of the total', async () => {
    const { emu, url } = await ended({ faults: 'truncate=1' }, 50);
    const text = await (await fetch(url, { headers })).text();
    const lines = text.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(50);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('custom_id');
    expect(text.endsWith('\n')).toBe(true);
    expect(emu.injected.truncate).toBe(1);
  });

  it('without cuts, every line arrives', async () => {
    const { url } = await ended({ faults: 'reset=0,truncate=0' }, 50);
    expect((await (await fetch(url, { headers })).text()).split('\n').filter(Boolean)).toHaveLength(50);
  });
});

describe('result faults', () => {
  async function outcomes(emu: Emulator, prefix: string, n: number) {
    const id = await createdId(emu, n, prefix);
    clock.advance(PROCESSING_MS);
    const text = await (await fetch(`${emu.url}/v1/messages/batches/${id}/results`, { headers })).text();
    const out = new Map<string, { type: string; error?: { error: { type: string } } }>();
    for (const line of text.split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as {
        custom_id: string;
        result: { type: string; error?: { error: { type: string } } };
      };
      out.set(r.custom_id, r.result);
    }
    return out;
  }

  it('result-error and result-expire: per request and attempt, deterministic, retryable types', async () => {
    const spec = { faults: 'result-error=0.3,result-expire=0.1', seed: 21 };
    const a = await outcomes(await emulator(spec), 'q', 100);
    const b = await outcomes(await emulator(spec), 'q', 100);
    const fates = (m: typeof a) =>
      [...m.entries()].map(([id, r]) => `${id}:${r.type}:${r.error?.error.type}`).sort();
    expect(fates(b)).toEqual(fates(a));
    const errored = [...a.values()].filter((r) => r.type === 'errored');
    const expired = [...a.values()].filter((r) => r.type === 'expired');
    expect(errored.length).toBeGreaterThan(15);
    expect(expired.length).toBeGreaterThan(2);
    for (const r of errored) expect(['overloaded_error', 'api_error']).toContain(r.error?.error.type);

    // Resubmitting the failed ids to the same emulator: a new attempt, so most now succeed.
    const emu = await emulator(spec);
    const first = await outcomes(emu, 'q', 100);
    const failed = [...first.entries()].filter(([, r]) => r.type !== 'succeeded').map(([id]) => id);
    const retryBody = JSON.stringify({ requests: failed.map((id) => request(id)) });
    const r = await fetch(`${emu.url}/v1/messages/batches`, { method: 'POST', headers, body: retryBody });
    const retryId = ((await r.json()) as { id: string }).id;
    clock.advance(PROCESSING_MS);
    const text = await (await fetch(`${emu.url}/v1/messages/batches/${retryId}/results`, { headers })).text();
    const succeeded = text.split('\n').filter((l) => l.includes('"type":"succeeded"')).length;
    expect(succeeded).toBeGreaterThan(failed.length / 3);
  });

  it('does not override a request that fails on its own', async () => {
    const emu = await emulator({ faults: 'result-expire=1' });
    const bad = request('x', 'EMULATE_ERROR=invalid_request_error');
    const r = await fetch(`${emu.url}/v1/messages/batches`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ requests: [bad, request('y')] }),
    });
    const id = ((await r.json()) as { id: string }).id;
    clock.advance(PROCESSING_MS);
    const text = await (await fetch(`${emu.url}/v1/messages/batches/${id}/results`, { headers })).text();
    expect(text).toContain('"custom_id":"x","result":{"type":"errored"');
    expect(text).toContain('{"custom_id":"y","result":{"type":"expired"}}');
  });
});

describe('startEmulator', () => {
  it('refuses a bad spec', async () => {
    await expect(startEmulator({ faults: 'nope=1' })).rejects.toThrow(/nope: unknown fault/);
  });
});
