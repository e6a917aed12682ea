import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/**
 * A `fetch` for the SDK over `node:http`. Node 20's built-in fetch holds a streamed upload in
 * memory (a 256 MB create costs hundreds of MB) and loads its HTTP client and parser on first
 * use; this one streams both ways with backpressure and starts faster. It does what the SDK
 * needs: any method, headers, a string / bytes / stream body, an AbortSignal, gzip/deflate/br
 * answers. It does not follow redirects (the API does not send them).
 */

const agents = {
  'http:': new HttpAgent({ keepAlive: true }),
  'https:': new HttpsAgent({ keepAlive: true }),
};

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

/** `fetch(url, init)` over node:http(s); the answer is a standard Response with a streamed body. */
export function nodeFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
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
    const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
    const send = protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: (init.method ?? 'GET').toUpperCase(), headers, agent: agents[protocol] });
    let res: IncomingMessage | undefined;
    const onAbort = () => {
      const error = abortError(signal as AbortSignal);
      req.destroy(error);
      res?.destroy(error);
      reject(error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
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
