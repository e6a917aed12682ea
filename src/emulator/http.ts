import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random id in the API's style: a prefix, `01`, then base-62 characters. */
export function randomId(prefix: string, length = 22): string {
  const bytes = randomBytes(length);
  let out = `${prefix}01`;
  for (const b of bytes) out += ALPHABET[b % 62];
  return out;
}

/** Sends a JSON body with the headers every API answer carries. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'request-id': res.getHeader('request-id') as string,
    ...headers,
  });
  res.end(text);
}

/** Sends an error in the API's shape: `{"type":"error","error":{type,message},"request_id"}`. */
export function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(
    res,
    status,
    { type: 'error', error: { type, message }, request_id: res.getHeader('request-id') },
    headers,
  );
}

/** An answer in the API's error shape, thrown by a handler and sent by the server with {@link sendError}. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Thrown while reading a body that is larger than allowed. */
export class BodyTooLarge extends Error {}

/**
 * Reads a request body up to `limit` bytes. Past the limit it keeps draining (so the client can
 * read the answer) but stops storing, then throws BodyTooLarge.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) {
      tooLarge = true;
      parts.length = 0;
      continue;
    }
    parts.push(b);
  }
  if (tooLarge) throw new BodyTooLarge(`body of ${size} bytes`);
  return Buffer.concat(parts, size);
}

/** RFC 3339 with microseconds, as the API writes timestamps. */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Reads and discards a request body (so that the client can read an early answer cleanly). */
export async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) {
    // Discard.
  }
}
