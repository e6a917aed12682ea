/**
 * Fault injection for the emulator: the parsing of a `--faults` SPEC and every decision about
 * which answer to break, made from a small seeded PRNG so that a run is the same for a given seed.
 * Pure: no I/O, and no clock but the one the server passes in. The server asks; this module answers.
 */
import { parseDuration } from '../core/duration.js';

/** The HTTP statuses a fault can answer with, and the API error type each carries. */
export const FAULT_STATUSES = {
  429: {
    type: 'rate_limit_error',
    message: 'Number of requests has exceeded your rate limit (emulated fault)',
  },
  500: { type: 'api_error', message: 'Internal server error (emulated fault)' },
  502: { type: 'api_error', message: 'Bad gateway (emulated fault)' },
  503: { type: 'api_error', message: 'Service unavailable (emulated fault)' },
  504: { type: 'api_error', message: 'Gateway timeout (emulated fault)' },
  529: { type: 'overloaded_error', message: 'Overloaded (emulated fault)' },
} as const;

export type FaultStatus = keyof typeof FAULT_STATUSES;

/** What a SPEC asks for. Shares are from 0 to 1; times are in milliseconds. */
export interface FaultSpec {
  /** Share of HTTP answers that are each error status instead. */
  errors: Partial<Record<FaultStatus, number>>;
  /**
   * The wait an injected error asks for (default 20 ms): sent as `retry-after-ms`, and as
   * `retry-after` in whole seconds (rounded up), as the API does.
   */
  retryAfterMs: number;
  /** Send only one form of that wait: `ms` (retry-after-ms), `seconds` or `date` (retry-after). */
  retryAfterOnly?: RetryAfterForm | undefined;
  /** Latency added to every answer (after the work is done, e.g. after a create). */
  slowMs: number;
  /** Retrieve and results answer 404 for this long after a batch is created. */
  notFoundAfterCreateMs: number;
  /** Share of creates whose connection is destroyed after the batch was created: the answer is lost. */
  lostCreate: number;
  /** Share of results downloads cut by a connection reset part-way (mid-line). */
  reset: number;
  /** Share of results downloads that end early and cleanly, at a line boundary. */
  truncate: number;
  /** Share of requests (per request and per attempt) that come back errored with a retryable type. */
  resultError: number;
  /** Share of requests (per request and per attempt) that come back expired. */
  resultExpire: number;
  /**
   * Share of structured answers (requests with `output_config.format`; per request and per
   * attempt) that come back succeeded but not matching their schema.
   */
  invalidOutput: number;
}

/** The forms of the wait an injected error asks for. */
export const RETRY_AFTER_FORMS = ['ms', 'seconds', 'date'] as const;
export type RetryAfterForm = (typeof RETRY_AFTER_FORMS)[number];

/**
 * The headers of an injected error: the wait (in every form, or only the one asked for) and
 * `x-should-retry: true`. A date is rounded up to the second, so a client that obeys it never
 * retries early; `now` is the wall clock the client will read it against.
 */
export function retryHeaders(spec: FaultSpec, now: number): Record<string, string> {
  const ms = spec.retryAfterMs;
  const all: Record<RetryAfterForm, [string, string]> = {
    ms: ['retry-after-ms', String(ms)],
    seconds: ['retry-after', String(Math.ceil(ms / 1000))],
    date: ['retry-after', new Date(Math.ceil((now + ms) / 1000) * 1000).toUTCString()],
  };
  const forms: RetryAfterForm[] = spec.retryAfterOnly ? [spec.retryAfterOnly] : ['ms', 'seconds'];
  return { ...Object.fromEntries(forms.map((form) => all[form])), 'x-should-retry': 'true' };
}

/** A SPEC that could not be parsed; the message names the bad item. */
export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

/** No faults at all. */
export function noFaults(): FaultSpec {
  return {
    errors: {},
    retryAfterMs: 20,
    slowMs: 0,
    notFoundAfterCreateMs: 0,
    lostCreate: 0,
    reset: 0,
    truncate: 0,
    resultError: 0,
    resultExpire: 0,
    invalidOutput: 0,
  };
}

type ShareKey = 'lostCreate' | 'reset' | 'truncate' | 'resultError' | 'resultExpire' | 'invalidOutput';
type TimeKey = 'retryAfterMs' | 'slowMs' | 'notFoundAfterCreateMs';

const SHARES: Record<string, ShareKey> = {
  'lost-create': 'lostCreate',
  reset: 'reset',
  truncate: 'truncate',
  'result-error': 'resultError',
  'result-expire': 'resultExpire',
  'invalid-output': 'invalidOutput',
};
const TIMES: Record<string, TimeKey> = {
  'retry-after': 'retryAfterMs',
  slow: 'slowMs',
  'notfound-after-create': 'notFoundAfterCreateMs',
};

const RETRY_AFTER_ONLY = 'retry-after-only';

/** Every kind a SPEC may name, for messages and help. */
export const FAULT_KINDS = [
  ...Object.keys(FAULT_STATUSES),
  ...Object.keys(TIMES),
  RETRY_AFTER_ONLY,
  ...Object.keys(SHARES),
];

