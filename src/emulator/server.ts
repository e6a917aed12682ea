import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { MAX_BATCH_BYTES, MAX_BATCH_REQUESTS } from '../core/requests/limits.js';
import { DEFAULT_PROCESSING_MS } from './defaults.js';
import { FaultPlan, type FaultSpec, noFaults, parseFaults } from './faults.js';
import { checkBetas, checkVersion } from './headers.js';
import { ApiFailure, drain, randomId, sendError } from './http.js';
import { modelInfos } from './models.js';
import { type EmulatorState, type Exchange, type Resolved, resolve } from './routes.js';
import { BatchStore } from './store.js';

export { DEFAULT_PROCESSING_MS } from './defaults.js';

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
   * The account's cap on batch requests waiting in the processing queue: a create that would put
   * the requests of unfinished batches over it is refused with a 429 `rate_limit_error` and a
   * `retry-after` (the seconds until the next batch ends), as the API does. Default: no cap.
   */
  queueLimit?: number | undefined;
  /**
   * The minimum cacheable prefix in tokens, for every model (default: the API's table by model,
   * `MIN_CACHEABLE_TOKENS`); 0 caches any prefix marked with `cache_control`.
   */
  minCacheTokens?: number | undefined;
  /**
   * Faults to inject: a SPEC such as `429=0.1,slow=200ms,reset=0.3` (see `parseFaults`) or a
   * parsed FaultSpec. Default: none.
   */
  faults?: string | FaultSpec | undefined;
  /** Seed of the fault decisions: the same seed gives the same faults (default 1). */
  seed?: number | undefined;
  /**
   * Model names served on top of the API's (`KNOWN_MODELS`), e.g. for a test of a newer model;
   * a request for a model in neither comes back errored `not_found_error`.
   */
  models?: readonly string[] | undefined;
}

/** One HTTP request the emulator answered. */
export interface LoggedRequest {
  /** When the request was received (wall clock, ms since the epoch). */
  at: number;
  method: string;
  path: string;
  status: number;
  /** The fault injected into this answer, if any (`429`, `lost-create`, `reset`, `truncate`…). */
  fault?: string;
  /** The request's `anthropic-beta` header, when it had one. */
  beta?: string;
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

function credentialOf(req: IncomingMessage): string | undefined {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key.trim()) return key.trim();
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  return m?.[1]?.trim() || undefined;
}

/** A 401 for a request without a key, or with another key than the one the emulator accepts. */
function authFailure(req: IncomingMessage, apiKey: string | undefined): ApiFailure | undefined {
  const key = credentialOf(req);
  if (key && (apiKey === undefined || key === apiKey)) return undefined;
  return new ApiFailure(
    401,
    'authentication_error',
    key ? 'invalid x-api-key' : 'x-api-key header is required',
  );
}

/** The state every handler shares, from the options. */
function emulatorState(options: EmulatorOptions, faults: FaultSpec): EmulatorState {
  const now = options.now ?? Date.now;
  const processingMs = options.processingTimeMs ?? DEFAULT_PROCESSING_MS;
  const plan = new FaultPlan(faults, options.seed ?? 1);
  const models = modelInfos(options.models);
  return {
    store: new BatchStore({
      resultFault: (customId) => plan.resultFault(customId),
      now,
      processingMs,
      cancelMs: options.cancelTimeMs ?? Math.min(1000, processingMs / 10),
      answerSize: options.answerSize,
      minCacheTokens: options.minCacheTokens,
      models: new Set(models.map((m) => m.id)),
    }),
    models,
    plan,
    now,
    slow: () => (faults.slowMs > 0 ? delay(faults.slowMs) : Promise.resolve()),
    maxBodyBytes: options.maxBodyBytes ?? MAX_BATCH_BYTES,
    maxRequests: options.maxRequests ?? MAX_BATCH_REQUESTS,
    queueLimit: options.queueLimit,
  };
}

/**
 * Logs each answer once it is sent, with the fault it carried: an answer cut on purpose (a
 * fault) is logged when its connection closes, any other when it finishes.
 */
function logAnswer(log: LoggedRequest[], entry: Omit<LoggedRequest, 'status'>, res: ServerResponse): void {
  const record = () => {
    log.push({
      at: entry.at,
      method: entry.method,
      path: entry.path,
      status: res.statusCode,
      ...(entry.fault ? { fault: entry.fault } : {}),
      ...(entry.beta ? { beta: entry.beta } : {}),
    });
    if (log.length > 10_000) log.shift();
  };
  res.on('finish', () => {
    if (!entry.fault) record();
  });
  res.on('close', () => {
    if (entry.fault) record();
  });
}

