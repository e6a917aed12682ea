/**
 * The emulator's endpoints: a route table (method + path pattern → one handler) and the
 * handlers. Shared concerns (auth, request ids, injected faults, logging) are the server's;
 * a handler reads its request, does its work, and answers, or throws an ApiFailure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { estimateTokens, promptCharacters } from '../core/cost/tokens.js';
import { isRecord } from '../core/is-record.js';
import type { DownloadCut, FaultPlan } from './faults.js';
import { checkJsonContentType } from './headers.js';
import { ApiFailure, BodyTooLarge, readBody, sendJson } from './http.js';
import type { ModelInfo } from './models.js';
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
  /** The models served, newest first (`GET /v1/models`); a request for another is errored. */
  models: readonly ModelInfo[];
  /** The cap on requests of unfinished batches (the processing queue); undefined: none. */
  queueLimit?: number | undefined;
}

/** One request being answered. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  /** The id in the path (decoded: a batch's or a model's), for the routes that have one. */
  id: string | undefined;
  /** The URL the client reached the emulator at (for `results_url`). */
  base: string;
  /**
   * Whether to answer the beta shapes: the path has `?beta=true` (as some SDKs send for beta
   * calls) or the request names a beta in `anthropic-beta` (the TypeScript SDK's beta calls send
   * no query, only the header).
   */
  beta: boolean;
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
const MODELS = '/v1/models';
const COUNT_TOKENS_MAX_BYTES = 32 * 1024 * 1024;

/** The body keys count_tokens takes (the SDK's MessageCountTokensParams, headers aside). */
const COUNT_TOKENS_KEYS = [
  'messages',
  'model',
  'cache_control',
  'output_config',
  'speed',
  'system',
  'thinking',
  'tool_choice',
  'tools',
];
/** What the beta count_tokens takes on top (BetaMessageCountTokensParams). */
const BETA_COUNT_TOKENS_KEYS = [
  'billing_policy',
  'compaction',
  'context_management',
  'mcp_servers',
  'output_format',
];

function route(method: string, path: string, handler: Handler, slowAfterWork = false): Route {
  const pattern = new RegExp(`^${path.replace('{id}', '([^/]+)')}$`);
  return { method, path, pattern, handler, ...(slowAfterWork ? { slowAfterWork } : {}) };
}

const invalid = (message: string) => new ApiFailure(400, 'invalid_request_error', message);

/**
 * The body as JSON, sent as JSON (content-type): a body over `limit` bytes is a 413
 * `request_too_large`, one that is not JSON a 400.
 */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  try {
    checkJsonContentType(req);
  } catch (error) {
    req.resume();
    throw error;
  }
  let text: string;
  try {
    text = (await readBody(req, limit)).toString('utf8');
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    throw new ApiFailure(
      413,
      'request_too_large',
      `Request exceeds the maximum allowed number of bytes (${limit}).`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid(`body: Invalid JSON: ${(error as Error).message}`);
  }
}

/** The error the API answers for a model it does not serve. */
function unknownModel(model: string): ApiFailure {
  return new ApiFailure(404, 'not_found_error', `model: ${model}`);
}

