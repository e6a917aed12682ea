import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { estimateTokens, promptCharacters } from '../core/cost/tokens.js';
import { MAX_BATCH_BYTES, MAX_BATCH_REQUESTS } from '../core/requests/limits.js';
import { type DownloadCut, FaultPlan, type FaultSpec, noFaults, parseFaults } from './faults.js';
import { BodyTooLarge, drain, randomId, readBody, sendError, sendJson } from './http.js';
import { BatchStore } from './store.js';
import { CreateError, checkCreateBody, SAMPLING_REMOVED_IN } from './validate.js';

/** How to start the emulator. Every field has a default. */
export interface EmulatorOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** How long each batch takes to end (default 2000 ms). */
  processingTimeMs?: number;
  /** How long `canceling` lasts (default: a tenth of the processing time, at most 1 s). */
  cancelTimeMs?: number;
  /** Accept only this key; by default any non-empty key is accepted. */
  apiKey?: string | undefined;
  /** The clock, in ms since the epoch (default Date.now). */
  now?: () => number;
  /** Largest create body accepted (default the API's 256 MB). */
  maxBodyBytes?: number;
  /** Most requests in one batch (default the API's 100,000). */
  maxRequests?: number;
  /** Characters of text in each answer. */
  answerSize?: number | undefined;
  /**
   * Faults to inject: a SPEC such as `429=0.1,slow=200ms,reset=0.3` (see `parseFaults`) or a
   * parsed FaultSpec. Default: none.
   */
  faults?: string | FaultSpec | undefined;
  /** Seed of the fault decisions: the same seed gives the same faults (default 1). */
  seed?: number | undefined;
}

/** One HTTP request the emulator answered. */
export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  /** The fault injected into this answer, if any (`429`, `lost-create`, `reset`, `truncate`…). */
  fault?: string;
}

/** A running emulator. */
export interface Emulator {
  /** The base URL to give the SDK or `ANTHROPIC_BASE_URL`. */
  url: string;
  port: number;
  /** Every request answered so far, oldest first (the last 10,000). */
  readonly log: LoggedRequest[];
  /** How many requests were answered, by `METHOD route` (e.g. `GET /v1/messages/batches/{id}`). */
  readonly counts: Record<string, number>;
  /** How many faults were injected so far, by kind (`429`, `reset`, `lost-create`…). */
  readonly injected: Record<string, number>;
  /** The faults in effect. */
  readonly faults: FaultSpec;
  close(): Promise<void>;
}

const BATCHES = '/v1/messages/batches';

function routeOf(method: string, path: string): { route: string; id?: string } {
  if (path === BATCHES) return { route: `${method} ${BATCHES}` };
  if (path === '/v1/messages/count_tokens') return { route: `${method} ${path}` };
  const m = /^\/v1\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/.exec(path);
  if (m?.[1]) return { route: `${method} ${BATCHES}/{id}${m[2] ?? ''}`, id: decodeURIComponent(m[1]) };
  return { route: `${method} ${path}` };
}

function credentialOf(req: IncomingMessage): string | undefined {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key.trim()) return key.trim();
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return m?.[1]?.trim() || undefined;
}