/**
 * Takes in one request: gives it a request id, finds its route, counts it, and logs its answer
 * once sent. Returns what its handler gets.
 */
function receive(
  req: IncomingMessage,
  res: ServerResponse,
  log: LoggedRequest[],
  counts: Record<string, number>,
): { x: Exchange; target: Resolved } {
  const at = Date.now();
  res.setHeader('request-id', randomId('req_', 22));
  const url = new URL(req.url ?? '/', 'http://emulator');
  const method = (req.method ?? 'GET').toUpperCase();
  const target = resolve(method, url.pathname);
  counts[target.name] = (counts[target.name] ?? 0) + 1;
  const beta = req.headers['anthropic-beta'];
  const entry: Omit<LoggedRequest, 'status'> = {
    at,
    method,
    path: url.pathname,
    ...(beta ? { beta: String(beta) } : {}),
  };
  logAnswer(log, entry, res);
  const x: Exchange = {
    req,
    res,
    method,
    url,
    id: target.id,
    base: `http://${req.headers.host ?? 'localhost'}`,
    beta: url.searchParams.get('beta') === 'true' || Boolean(req.headers['anthropic-beta']),
    fault: (kind) => {
      entry.fault = kind;
    },
  };
  return { x, target };
}

/**
 * Refuses a query parameter given more than once (`limit=1&limit=2`), as the API does; an array
 * parameter (`lifecycle[]=a&lifecycle[]=b`, as the SDK writes arrays) may repeat.
 */
function checkQuery(url: URL): void {
  const seen = new Set<string>();
  for (const key of url.searchParams.keys()) {
    if (seen.has(key) && !key.endsWith('[]')) {
      throw new ApiFailure(400, 'invalid_request_error', `${key}: query parameter given more than once`);
    }
    seen.add(key);
  }
}

/** The injected HTTP error for this request, if the plan draws one (its body is read first). */
async function injectedError(x: Exchange, state: EmulatorState): Promise<ApiFailure | undefined> {
  const injected = state.plan.httpFault(Date.now());
  if (!injected) return undefined;
  x.fault(String(injected.status));
  await drain(x.req);
  await state.slow();
  return new ApiFailure(injected.status, injected.type, injected.message, injected.headers);
}

/** Sends what a handler threw: an ApiFailure in the API's error shape, anything else as a 500. */
function sendFailure(res: ServerResponse, error: unknown): void {
  if (res.headersSent) res.destroy();
  else if (error instanceof ApiFailure)
    sendError(res, error.status, error.type, error.message, error.headers);
  else sendError(res, 500, 'api_error', `Emulator failure: ${(error as Error).message}`);
}

/**
 * Starts a local HTTP server that behaves like the Message Batches API: the six batch endpoints,
 * count_tokens and the models (see ROUTES in routes.ts), the checks the API makes on headers
 * (`anthropic-version`, `anthropic-beta`, a JSON content type), the API's error shapes and headers, batches that
 * end after a set time, and deterministic answers. Test triggers in a prompt:
 * `EMULATE_ERROR=<type>`, `EMULATE_EXPIRE`; for structured outputs, `EMULATE_INVALID_OUTPUT` (JSON that
 * breaks the schema) and `EMULATE_TRUNCATED_OUTPUT` (JSON cut short, stop_reason max_tokens).
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const faults =
    typeof options.faults === 'string' ? parseFaults(options.faults) : (options.faults ?? noFaults());
  const state = emulatorState(options, faults);
  const log: LoggedRequest[] = [];
  const counts: Record<string, number> = {};

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { x, target } = receive(req, res, log, counts);
    try {
      const refused = authFailure(req, options.apiKey);
      if (refused) throw refused;
      checkVersion(req);
      checkBetas(req);
      if (target.route) checkQuery(x.url);
    } catch (error) {
      req.resume();
      throw error;
    }
    const injected = await injectedError(x, state);
    if (injected) throw injected;
    if (!target.route?.slowAfterWork) await state.slow();
    await target.handler(x, state);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendFailure(res, error));
  });
  server.keepAliveTimeout = 5000;
  return listen(server, options, { log, counts, injected: state.plan.injected, faults });
}

/** Starts listening, and describes the running emulator. */
async function listen(
  server: Server,
  options: EmulatorOptions,
  parts: Pick<Emulator, 'log' | 'counts' | 'injected' | 'faults'>,
): Promise<Emulator> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    ...parts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
