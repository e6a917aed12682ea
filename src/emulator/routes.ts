/**
 * The emulator's endpoints: a route table (method + path pattern → one handler) and the
 * handlers. Shared concerns (auth, request ids, injected faults, logging) are the server's;
 * a handler reads its request, does its work, and answers, or throws an ApiFailure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { estimateTokens, promptCharacters } from '../core/cost/tokens.js';
import type { DownloadCut, FaultPlan } from './faults.js';
import { ApiFailure, BodyTooLarge, readBody, sendJson } from './http.js';
import type { BatchRecord, BatchStore } from './store.js';
import { CreateError, checkCreateBody, SAMPLING_REMOVED_IN } from './validate.js';

/** What every handler may use: the store, the fault plan and the limits. */
export interface EmulatorState {
  store: BatchStore;
  plan: FaultPlan;
  now: () => number;
  /** Waits the `slow` fault's latency (resolves at once without it). */
  slow: () => Promise<void>;
  maxBodyBytes: number;
  maxRequests: number;
}

/** One request being answered. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  /** The batch id in the path (decoded), for the routes that have one. */
  id: string | undefined;
  /** The URL the client reached the emulator at (for `results_url`). */
  base: string;
  /** Marks this answer as carrying an injected fault (it is logged with it). */
  fault(kind: string): void;
}

type Handler = (x: Exchange, state: EmulatorState) => void | Promise<void>;

/** One endpoint. */
export interface Route {
  method: string;
  /** The path, with `{id}` for a batch id: also the route's name in the emulator's counts. */
  path: string;
  pattern: RegExp;
  handler: Handler;
  /** The handler waits the `slow` latency itself, after its work (a create creates first). */
  slowAfterWork?: boolean;
}

export const BATCHES = '/v1/messages/batches';
const COUNT_TOKENS = '/v1/messages/count_tokens';
const COUNT_TOKENS_MAX_BYTES = 32 * 1024 * 1024;

function route(method: string, path: string, handler: Handler, slowAfterWork = false): Route {
  const pattern = new RegExp(`^${path.replace('{id}', '([^/]+)')}$`);
  return { method, path, pattern, handler, ...(slowAfterWork ? { slowAfterWork } : {}) };
}

/** The body as JSON; a body over `limit` bytes throws BodyTooLarge, one that is not JSON a SyntaxError. */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  return JSON.parse((await readBody(req, limit)).toString('utf8'));
}

const invalid = (message: string) => new ApiFailure(400, 'invalid_request_error', message);

async function create(x: Exchange, state: EmulatorState): Promise<void> {
  let body: unknown;
  try {
    body = await readJson(x.req, state.maxBodyBytes);
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      throw new ApiFailure(
        413,
        'request_too_large',
        `Request exceeds the maximum allowed number of bytes (${state.maxBodyBytes}).`,
      );
    }
    throw invalid(`body: Invalid JSON: ${(error as Error).message}`);
  }
  let created: BatchRecord;
  try {
    const requests = checkCreateBody(body, state.maxRequests);
    const version = String(x.req.headers['anthropic-version'] ?? SAMPLING_REMOVED_IN);
    created = state.store.create(requests, version);
  } catch (error) {
    if (error instanceof CreateError) throw invalid(error.message);
    throw error;
  }
  await state.slow();
  if (state.plan.loseCreate()) {
    // The batch exists, but its answer never arrives: the client cannot tell whether it was created.
    x.fault('lost-create');
    x.res.destroy();
    return;
  }
  sendJson(x.res, 200, state.store.view(created, x.base));
}

function list(x: Exchange, state: EmulatorState): void {
  const { searchParams } = x.url;
  const limitText = searchParams.get('limit');
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw invalid('limit: Input should be between 1 and 1000');
  }
  const all = state.store.newestFirst();
  const afterId = searchParams.get('after_id');
  const beforeId = searchParams.get('before_id');
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
  sendJson(x.res, 200, {
    data: page.map((b) => state.store.view(b, x.base)),
    has_more: hasMore,
    first_id: page[0]?.id ?? null,
    last_id: page[page.length - 1]?.id ?? null,
  });
}