async function create(x: Exchange, state: EmulatorState): Promise<void> {
  const body = await readJson(x.req, state.maxBodyBytes);
  let created: BatchRecord;
  try {
    const requests = checkCreateBody(body, state.maxRequests);
    checkQueue(state, requests.length);
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

/** Refuses a create that would put the processing queue over the account's cap, as the API does. */
function checkQueue(state: EmulatorState, adding: number): void {
  if (state.queueLimit === undefined) return;
  const { queued, nextEndMs } = state.store.queue();
  if (queued + adding <= state.queueLimit) return;
  throw new ApiFailure(
    429,
    'rate_limit_error',
    `This batch's ${adding} requests would exceed your organization's limit of ${state.queueLimit} batch requests in the processing queue (${queued} queued). Wait for batches to end before creating more.`,
    { 'retry-after': String(Math.max(1, Math.ceil((nextEndMs ?? 1000) / 1000))) },
  );
}

/**
 * One page of a list, newest first, in the API's shape (`limit` 1–1000, default 20;
 * `before_id`, `after_id`).
 */
function page<T extends { id: string }>(x: Exchange, all: readonly T[]) {
  const { searchParams } = x.url;
  const limitText = searchParams.get('limit');
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw invalid('limit: Input should be between 1 and 1000');
  }
  const afterId = searchParams.get('after_id');
  const beforeId = searchParams.get('before_id');
  let data: readonly T[];
  let hasMore: boolean;
  if (beforeId) {
    const at = all.findIndex((b) => b.id === beforeId);
    const end = at === -1 ? 0 : at;
    const start = Math.max(0, end - limit);
    data = all.slice(start, end);
    hasMore = start > 0;
  } else {
    const at = afterId ? all.findIndex((b) => b.id === afterId) : -1;
    const start = afterId ? (at === -1 ? all.length : at + 1) : 0;
    data = all.slice(start, start + limit);
    hasMore = start + limit < all.length;
  }
  return {
    data,
    has_more: hasMore,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
  };
}

function list(x: Exchange, state: EmulatorState): void {
  const { data, ...rest } = page(x, state.store.newestFirst());
  sendJson(x.res, 200, { data: data.map((b) => state.store.view(b, x.base)), ...rest });
}

/** A model as the call asks for it: the beta shape adds `allowed_fallback_models`. */
const modelView = (x: Exchange, model: ModelInfo) =>
  x.beta ? { ...model, allowed_fallback_models: null } : model;

function listModels(x: Exchange, state: EmulatorState): void {
  x.req.resume();
  const { data, ...rest } = page(x, state.models);
  sendJson(x.res, 200, { data: data.map((m) => modelView(x, m)), ...rest });
}

function retrieveModel(x: Exchange, state: EmulatorState): void {
  x.req.resume();
  const model = state.models.find((m) => m.id === x.id);
  if (!model) throw unknownModel(x.id as string);
  sendJson(x.res, 200, modelView(x, model));
}

async function countTokens(x: Exchange, state: EmulatorState): Promise<void> {
  const body = await readJson(x.req, COUNT_TOKENS_MAX_BYTES);
  if (!isRecord(body)) throw invalid('body: Input should be a valid dictionary');
  const allowed = x.beta ? [...COUNT_TOKENS_KEYS, ...BETA_COUNT_TOKENS_KEYS] : COUNT_TOKENS_KEYS;
  const extra = Object.keys(body).find((key) => !allowed.includes(key));
  if (extra !== undefined) throw invalid(`${extra}: Extra inputs are not permitted`);
  if (body.model === undefined) throw invalid('model: Field required');
  if (typeof body.model !== 'string') throw invalid('model: Input should be a valid string');
  if (body.messages === undefined) throw invalid('messages: Field required');
  if (!Array.isArray(body.messages)) throw invalid('messages: Input should be a valid list');
  const model = body.model;
  if (!state.models.some((m) => m.id === model)) throw unknownModel(model);
  const tools = body.tools ? JSON.stringify(body.tools).length : 0;
  const inputTokens = estimateTokens(promptCharacters(body) + tools);
  sendJson(
    x.res,
    200,
    x.beta ? { context_management: null, input_tokens: inputTokens } : { input_tokens: inputTokens },
  );
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
  return streamResults(x.res, state.store.resultLines(batch, x.beta), cut);
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
  route('GET', MODELS, listModels),
  route('GET', `${MODELS}/{id}`, retrieveModel),
];

/** A path no route has: 404. */
const notFound: Handler = (x) => {
  x.req.resume();
  throw new ApiFailure(404, 'not_found_error', `Not found: ${x.method} ${x.url.pathname}`);
};

/** A known path asked with a method it does not take: 405, with the methods it takes in `allow`. */
const wrongMethod =
  (allow: string[]): Handler =>
  (x) => {
    x.req.resume();
    throw new ApiFailure(
      405,
      'invalid_request_error',
      `Method ${x.method} is not allowed for ${x.url.pathname}`,
      {
        allow: allow.join(', '),
      },
    );
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
  const allow: string[] = [];
  for (const r of ROUTES) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    const id = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
    if (r.method === method) return { name: `${method} ${r.path}`, id, route: r, handler: r.handler };
    samePath ??= { route: r, id };
    allow.push(r.method);
  }
  if (samePath) {
    return {
      name: `${method} ${samePath.route.path}`,
      id: samePath.id,
      route: undefined,
      handler: wrongMethod(allow),
    };
  }
  return { name: `${method} ${path}`, id: undefined, route: undefined, handler: notFound };
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