/**
 * Starts a local HTTP server that behaves like the Message Batches API: the six batch endpoints
 * and count_tokens, the API's error shapes and headers, batches that end after a set time, and
 * deterministic answers. Test triggers in a prompt: `EMULATE_ERROR=<type>`, `EMULATE_EXPIRE`.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? Date.now;
  const processingMs = options.processingTimeMs ?? 2000;
  const faults =
    typeof options.faults === 'string' ? parseFaults(options.faults) : (options.faults ?? noFaults());
  const plan = new FaultPlan(faults, options.seed ?? 1);
  const slow = () => (faults.slowMs > 0 ? delay(faults.slowMs) : undefined);
  const store = new BatchStore({
    resultFault: (customId) => plan.resultFault(customId),
    now,
    processingMs,
    cancelMs: options.cancelTimeMs ?? Math.min(1000, processingMs / 10),
    answerSize: options.answerSize,
  });
  const maxBody = options.maxBodyBytes ?? MAX_BATCH_BYTES;
  const maxRequests = options.maxRequests ?? MAX_BATCH_REQUESTS;
  const log: LoggedRequest[] = [];
  const counts: Record<string, number> = {};

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('request-id', randomId('req_', 22));
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = (req.method ?? 'GET').toUpperCase();
    const { route, id } = routeOf(method, url.pathname);
    counts[route] = (counts[route] ?? 0) + 1;
    let fault: string | undefined;
    const record = () => {
      log.push({ method, path: url.pathname, status: res.statusCode, ...(fault ? { fault } : {}) });
      if (log.length > 10_000) log.shift();
    };
    res.on('finish', () => {
      if (!fault) record();
    });
    res.on('close', () => {
      if (fault) record();
    });

    const key = credentialOf(req);
    if (!key || (options.apiKey !== undefined && key !== options.apiKey)) {
      req.resume();
      return sendError(
        res,
        401,
        'authentication_error',
        key ? 'invalid x-api-key' : 'x-api-key header is required',
      );
    }
    const base = `http://${req.headers.host ?? 'localhost'}`;

    const injected = plan.httpFault();
    if (injected) {
      fault = String(injected.status);
      await drain(req);
      await slow();
      return sendError(res, injected.status, injected.type, injected.message, injected.headers);
    }
    if (route !== `POST ${BATCHES}`) await slow();

    if (route === `POST ${BATCHES}`) {
      let body: unknown;
      try {
        body = JSON.parse((await readBody(req, maxBody)).toString('utf8'));
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          return sendError(
            res,
            413,
            'request_too_large',
            `Request exceeds the maximum allowed number of bytes (${maxBody}).`,
          );
        }
        return sendError(
          res,
          400,
          'invalid_request_error',
          `body: Invalid JSON: ${(error as Error).message}`,
        );
      }
      try {
        const requests = checkCreateBody(body, maxRequests);
        const version = String(req.headers['anthropic-version'] ?? SAMPLING_REMOVED_IN);
        const created = store.create(requests, version);
        await slow();
        if (plan.loseCreate()) {
          // The batch exists, but its answer never arrives: the client cannot tell whether it was created.
          fault = 'lost-create';
          res.destroy();
          return;
        }
        return sendJson(res, 200, store.view(created, base));
      } catch (error) {
        if (error instanceof CreateError) return sendError(res, 400, 'invalid_request_error', error.message);
        throw error;
      }
    }
    if (route === `GET ${BATCHES}`) return list(url, res, base);
    if (route === 'POST /v1/messages/count_tokens') {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse((await readBody(req, 32 * 1024 * 1024)).toString('utf8'));
      } catch {
        return sendError(res, 400, 'invalid_request_error', 'body: Invalid JSON');
      }
      if (typeof body?.model !== 'string')
        return sendError(res, 400, 'invalid_request_error', 'model: Field required');
      if (!Array.isArray(body.messages))
        return sendError(res, 400, 'invalid_request_error', 'messages: Field required');
      const tools = body.tools ? JSON.stringify(body.tools).length : 0;
      return sendJson(res, 200, { input_tokens: estimateTokens(promptCharacters(body) + tools) });
    }
    req.resume();
    if (id === undefined)
      return sendError(res, 404, 'not_found_error', `Not found: ${method} ${url.pathname}`);
    const batch = store.get(id);
    const hidden =
      batch !== undefined &&
      (route === `GET ${BATCHES}/{id}` || route === `GET ${BATCHES}/{id}/results`) &&
      plan.hidden(batch.createdAt, now());
    if (hidden) fault = 'notfound-after-create';
    if (!batch || hidden)
      return sendError(res, 404, 'not_found_error', `No message batch found with id '${id}'.`);

    switch (route) {
      case `GET ${BATCHES}/{id}`:
        return sendJson(res, 200, store.view(batch, base));
      case `POST ${BATCHES}/{id}/cancel`:
        store.cancel(batch);
        return sendJson(res, 200, store.view(batch, base));
      case `DELETE ${BATCHES}/{id}`:
        if (!store.delete(batch)) {
          return sendError(
            res,
            400,
            'invalid_request_error',
            `Message batch ${id} cannot be deleted while it is still processing. Cancel it first.`,
          );
        }
        return sendJson(res, 200, { id, type: 'message_batch_deleted' });
      case `GET ${BATCHES}/{id}/results`:
        if (!store.isEnded(batch)) {
          return sendError(
            res,
            400,
            'invalid_request_error',
            `Message batch ${id} is still processing; results are not ready.`,
          );
        }
        {
          const cut = plan.downloadCut(batch.requests.length);
          if (cut) fault = cut.kind;
          return streamResults(res, store.resultLines(batch), cut);
        }
      default:
        return sendError(res, 405, 'invalid_request_error', `Method ${method} is not allowed here`);
    }
  };

  const list = (url: URL, res: ServerResponse, base: string) => {
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null ? 20 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      return sendError(res, 400, 'invalid_request_error', 'limit: Input should be between 1 and 1000');
    }
    const all = store.newestFirst();
    const afterId = url.searchParams.get('after_id');
    const beforeId = url.searchParams.get('before_id');
    let page: typeof all;
    let hasMore: boolean;
    if (beforeId) {
      const at = all.findIndex((b) => b.id === beforeId);
      const end = at === -1 ? 0 : at;
      const start = Math.max(0, end - limit);
      page = all.slice(start, end);
      hasMore = start > 0;
    } else {
      const at = afterId ? all.findIndex((b) => b.id === afterId) : -1;
      const start = afterId ? (at === -1 ? all.length : at + 1) : 0;
      page = all.slice(start, start + limit);
      hasMore = start + limit < all.length;
    }
    return sendJson(res, 200, {
      data: page.map((b) => store.view(b, base)),
      has_more: hasMore,
      first_id: page[0]?.id ?? null,
      last_id: page[page.length - 1]?.id ?? null,
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'api_error', `Emulator failure: ${(error as Error).message}`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    log,
    counts,
    injected: plan.injected,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Writes result lines with backpressure, in chunks of about 64 KB. With a `cut` (fault
 * injection), stops after `cut.lines` lines: a `truncate` ends the answer cleanly there; a
 * `reset` also sends half of the next line, then resets the connection.
 */
async function streamResults(
  res: ServerResponse,
  lines: Iterable<string>,
  cut?: DownloadCut | undefined,
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'application/x-jsonl',
    'request-id': res.getHeader('request-id') as string,
  });
  let chunk = '';
  let written = 0;
  for (const line of lines) {
    if (cut && written === cut.lines) {
      if (cut.kind === 'truncate') break;
      await new Promise<void>((resolve) =>
        res.write(chunk + line.slice(0, line.length >> 1), () => resolve()),
      );
      await new Promise((resolve) => setImmediate(resolve));
      res.socket?.resetAndDestroy();
      res.destroy();
      return;
    }
    written += 1;
    chunk += `${line}\n`;
    if (chunk.length >= 65_536) {
      const ok = res.write(chunk);
      chunk = '';
      if (!ok) await drained(res);
      if (res.destroyed) return;
    }
  }
  res.end(chunk);
}

/** Resolves when a response can take more data, or when it closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
