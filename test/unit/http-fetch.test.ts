import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeFetch } from '../../src/core/api/http-fetch.js';

let server: Server;
let base = '';
const seen: Array<{ method: string; body: string; headers: Record<string, unknown> }> = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    seen.push({ method: req.method ?? '', body: Buffer.concat(parts).toString(), headers: req.headers });
    if (req.url === '/gzip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ ok: true })));
    } else if (req.url === '/hang') {
      res.writeHead(200);
      res.write('partial');
    } else if (req.url === '/empty') {
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(201, { 'x-test': 'yes', 'content-type': 'text/plain' });
      res.end('hello');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('nodeFetch', () => {
  it('sends method, headers and a body, and returns status, headers and the body', async () => {
    const res = await nodeFetch(`${base}/echo`, { method: 'post', headers: { 'x-a': '1' }, body: 'payload' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-test')).toBe('yes');
    expect(await res.text()).toBe('hello');
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      body: 'payload',
      headers: { 'x-a': '1', 'content-length': '7' },
    });
  });

  it('streams an async iterable or web stream body (chunked)', async () => {
    async function* parts() {
      yield Buffer.from('{"a":');
      yield Buffer.from('1}');
    }
    await (
      await nodeFetch(`${base}/echo`, {
        method: 'POST',
        body: parts() as never,
        duplex: 'half',
      } as RequestInit)
    ).text();
    expect(seen.at(-1)?.body).toBe('{"a":1}');
    expect(seen.at(-1)?.headers['transfer-encoding']).toBe('chunked');
  });

  it('decodes gzip answers and handles 204', async () => {
    expect(await (await nodeFetch(`${base}/gzip`)).json()).toEqual({ ok: true });
    const empty = await nodeFetch(`${base}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it('rejects with an AbortError when aborted, before or during the answer', async () => {
    const before = new AbortController();
    before.abort();
    await expect(nodeFetch(`${base}/echo`, { signal: before.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    const during = new AbortController();
    const res = await nodeFetch(`${base}/hang`, { signal: during.signal });
    const reading = res.text();
    during.abort();
    await expect(reading).rejects.toBeDefined();
  });

  it('rejects with the system error when nothing listens', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((resolve) => dead.close(resolve));
    await expect(nodeFetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
