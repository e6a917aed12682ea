import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBatches } from '../../src/core/api/batches.js';
import { createClient } from '../../src/core/api/client.js';
import { CliError } from '../../src/core/errors.js';
import { runBin, runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';
import { startProxy, startTlsFront, type TestProxy } from '../helpers/proxy.js';

// HTTPS_PROXY / HTTP_PROXY / NO_PROXY against a recording proxy on 127.0.0.1.
const ctx = useEmulator({ processingTimeMs: 200 });
const dir = tempDir();
let proxy: TestProxy;

beforeAll(async () => {
  proxy = await startProxy();
});
afterAll(async () => {
  await proxy.close();
});

/** submit, status (once the emulator's clock has ended the batch), results: the requests the emulator saw and the results file. */
async function flow(env: Record<string, string>, name: string) {
  const before = ctx.emulator.log.length;
  const submit = await runCli(['submit', writeRequests(dir, `${name}.jsonl`, 5)], { env });
  expect(submit.stderr).toContain('Submitted 5 requests');
  expect(submit.code).toBe(0);
  const id = submit.stdout.trim();
  ctx.endBatches();
  const status = await runCli(['status', id, '--json'], { env });
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ id, processing_status: 'ended' });
  const out = join(dir, `${name}-results.jsonl`);
  const results = await runCli(['results', id, '-o', out], { env });
  expect(results.code).toBe(0);
  expect(readFileSync(out, 'utf8').trimEnd().split('\n')).toHaveLength(5);
  return { id, seen: ctx.emulator.log.slice(before) };
}

describe('behind a proxy', () => {
  it('sends every request of submit, status and results through HTTP_PROXY', async () => {
    const start = proxy.records.length;
    const { id, seen } = await flow({ ...ctx.env, HTTP_PROXY: proxy.url }, 'via-proxy');
    const passed = proxy.records.slice(start);
    // One proxy record per request the emulator answered, in the same order, in absolute-URI form.
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(passed).toEqual(seen.map((r) => `${r.method} ${ctx.emulator.url}${r.path}`));
    expect(passed[0]).toBe(`POST ${ctx.emulator.url}/v1/messages/batches`);
    expect(passed).toContain(`GET ${ctx.emulator.url}/v1/messages/batches/${id}`);
    expect(
      passed.some((r) => r.startsWith(`GET ${ctx.emulator.url}/v1/messages/batches/${id}/results`)),
    ).toBe(true);
  });

  it('honours the lowercase form and sends the credentials of the proxy URL', async () => {
    const start = proxy.records.length;
    const withAuth = proxy.url.replace('http://', 'http://user%40corp:p%3Ass@');
    const list = await runCli(['list'], { env: { ...ctx.env, http_proxy: withAuth } });
    expect(list.code).toBe(0);
    expect(proxy.records.slice(start)).toEqual([`GET ${ctx.emulator.url}/v1/messages/batches?limit=20`]);
    expect(proxy.auth.at(-1)).toBe(`Basic ${Buffer.from('user@corp:p:ss').toString('base64')}`);
  });

  it('goes direct for a host in NO_PROXY', async () => {
    const start = proxy.records.length;
    const { seen } = await flow(
      { ...ctx.env, HTTP_PROXY: proxy.url, NO_PROXY: 'example.com,127.0.0.1' },
      'direct',
    );
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(proxy.records.slice(start)).toEqual([]);
    const port = new URL(ctx.emulator.url).port;
    const byPort = await runCli(['list'], {
      env: { ...ctx.env, HTTP_PROXY: proxy.url, no_proxy: `127.0.0.1:${port}` },
    });
    expect(byPort.code).toBe(0);
    expect(proxy.records.slice(start)).toEqual([]);
  });

  it('names the proxy when it cannot be reached, and when it refuses', async () => {
    const dead = await startProxy();
    const deadUrl = dead.url;
    await dead.close();
    const unreachable = await runCli(['list'], {
      env: { ...ctx.env, HTTP_PROXY: deadUrl.replace('http://', 'http://me:secret@') },
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toBe(
      `error: Cannot reach the API at ${ctx.emulator.url} (cannot reach the proxy ${deadUrl.replace('http://', 'http://***@')}: ECONNREFUSED)\n` +
        'hint: check the proxy: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY (see "Behind a proxy" in the README)\n',
    );
    expect(unreachable.stderr).not.toContain('secret');

    const refusing = await startProxy({ refuse: true });
    try {
      // Through the library without retries (the CLI retries a failed connection 3 times).
      const client = await createClient({
        env: { ANTHROPIC_API_KEY: 'k', HTTPS_PROXY: refusing.url },
        baseUrl: 'https://api.example.com',
        maxRetries: 0,
      });
      const refused = await listBatches(client).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(CliError);
      expect((refused as Error).message).toBe(
        `Cannot reach the API at https://api.example.com (the proxy ${refusing.url} refused the tunnel to api.example.com:443: 407 Proxy Authentication Required)`,
      );
      expect(refusing.records).toEqual(['CONNECT api.example.com:443']);
    } finally {
      await refusing.close();
    }
  });

  it('rejects a proxy scheme it cannot speak', async () => {
    const socks = await runCli(['list'], { env: { ...ctx.env, ALL_PROXY: 'socks5://127.0.0.1:1080' } });
    expect(socks.code).toBe(2);
    expect(socks.stderr).toBe(
      'error: unsupported proxy scheme socks5:// (socks5://127.0.0.1:1080): use an http:// or https:// proxy\n' +
        'hint: fix HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (an http:// or https:// URL)\n',
    );
  });

  it('tunnels an https target through CONNECT, TLS end to end (the built binary)', async () => {
    const front = await startTlsFront(ctx.emulator.url);
    try {
      const start = proxy.records.length;
      const before = ctx.emulator.log.length;
      const env = {
        ANTHROPIC_API_KEY: 'test-key-not-secret',
        ANTHROPIC_BASE_URL: front.url,
        HTTPS_PROXY: proxy.url,
        HTTP_PROXY: 'http://127.0.0.1:9', // not used for an https target
        NODE_EXTRA_CA_CERTS: fileURLToPath(new URL('../fixtures/tls/localhost-cert.pem', import.meta.url)),
      };
      const submit = await runBin(['submit', writeRequests(dir, 'tls.jsonl', 2)], { env });
      expect(submit.stderr).toContain('Submitted 2 requests');
      expect(submit.code).toBe(0);
      const id = submit.stdout.trim();
      const status = await runBin(['status', id, '--json'], { env });
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ id });
      // Each process opens one tunnel to the target (kept alive for its calls); the proxy sees only host:port.
      const port = new URL(front.url).port;
      expect(proxy.records.slice(start)).toEqual([`CONNECT localhost:${port}`, `CONNECT localhost:${port}`]);
      expect(ctx.emulator.log.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
        'POST /v1/messages/batches',
        `GET /v1/messages/batches/${id}`,
      ]);
    } finally {
      await front.close();
    }
  });
});