function parseShare(kind: string, text: string): number {
  const t = text.trim();
  const percent = t.endsWith('%');
  const number = percent ? t.slice(0, -1).trim() : t;
  const value = /^\d+(\.\d+)?$|^\.\d+$/.test(number) ? Number(number) / (percent ? 100 : 1) : Number.NaN;
  if (!(value >= 0 && value <= 1)) {
    throw new FaultSpecError(`${kind}=${text}: a share from 0 to 1 (e.g. ${kind}=0.1 or ${kind}=10%)`);
  }
  return value;
}

/**
 * Parses a SPEC: a comma list of `kind=value`, e.g. `429=0.1,529=5%,slow=200ms,reset=0.3`.
 * Shares (HTTP statuses, lost-create, reset, truncate, result-error, result-expire, invalid-output) are from 0
 * to 1 or a percentage; times (slow, notfound-after-create, retry-after) are durations (`200ms`,
 * `2s`); `retry-after-only` is `ms`, `seconds` or `date`. An empty SPEC means no faults. Throws FaultSpecError naming the bad item.
 */
export function parseFaults(spec: string): FaultSpec {
  const out = noFaults();
  const seen = new Set<string>();
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new FaultSpecError(`${item}: expected kind=value (e.g. 429=0.1)`);
    const kind = item.slice(0, eq).trim().toLowerCase();
    const value = item.slice(eq + 1).trim();
    if (seen.has(kind)) throw new FaultSpecError(`${kind}: given twice`);
    seen.add(kind);
    if (kind in FAULT_STATUSES) {
      out.errors[Number(kind) as FaultStatus] = parseShare(kind, value);
    } else if (kind in SHARES) {
      out[SHARES[kind] as ShareKey] = parseShare(kind, value);
    } else if (kind in TIMES) {
      const ms = parseDuration(value);
      if (ms === undefined) throw new FaultSpecError(`${kind}=${value}: a duration such as 200ms or 2s`);
      out[TIMES[kind] as TimeKey] = ms;
    } else if (kind === RETRY_AFTER_ONLY) {
      const form = value.toLowerCase();
      if (!(RETRY_AFTER_FORMS as readonly string[]).includes(form)) {
        throw new FaultSpecError(`${kind}=${value}: one of ${RETRY_AFTER_FORMS.join(', ')}`);
      }
      out.retryAfterOnly = form as RetryAfterForm;
    } else {
      throw new FaultSpecError(`${kind}: unknown fault (known: ${FAULT_KINDS.join(', ')})`);
    }
  }
  const errorShare = Object.values(out.errors).reduce((a, b) => a + b, 0);
  if (errorShare > 1 + 1e-9) {
    throw new FaultSpecError(`the HTTP error shares add up to ${errorShare}, more than 1`);
  }
  if (out.reset + out.truncate > 1 + 1e-9) {
    throw new FaultSpecError('reset and truncate add up to more than 1');
  }
  if (out.resultError + out.resultExpire > 1 + 1e-9) {
    throw new FaultSpecError('result-error and result-expire add up to more than 1');
  }
  return out;
}

/** The SPEC in its canonical text form (only the faults that are on), e.g. for a banner. */
export function formatFaults(spec: FaultSpec): string {
  const parts: string[] = [];
  for (const [status, share] of Object.entries(spec.errors)) if (share) parts.push(`${status}=${share}`);
  for (const [kind, key] of Object.entries(TIMES)) {
    if (key === 'retryAfterMs') continue;
    if (spec[key]) parts.push(`${kind}=${spec[key]}ms`);
  }
  for (const [kind, key] of Object.entries(SHARES)) if (spec[key]) parts.push(`${kind}=${spec[key]}`);
  if (parts.length > 0 && Object.values(spec.errors).some(Boolean)) {
    parts.push(`retry-after=${spec.retryAfterMs}ms`);
    if (spec.retryAfterOnly) parts.push(`${RETRY_AFTER_ONLY}=${spec.retryAfterOnly}`);
  }
  return parts.join(',');
}

/** True when the SPEC injects anything. */
export function hasFaults(spec: FaultSpec): boolean {
  return formatFaults(spec) !== '';
}

/** mulberry32: a tiny, fast, seeded PRNG with uniform output in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over a string's UTF-16 code units: a 32-bit hash to seed per-item draws. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** One draw in [0, 1) that depends only on the seed and the given parts. */
export function drawFor(seed: number, ...parts: Array<string | number>): number {
  return mulberry32(hash32(`${seed >>> 0}\u0000${parts.join('\u0000')}`))();
}

/** An injected HTTP error. */
export interface HttpFault {
  status: FaultStatus;
  type: string;
  message: string;
  headers: Record<string, string>;
}

/** How a results download is broken: after `lines` whole lines, by a reset (mid-line) or a clean end. */
export interface DownloadCut {
  kind: 'reset' | 'truncate';
  lines: number;
}