async function countTokens(x: Exchange): Promise<void> {
  let body: Record<string, unknown>;
  try {
    body = (await readJson(x.req, COUNT_TOKENS_MAX_BYTES)) as Record<string, unknown>;
  } catch {
    throw invalid('body: Invalid JSON');
  }
  if (typeof body?.model !== 'string') throw invalid('model: Field required');
  if (!Array.isArray(body.messages)) throw invalid('messages: Field required');
  const tools = body.tools ? JSON.stringify(body.tools).length : 0;
  sendJson(x.res, 200, { input_tokens: estimateTokens(promptCharacters(body) + tools) });
}

type BatchHandler = (
  x: Exchange,
  state: EmulatorState,
  batch: BatchRecord,
  id: string,
) => void | Promise<void>;

/**
 * A handler for a route with a batch id: the body is discarded, and a batch that does not exist
 * (or, with `hiddenAfterCreate`, that the notfound-after-create fault still hides) is a 404.
 */
function withBatch(handler: BatchHandler, hiddenAfterCreate = false): Handler {
  return (x, state) => {
    x.req.resume();
    const id = x.id as string;
    const batch = state.store.get(id);
    const hidden =
      batch !== undefined && hiddenAfterCreate && state.plan.hidden(batch.createdAt, state.now());
    if (hidden) x.fault('notfound-after-create');
    if (!batch || hidden)
      throw new ApiFailure(404, 'not_found_error', `No message batch found with id '${id}'.`);
    return handler(x, state, batch, id);
  };
}

const retrieve: BatchHandler = (x, state, batch) => sendJson(x.res, 200, state.store.view(batch, x.base));

const cancel: BatchHandler = (x, state, batch) => {
  state.store.cancel(batch);
  sendJson(x.res, 200, state.store.view(batch, x.base));
};

const remove: BatchHandler = (x, state, batch, id) => {
  if (!state.store.delete(batch)) {
    throw invalid(`Message batch ${id} cannot be deleted while it is still processing. Cancel it first.`);
  }
  sendJson(x.res, 200, { id, type: 'message_batch_deleted' });
};

const results: BatchHandler = (x, state, batch, id) => {
  if (!state.store.isEnded(batch))
    throw invalid(`Message batch ${id} is still processing; results are not ready.`);
  const cut = state.plan.downloadCut(batch.requests.length);
  if (cut) x.fault(cut.kind);
  return streamResults(x.res, state.store.resultLines(batch), cut);
};

/** Every endpoint the emulator serves. */
export const ROUTES: readonly Route[] = [
  route('POST', BATCHES, create, true),
  route('GET', BATCHES, list),
  route('GET', `${BATCHES}/{id}`, withBatch(retrieve, true)),
  route('POST', `${BATCHES}/{id}/cancel`, withBatch(cancel)),
  route('DELETE', `${BATCHES}/{id}`, withBatch(remove)),
  route('GET', `${BATCHES}/{id}/results`, withBatch(results, true)),
  route('POST', COUNT_TOKENS, countTokens),
];

/** A known path asked with a method it does not take: 405 for an existing batch, else 404. */
const wrongMethod: Handler = (x, state) => {
  if (x.id === undefined) {
    x.req.resume();
    throw new ApiFailure(404, 'not_found_error', `Not found: ${x.method} ${x.url.pathname}`);
  }
  return withBatch(() => {
    throw new ApiFailure(405, 'invalid_request_error', `Method ${x.method} is not allowed here`);
  })(x, state);
};

/** What a request resolves to: its name in the counts, its batch id, and what answers it. */
export interface Resolved {
  name: string;
  id: string | undefined;
  route: Route | undefined;
  handler: Handler;
}

/**
 * Finds the route of a request. A path no route has is named by itself; a path that a route has
 * under another method is named by that route's pattern (e.g. `PUT /v1/messages/batches/{id}`).
 */
export function resolve(method: string, path: string): Resolved {
  let samePath: { route: Route; id: string | undefined } | undefined;
  for (const r of ROUTES) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    const id = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
    if (r.method === method) return { name: `${method} ${r.path}`, id, route: r, handler: r.handler };
    samePath ??= { route: r, id };
  }
  if (samePath) {
    return {
      name: `${method} ${samePath.route.path}`,
      id: samePath.id,
      route: undefined,
      handler: wrongMethod,
    };
  }
  return { name: `${method} ${path}`, id: undefined, route: undefined, handler: wrongMethod };
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
