import { createHash, type Hash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { unknownBetaWarnings } from '../api/betas.js';
import type { BatchClient } from '../api/client.js';
import { toCliError } from '../api/errors.js';
import { findCreatedBatches } from '../api/reconcile.js';
import {
  apiErrorOf,
  askedDelay,
  describeFailure,
  isTransient,
  type RetryPolicy,
  retryDelayFor,
  shouldRetry,
  sleep,
} from '../api/retry.js';
import type { MessageBatch } from '../api/types.js';
import { checkBudget } from '../cost/budget.js';
import { type Estimate, estimateCost } from '../cost/estimate.js';
import { BUILT_IN_PRICES, type PriceTable } from '../cost/prices.js';
import { CliError, EnvironmentError, InterruptedError, systemCode } from '../errors.js';
import { isBlank, readLines } from '../fs/lines.js';
import { assertReadableFile } from '../fs/readable.js';
import { spoolToFile } from '../fs/spool.js';
import { Chunker } from '../fs/streams.js';
import { openSource, type RequestFileStats, validateRequests } from '../requests/file.js';
import { requestFileWarnings, strictError } from '../requests/warnings.js';

/** Where the requests come from: a file path, or a stream (stdin) that is spooled to disk first. */
export type RequestSource =
  | { path: string; name?: string }
  | { stream: AsyncIterable<Uint8Array>; name?: string };

/** Options for {@link submitRequests}. */
export interface SubmitOptions {
  /** Validate and summarise only; send nothing. */
  dryRun?: boolean;
  signal?: AbortSignal | undefined;
  /** Called once the file is known to be valid, before anything is sent; throwing stops the submit. */
  onValidated?: (stats: RequestFileStats) => void | Promise<void>;
  /**
   * Called as soon as the batch is known to exist (from the create's answer, or found after a
   * lost answer), before anything else can fail or be interrupted: the place to print its id.
   */
  onCreated?: (batch: MessageBatch, file: SentFile) => void;
  /** Called with a line saying what happened when a create is retried or its batch is looked for. */
  onNotice?: (message: string) => void;
  /** Most creates sent when their answers are lost and no batch turns up (default 3). */
  maxCreateAttempts?: number;
  /**
   * First wait before creating again after a 429 without a retry-after, or before looking for
   * the batch after a lost answer; doubling up to 8 s, less up to a quarter of jitter (default 1000 ms).
   */
  reconcileDelayMs?: number;
  /** Prices for the cost estimate, made for a dry run and whenever `maxCost` is set. */
  prices?: PriceTable;
  /** A budget in USD: refused (nothing sent) when the estimated ceiling is over it or unknown. */
  maxCost?: number | undefined;
  /**
   * Called with each warning about the requests (an unknown model or one without a price, prompts
   * over the context window), once the file is valid and before anything is sent.
   */
  onWarning?: (message: string) => void;
  /** Refuse (nothing sent) when there is any such warning. */
  strict?: boolean | undefined;
  /** The jitter's source, uniform in [0, 1) (default Math.random). */
  random?: () => number;
  /**
   * Beta features for the whole batch: sent as the `anthropic-beta` header of the create (a batch's
   * betas are per batch, not per request). Passed through unchecked: the API knows its betas.
   */
  betas?: readonly string[] | undefined;
  /**
   * Called when the API refuses a create with a 429 (nothing was created: the account's rate or
   * processing-queue limit); once it resolves, the create is sent again. With it, a 429 is never
   * final and does not count against `maxCreateAttempts` (a job waits for room in the queue);
   * without it, a 429 is retried after the wait the API asks for, up to `maxCreateAttempts`.
   */
  onRateLimited?: (refusal: RateLimited) => Promise<void>;
  /**
   * Ids of batches known not to be this create's (a job's other batches): never taken for it when
   * the list is looked at after a lost answer or an interruption.
   */
  exclude?: (() => ReadonlySet<string>) | undefined;
}

/** The `anthropic-beta` header for a list of betas (none when the list is empty). */
export function betaHeaders(betas: readonly string[] | undefined): Record<string, string> {
  return betas && betas.length > 0 ? { 'anthropic-beta': betas.join(',') } : {};
}

/** A create refused with a 429: nothing was created. */
export interface RateLimited {
  /** `429 rate_limit_error`. */
  reason: string;
  /** The API's message. */
  message: string;
  /** The wait the API asked for (retry-after), if any. */
  askedMs: number | undefined;
  /** How many times in a row this create was refused. */
  refusals: number;
  /**
   * True when no earlier create of this submit lost its answer: nothing of it can exist, so the
   * next create's intent may be recorded afresh.
   */
  nothingSent: boolean;
}

/** The request file a batch was made from, as it was sent. */
export interface SentFile {
  /** The file's sha256 (of the bytes validated and sent). */
  sha256: string;
  requests: number;
}

/** The longest wait a 429's retry-after may impose on a create. */
export const MAX_CREATE_RETRY_AFTER_MS = 60_000;

/** What a submit did: the file's figures, and the batch unless it was a dry run. */
export interface SubmitResult {
  stats: RequestFileStats;
  batch?: MessageBatch;
  /** True when the create's answer was lost and the batch was found in the list instead. */
  recovered?: boolean;
  /** The cost estimate (a dry run, or a budget was checked). */
  estimate?: Estimate;
  /** The request file's own size in bytes (the body sent differs: `{"requests":[…]}`, no blank lines). */
  fileBytes: number;
  /** Warnings about the requests (also given to `onWarning`). */
  warnings: string[];
}

/** Default bound on create attempts (each after a check that the previous one created nothing). */
export const MAX_CREATE_ATTEMPTS = 3;

const CHUNK_BYTES = 1 << 20;
const OPEN = Buffer.from('{"requests":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

/**
 * The create body, streamed from the file: `{"requests":[` + each non-blank line + `]}`.
 * Lines are sent as they are in the file (already validated), grouped into ~1 MB chunks, so
 * memory stays flat whatever the file's size.
 */
export async function* requestBody(path: string): AsyncGenerator<Uint8Array> {
  const chunker = new Chunker(CHUNK_BYTES);
  chunker.add(OPEN);
  let first = true;
  for await (const { bytes } of readLines(openSource(path))) {
    if (isBlank(bytes)) continue;
    if (!first) chunker.add(COMMA);
    first = false;
    if (chunker.add(bytes)) yield* chunker.take();
  }
  chunker.add(CLOSE);
  yield* chunker.take();
}

/** Passes a source's chunks through, adding each to `hash`. */
async function* hashing(source: AsyncIterable<Uint8Array>, hash: Hash): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
}

/**
 * Yields a source's chunks until the signal is aborted, then throws an InterruptedError at once,
 * even while waiting for the next chunk (a Ctrl-C stops a long validation or a wait on stdin).
 */
export async function* abortable<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal | undefined,
): AsyncGenerator<T> {
  if (!signal) {
    yield* source;
    return;
  }
  const iterator = source[Symbol.asyncIterator]();
  // One listener per read, removed as soon as the read settles: racing every read against one
  // long-lived promise would keep every chunk reachable from it (hundreds of MB for a big file).
  const next = () =>
    new Promise<IteratorResult<T>>((resolve, reject) => {
      const onAbort = () => reject(new InterruptedError());
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      iterator.next().then(
        (result) => {
          signal.removeEventListener('abort', onAbort);
          resolve(result);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  let finished = false;
  try {
    for (;;) {
      const result = await next();
      if (result.done) {
        finished = true;
        return;
      }
      yield result.value;
    }
  } finally {
    if (!finished) {
      // A stream is destroyed (stdin must not keep the process alive); iterator.return() would
      // wait for the pending read, which may never settle.
      const stream = source as { destroy?: unknown };
      if (typeof stream.destroy === 'function') (stream.destroy as () => void).call(source);
      else iterator.return?.()?.catch(() => {});
    }
  }
}

/**
 * Validates a request file, then creates one batch from it with a streamed body. Nothing is
 * sent unless every line is valid. One call never creates two batches: the SDK's automatic
 * retries are off for the create, and when its answer is lost (no answer, a timeout, a 5xx),
 * the list is checked for a batch created since with the same request count before creating
 * again (at most `maxCreateAttempts` creates). A 429 is retried after a wait (nothing was
 * created). If interrupted while a create is in flight or after a lost answer, the list is checked
 * briefly (from that create's send, `exclude` left out) so that a batch that was created is still
 * reported through `onCreated`; interrupted when every create so far was refused, nothing is looked for.
 */
export async function submitRequests(
  client: BatchClient | undefined,
  source: RequestSource,
  options: SubmitOptions = {},
): Promise<SubmitResult> {
  const spooled =
    'stream' in source ? await spoolToFile(abortable(source.stream, options.signal)) : undefined;
  const path = spooled?.path ?? (source as { path: string }).path;
  const name = source.name ?? ('path' in source ? source.path : 'stdin');
  try {
    await assertReadableFile(path, name, 'check the path (use - to read stdin)');
    const before = await stat(path);
    const hash = createHash('sha256');
    const stats = await validateRequests(abortable(hashing(openSource(path), hash), options.signal), {
      file: name,
    });
    const sent: SentFile = { sha256: hash.digest('hex'), requests: stats.requests };
    const warnings = [
      ...unknownBetaWarnings(options.betas),
      ...requestFileWarnings(stats, options.prices ?? BUILT_IN_PRICES),
    ];
    if (options.strict && warnings.length > 0) throw strictError(warnings, 'sent');
    for (const warning of warnings) options.onWarning?.(warning);
    let estimate: Estimate | undefined;
    if (options.dryRun || options.maxCost !== undefined) {
      estimate = await estimateCost(stats, options.prices ?? BUILT_IN_PRICES);
      checkBudget(estimate, options.maxCost);
    }
    const withEstimate = estimate ? { estimate, warnings } : { warnings };
    await options.onValidated?.(stats);
    if (options.dryRun || !client) return { stats, fileBytes: before.size, ...withEstimate };

    const now = await stat(path);
    if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) {
      throw new CliError(`${name} changed while it was being checked; nothing was sent`, {
        kind: 'usage',
        hint: 'run the command again once the file is complete',
      });
    }
    const batch = await createOnce(client, path, stats, options, sent);
    return {
      stats,
      fileBytes: before.size,
      batch: batch.batch,
      ...(batch.recovered ? { recovered: true } : {}),
      ...withEstimate,
    };
  } finally {
    await spooled?.remove();
  }
}

/** Creates the batch, never twice: see {@link submitRequests}. */
async function createOnce(
  client: BatchClient,
  path: string,
  stats: RequestFileStats,
  options: SubmitOptions,
  sent: SentFile,
): Promise<{ batch: MessageBatch; recovered: boolean }> {
  const { signal } = options;
  if (signal?.aborted) throw new InterruptedError('Interrupted before anything was sent');
  const track: CreateTrack = { since: Date.now(), sending: false, lost: false };
  try {
    return await createLoop(client, path, stats, options, track, sent);
  } catch (error) {
    if (!signal?.aborted) throw error;
    // Only refusals (429: nothing created) so far: there is nothing to look for, and a batch of
    // the same size made meanwhile by someone else must not be taken for this one.
    if (!track.sending && !track.lost) {
      throw new InterruptedError('Interrupted before the batch was created', 'no batch was created');
    }
    // Interrupted while a create may have gone through. Look briefly (without the aborted
    // signal), from the send it may come from, so that a batch that exists is still reported.
    const found = await findCreatedBatches(client, stats.requests, track.since, {
      signal: AbortSignal.timeout(3000),
      maxRetries: 0,
      ...(options.exclude ? { exclude: options.exclude() } : {}),
    }).catch(() => undefined);
    const only = found?.candidates.length === 1 ? found.candidates[0] : undefined;
    if (only) {
      options.onCreated?.(only, sent);
      throw new InterruptedError(
        `Interrupted; batch ${only.id} had been created (its id is on stdout)`,
        `follow it with: claude-batch status ${only.id}`,
      );
    }
    throw new InterruptedError(
      'Interrupted while the batch was being created',
      found
        ? found.candidates.length > 1
          ? `batches that may be this one: ${found.candidates.map((b) => b.id).join(', ')}`
          : 'no batch was created'
        : 'a batch may have been created: check `claude-batch list` before submitting again',
    );
  }
}

/**
 * What the creates so far may have made, for a look at the list once interrupted: `sending` while a
 * create is awaited, `lost` once an answer was lost (its create may exist); `since` is when the
 * first create that may exist was sent (the latest send while every earlier one was refused).
 */
interface CreateTrack {
  since: number;
  sending: boolean;
  lost: boolean;
}

/** Connection failures that happen before any byte is sent: a create that fails so created nothing. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** One create, its body streamed from the file; the failure is returned, not thrown. */
async function sendCreate(
  client: BatchClient,
  path: string,
  signal: AbortSignal | undefined,
  betas: readonly string[] | undefined,
): Promise<{ batch: MessageBatch } | { failure: unknown }> {
  try {
    const batch = await client.sdk.messages.batches.create(
      { requests: [] },
      {
        body: requestBody(path),
        headers: { 'content-type': 'application/json', ...betaHeaders(betas) },
        maxRetries: 0,
        signal,
      },
    );
    return { batch };
  } catch (failure) {
    return { failure };
  }
}

/** Throws at once for a failure that leaves nothing to wait out or look for. */
function throwIfFinal(failure: unknown, client: BatchClient): void {
  const code = systemCode(failure);
  if (code !== undefined && NEVER_CONNECTED.has(code)) {
    // No connection was made, so no byte of the create reached the API.
    throw new EnvironmentError(`Cannot reach the API at ${client.baseUrl}; nothing was sent`, {
      code,
      cause: failure,
    });
  }
  if (!isTransient(failure)) throw toCliError(failure, { baseUrl: client.baseUrl });
}

/** After a lost answer: the batches created since the first create with this file's request count. */
async function lookForCreated(
  client: BatchClient,
  stats: RequestFileStats,
  since: number,
  reason: string,
  options: SubmitOptions,
): Promise<MessageBatch[]> {
  const { signal } = options;
  try {
    const exclude = options.exclude?.();
    return (
      await findCreatedBatches(client, stats.requests, since, { signal, ...(exclude ? { exclude } : {}) })
    ).candidates;
  } catch (error) {
    if (error instanceof CliError || signal?.aborted) throw error;
    throw new CliError(
      `The create's answer was lost (${reason}) and the API could not be checked for the batch (${describeFailure(error)})`,
      {
        hint: 'a batch may have been created: check `claude-batch list` before submitting again',
        cause: error,
      },
    );
  }
}

/**
 * The creates: a 429 (nothing created) is retried after the wait the API asks for; a lost answer
 * is followed by a look at the list before anything is created again (see {@link submitRequests}).
 */
async function createLoop(
  client: BatchClient,
  path: string,
  stats: RequestFileStats,
  options: SubmitOptions,
  track: CreateTrack,
  sent: SentFile,
): Promise<{ batch: MessageBatch; recovered: boolean }> {
  const { signal } = options;
  const maxAttempts = Math.max(1, options.maxCreateAttempts ?? MAX_CREATE_ATTEMPTS);
  const notice = (message: string) => options.onNotice?.(message);
  const created = (batch: MessageBatch, recovered: boolean) => {
    options.onCreated?.(batch, sent);
    return { batch, recovered };
  };
  const policy: RetryPolicy = {
    baseMs: options.reconcileDelayMs ?? 1000,
    maxMs: 8000,
    maxAskedMs: MAX_CREATE_RETRY_AFTER_MS,
    ...(options.random ? { random: options.random } : {}),
  };
  let lookups = 0;
  let refusals = 0;
  for (let attempt = 1; ; attempt += 1) {
    // The list window: refused creates made nothing, so until an answer is lost it opens at the latest send.
    if (!track.lost) track.since = Date.now();
    track.sending = true;
    const sent = await sendCreate(client, path, signal, options.betas);
    if ('batch' in sent) return created(sent.batch, false);
    const { failure } = sent;
    // Interrupted during the create: it may have gone through (`sending` stays set).
    if (signal?.aborted) throw failure;
    track.sending = false;
    throwIfFinal(failure, client);
    const reason = describeFailure(failure);
    if (apiErrorOf(failure)?.status === 429 && options.onRateLimited) {
      // Refused before any work: nothing was created; the caller decides how long to wait.
      refusals += 1;
      const api = apiErrorOf(failure);
      await options.onRateLimited({
        reason,
        message: (api?.error as { error?: { message?: string } } | undefined)?.error?.message ?? reason,
        askedMs: askedDelay(api?.headers),
        refusals,
        nothingSent: lookups === 0,
      });
      attempt -= 1;
      continue;
    }
    if (apiErrorOf(failure)?.status === 429) {
      // Refused before any work: nothing was created. Retried as the SDK would (retry-after, x-should-retry).
      const wait = retryDelayFor(failure, attempt, policy);
      if (attempt >= maxAttempts || wait === undefined)
        throw toCliError(failure, { baseUrl: client.baseUrl });
      notice(
        `The create was rate limited (${reason}); nothing was created. Trying again in ${seconds(wait)} (attempt ${attempt + 1} of ${maxAttempts}).`,
      );
      await sleep(wait, signal);
      continue;
    }
    lookups += 1;
    track.lost = true;
    notice(`The create's answer was lost (${reason}); checking whether the batch was created…`);
    // The outcome is unknown, so the list is checked even if the API says not to retry.
    await sleep(retryDelayFor(failure, lookups, { ...policy, retryIf: isTransient }) ?? 0, signal);
    const [only, ...more] = await lookForCreated(client, stats, track.since, reason, options);
    if (only && more.length === 0) {
      notice(
        `Found batch ${only.id} (created ${only.created_at}, ${stats.requests} request${stats.requests === 1 ? '' : 's'}): the create had gone through; not creating another.`,
      );
      return created(only, true);
    }
    if (only) {
      const all = [only, ...more];
      throw new CliError(
        `The create's answer was lost (${reason}) and ${all.length} batches of ${stats.requests} requests were created since: ${all.map((b) => b.id).join(', ')}`,
        {
          hint: "one is probably this submit's: check them with `claude-batch status`; nothing more was created",
        },
      );
    }
    if (attempt >= maxAttempts || !shouldRetry(failure)) {
      throw new CliError(
        `The create failed ${attempt} time${attempt === 1 ? '' : 's'} (last: ${reason}); no batch was created`,
        { hint: 'the API is busy or failing: try again in a few minutes', cause: failure },
      );
    }
    notice(`No batch was created; creating it again (attempt ${attempt + 1} of ${maxAttempts}).`);
  }
}

/** A wait for a notice: `250 ms`, `3 s`, `1.5 s`. */
function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 100) / 10} s`;
}