/** The fate of one request of a batch, when a fault overrides it. */
export type ResultFault =
  | { outcome: 'errored'; errorType: string; errorMessage: string }
  | { outcome: 'expired' }
  | { outcome: 'succeeded'; invalidOutput: true };

const RETRYABLE_RESULT_ERRORS = ['overloaded_error', 'api_error'] as const;

/**
 * The decisions of one emulator. Each kind of decision has its own PRNG stream, so that, e.g.,
 * an extra status call does not change which downloads break. Result faults are drawn from
 * seed + custom_id + attempt (how many batches with that custom_id this emulator has seen),
 * so a resubmission of a failed request gets a fresh chance.
 */
export class FaultPlan {
  readonly spec: FaultSpec;
  readonly seed: number;
  /** How many faults were injected, by kind (`429`, `reset`, `lost-create`…). */
  readonly injected: Record<string, number> = {};
  private readonly httpDraw: () => number;
  private readonly createDraw: () => number;
  private readonly downloadDraw: () => number;
  private readonly attempts = new Map<string, number>();

  constructor(spec: FaultSpec = noFaults(), seed = 1) {
    this.spec = spec;
    this.seed = seed >>> 0;
    this.httpDraw = mulberry32(hash32(`${this.seed}/http`));
    this.createDraw = mulberry32(hash32(`${this.seed}/create`));
    this.downloadDraw = mulberry32(hash32(`${this.seed}/download`));
  }

  private count(kind: string): void {
    this.injected[kind] = (this.injected[kind] ?? 0) + 1;
  }

  /**
   * Whether this HTTP answer is replaced by an error (decided before any work is done). `now`
   * (the wall clock) dates a `retry-after-only=date` header.
   */
  httpFault(now: number = Date.now()): HttpFault | undefined {
    const entries = Object.entries(this.spec.errors).filter(([, share]) => share > 0);
    if (entries.length === 0) return undefined;
    const r = this.httpDraw();
    let edge = 0;
    for (const [status, share] of entries) {
      edge += share;
      if (r < edge) {
        const s = Number(status) as FaultStatus;
        this.count(status);
        return {
          status: s,
          ...FAULT_STATUSES[s],
          headers: retryHeaders(this.spec, now),
        };
      }
    }
    return undefined;
  }

  /** Whether this create's answer is lost (the batch is created, then the connection destroyed). */
  loseCreate(): boolean {
    if (this.spec.lostCreate <= 0) return false;
    const lost = this.createDraw() < this.spec.lostCreate;
    if (lost) this.count('lost-create');
    return lost;
  }

  /** Whether a batch created at `createdAt` is still hidden (404) at `now`. */
  hidden(createdAt: number, now: number): boolean {
    const hide = now - createdAt < this.spec.notFoundAfterCreateMs;
    if (hide) this.count('notfound-after-create');
    return hide;
  }

  /** Whether (and where) this results download of `total` lines is cut. */
  downloadCut(total: number): DownloadCut | undefined {
    if (this.spec.reset <= 0 && this.spec.truncate <= 0) return undefined;
    const r = this.downloadDraw();
    const where = this.downloadDraw();
    let kind: DownloadCut['kind'] | undefined;
    if (r < this.spec.reset) kind = 'reset';
    else if (r < this.spec.reset + this.spec.truncate) kind = 'truncate';
    if (!kind) return undefined;
    // Somewhere in the middle: from a tenth to nine tenths of the way (a truncate keeps one line short at least).
    let lines = Math.floor(total * (0.1 + 0.8 * where));
    if (kind === 'truncate') lines = Math.min(lines, Math.max(0, total - 1));
    this.count(kind);
    return { kind, lines };
  }

  /**
   * The fault (if any) for one request of a newly created batch. Each call counts one attempt
   * for the custom_id, so the same id in a later batch is drawn afresh.
   */
  resultFault(customId: string): ResultFault | undefined {
    const attempt = (this.attempts.get(customId) ?? 0) + 1;
    this.attempts.set(customId, attempt);
    const { resultError, resultExpire, invalidOutput } = this.spec;
    if (resultError <= 0 && resultExpire <= 0 && invalidOutput <= 0) return undefined;
    const r = drawFor(this.seed, 'result', customId, attempt);
    if (r < resultError) {
      const type =
        RETRYABLE_RESULT_ERRORS[Math.floor(drawFor(this.seed, 'type', customId, attempt) * 2)] ??
        'overloaded_error';
      this.count('result-error');
      return {
        outcome: 'errored',
        errorType: type,
        errorMessage: `Emulated ${type} (result-error fault, attempt ${attempt})`,
      };
    }
    if (r < resultError + resultExpire) {
      this.count('result-expire');
      return { outcome: 'expired' };
    }
    // Drawn apart: whether a succeeded structured answer breaks its schema (counted when it does).
    if (invalidOutput > 0 && drawFor(this.seed, 'output', customId, attempt) < invalidOutput) {
      return { outcome: 'succeeded', invalidOutput: true };
    }
    return undefined;
  }
}
