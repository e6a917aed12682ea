import {
  type ClientRequest,
  Agent as HttpAgent,
  type RequestOptions as HttpRequestOptions,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import {
  type ProxyEnv,
  proxyEndpoint,
  proxyFor,
  proxyHeaders,
  TunnelAgent,
  unreachableProxy,
} from './proxy.js';

/**
 * A `fetch` for the SDK over `node:http`. Node 20's built-in fetch holds a streamed upload in
 * memory (a 256 MB create costs hundreds of MB) and loads its HTTP client and parser on first
 * use; this one streams both ways with backpressure and starts faster. It does what the SDK
 * needs: any method, headers, a string / bytes / stream body, an AbortSignal, gzip/deflate/br
 * answers. It does not follow redirects (the API does not send them). It goes through the proxy
 * that the environment names (HTTPS_PROXY, HTTP_PROXY, NO_PROXY…: see proxy.ts).
 */

const agents = {
  'http:': new HttpAgent({ keepAlive: true }),
  'https:': new HttpsAgent({ keepAlive: true }),
};

/** Kept-alive agents to each proxy: plain ones for http targets, tunnels for https targets. */
const proxyAgents = new Map<string, HttpAgent>();

function proxyAgent(proxy: URL, tunnel: boolean): HttpAgent {
  const key = `${tunnel ? 'tunnel' : 'plain'} ${proxy.href}`;
  let agent = proxyAgents.get(key);
  if (!agent) {
    agent = tunnel
      ? new TunnelAgent(proxy)
      : proxy.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true })
        : new HttpAgent({ keepAlive: true });
    proxyAgents.set(key, agent);
  }
  return agent;
}

type Send = (options: HttpRequestOptions) => ClientRequest;

/** How to send a request for `url`: directly, to a proxy in absolute-URI form, or through a tunnel. */
function route(
  url: URL,
  method: string,
  headers: Record<string, string>,
  env: ProxyEnv,
): { send: Send; options: HttpRequestOptions; proxy: URL | undefined } {
  const https = url.protocol === 'https:';
  const target: HttpRequestOptions = {
    protocol: https ? 'https:' : 'http:',
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port || (https ? 443 : 80),
    path: `${url.pathname}${url.search}`,
    method,
    headers,
  };
  const proxy = proxyFor(url, env);
  if (!proxy)
    return {
      send: https ? httpsRequest : httpRequest,
      options: { ...target, agent: agents[https ? 'https:' : 'http:'] },
      proxy,
    };
  if (https) return { send: httpsRequest, options: { ...target, agent: proxyAgent(proxy, true) }, proxy };
  const endpoint = proxyEndpoint(proxy);
  return {
    send: endpoint.https ? httpsRequest : httpRequest,
    options: {
      protocol: endpoint.https ? 'https:' : 'http:',
      hostname: endpoint.host,
      port: endpoint.port,
      path: url.href,
      method,
      headers: { ...headers, host: url.host, ...proxyHeaders(proxy) },
      agent: proxyAgent(proxy, false),
    },
    proxy,
  };
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new Error('This operation was aborted');
  error.name = 'AbortError';
  return error;
}

function decoded(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined;
  if (!decoder) return res;
  res.on('error', (error) => decoder.destroy(error));
  return res.pipe(decoder);
}

function bodyOf(body: unknown): { data?: Buffer | string; stream?: Readable } {
  if (body === undefined || body === null) return {};
  if (typeof body === 'string') return { data: body };
  if (body instanceof ArrayBuffer) return { data: Buffer.from(body) };
  if (ArrayBuffer.isView(body)) return { data: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  if (body instanceof ReadableStream) return { stream: Readable.fromWeb(body as never) };
  if (typeof body === 'object' && Symbol.asyncIterator in body) {
    return { stream: Readable.from(body as AsyncIterable<Uint8Array>) };
  }
  throw new TypeError('claude-batch fetch: unsupported body type');
}

/**
 * A web stream over a Node stream that reads one chunk only when the reader wants one. (Node 20's
 * `Readable.toWeb` counts chunks against the Node stream's byte high-water mark, so it can queue
 * thousands of chunks ahead of a slower reader.)
 */
function webStream(readable: Readable): ReadableStream<Uint8Array> {
  const chunks = readable[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else {
          const b = value as Buffer;
          controller.enqueue(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
        }
      },
      cancel(reason) {
        readable.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    { highWaterMark: 1 },
  );
}

/**
 * A `fetch(url, init)` over node:http(s); the answer is a standard Response with a streamed body.
 * `env` holds the proxy settings (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY, any case).
 */
export function createNodeFetch(options: { env?: ProxyEnv } = {}): typeof fetch {
  const env = options.env ?? {};
  return (input, init) => fetchOver(input, init, env);
}

/** The streaming fetch without a proxy. */
export const nodeFetch: typeof fetch = createNodeFetch();

function fetchOver(input: string | URL | Request, init: RequestInit = {}, env: ProxyEnv): Promise<Response> {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  const signal = init.signal ?? undefined;
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br' };
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const { data, stream } = bodyOf(init.body);
    if (data !== undefined) headers['content-length'] = String(Buffer.byteLength(data));
    let routed: ReturnType<typeof route>;
    try {
      routed = route(url, (init.method ?? 'GET').toUpperCase(), headers, env);
    } catch (error) {
      return reject(error);
    }
    const { send, options, proxy } = routed;
    const req = send(options);
    let res: IncomingMessage | undefined;
    const onAbort = () => {
      const error = abortError(signal as AbortSignal);
      req.destroy(error);
      res?.destroy(error);
      reject(error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      // Through a plain proxy, a failed connection is the proxy's (a tunnel names it itself).
      const viaProxy = proxy && url.protocol === 'http:' && !res && error.syscall === 'connect';
      reject(viaProxy ? unreachableProxy(proxy, error) : error);
    });
    req.on('response', (answer) => {
      res = answer;
      answer.on('close', () => signal?.removeEventListener('abort', onAbort));
      const responseHeaders = new Headers();
      for (const [key, value] of Object.entries(answer.headers)) {
        if (Array.isArray(value)) for (const v of value) responseHeaders.append(key, v);
        else if (value !== undefined) responseHeaders.set(key, value);
      }
      const status = answer.statusCode ?? 0;
      const empty = status === 204 || status === 304 || init.method?.toUpperCase() === 'HEAD';
      if (empty) answer.resume();
      const body = empty ? null : webStream(decoded(answer));
      resolve(
        new Response(body, { status, statusText: answer.statusMessage ?? '', headers: responseHeaders }),
      );
    });
    if (stream) {
      pipeline(stream, req).catch((error: Error) => req.destroy(error));
    } else {
      req.end(data);
    }
  });
}
