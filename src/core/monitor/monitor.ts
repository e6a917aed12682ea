import { getBatch } from '../api/batches.js';
import type { BatchClient } from '../api/client.js';
import { callApi } from '../api/errors.js';
import { sleep as realSleep, retryDelayFor } from '../api/retry.js';
import type { MessageBatch } from '../api/types.js';
import { formatDuration } from '../duration.js';
import { BatchStateError, CliError, InterruptedError } from '../errors.js';
import { nextPollDelay, retryPolicy } from './schedule.js';

/** What one poll saw. */
export interface PollSnapshot {
  /** When the poll ended (ms since the epoch). */
  at: number;
  /** The latest state of every watched batch, in the order asked for (undefined: not seen yet). */
  batches: Array<MessageBatch | undefined>;
  /** Ids fetched at this poll (the ones still running before it). */
  polled: string[];
  /** Ids whose status or counts changed at this poll (every id, at the first poll). */
  changed: string[];
  /** API requests this poll made. */
  requests: number;
}

/** Options for {@link monitorBatches}. Clock and sleep are injectable, so a simulated hour takes no time. */
export interface MonitorOptions {
  /** A fixed poll interval; by default it adapts to the batches' age. */
  intervalMs?: number | undefined;
  /** Give up (exit code 5) when this much time has passed (since `startedAt`). */
  timeoutMs?: number | undefined;
  /**
   * When the `timeoutMs` clock started, in `now()` time (default: when the watch starts). A job
   * gives its own start, so that its waits share one deadline instead of each starting afresh.
   */
  startedAt?: number | undefined;
  signal?: AbortSignal | undefined;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The jitter's source for waits after a failed poll, uniform in [0, 1) (default Math.random). */
  random?: () => number;
  onPoll?: (poll: PollSnapshot) => void | Promise<void>;
  onWarning?: (message: string) => void;
  /**
   * How long a batch that cannot be found is waited for (the API can 404 just after a create).
   * Default 0: an id the API does not know is not found at once. Give a grace only for batches
   * this process has just created (a job does).
   */
  notFoundGraceMs?: number;
  /** Stop watching after a poll for which this is true (default: once every batch has ended). */
  stopWhen?: (poll: PollSnapshot) => boolean;
}

/** How a watch ended. */
export interface MonitorResult {
  batches: MessageBatch[];
  polls: number;
  requests: number;
}

const ageOf = (b: MessageBatch | undefined, now: number) => (b ? now - Date.parse(b.created_at) : undefined);
const fingerprint = (b: MessageBatch) => `${b.processing_status}/${JSON.stringify(b.request_counts)}`;

/**
 * Fetches the state of several batches with as few requests as it can: one id is retrieved;
 * several are looked up in `list` pages (newest first), stopping as soon as every id is found or
 * the page is older than the oldest of them, and the few not found are retrieved one by one.
 */
export async function fetchBatches(
  client: BatchClient,
  ids: string[],
  known: ReadonlyMap<string, MessageBatch>,
  signal?: AbortSignal,
): Promise<{ found: Map<string, MessageBatch>; requests: number }> {
  const found = new Map<string, MessageBatch>();
  let requests = 0;
  if (ids.length > 1) {
    const wanted = new Set(ids);
    const oldest = ids.every((id) => known.has(id))
      ? Math.min(...ids.map((id) => Date.parse((known.get(id) as MessageBatch).created_at)))
      : undefined;
    let afterId: string | undefined;
    for (let page = 0; page < 5 && found.size < wanted.size; page += 1) {
      const answer = await callApi({ baseUrl: client.baseUrl }, () =>
        client.sdk.messages.batches.list(
          { limit: Math.min(1000, ids.length + 20), ...(afterId ? { after_id: afterId } : {}) },
          { signal },
        ),
      );
      requests += 1;
      for (const b of answer.data) if (wanted.has(b.id)) found.set(b.id, b);
      const last = answer.data.at(-1);
      if (!answer.has_more || !last) break;
      if (oldest !== undefined && Date.parse(last.created_at) < oldest) break;
      afterId = last.id;
    }
  }
  for (const id of ids) {
    if (found.has(id)) continue;
    found.set(id, await getBatch(client, id, { signal }));
    requests += 1;
  }
  return { found, requests };
}

/**
 * Polls batches until every one has ended, on the adaptive schedule (or a fixed interval).
 * Network errors, 429, 5xx/529 (as the SDK's rules and the API's x-should-retry say), and a 404
 * just after creation are waited out (the API's retry-after, or a jittered backoff) and
 * reported through `onWarning`; a watch never ends on a blip. Throws exit-5 on timeout and an
 * InterruptedError when the signal is aborted (the batches themselves keep running).
 */
export async function monitorBatches(
  client: BatchClient,
  ids: string[],
  options: MonitorOptions = {},
): Promise<MonitorResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const grace = options.notFoundGraceMs ?? 0;
  const start = now();
  const timeoutFrom = options.startedAt ?? start;
  const latest = new Map<string, MessageBatch>();
  const seen = new Map<string, string>();
  let polls = 0;
  let requests = 0;
  let failures = 0;

  const pending = () => ids.filter((id) => latest.get(id)?.processing_status !== 'ended');
  const wait = async (ms: number) => {
    const left = options.timeoutMs === undefined ? ms : Math.min(ms, timeoutFrom + options.timeoutMs - now());
    if (left > 0) await sleep(left, options.signal);
    if (options.timeoutMs !== undefined && now() - timeoutFrom >= options.timeoutMs) {
      const running = pending();
      throw new CliError(
        `Timed out after ${formatDuration(options.timeoutMs)}; still running: ${running.join(' ')}`,
        {
          kind: 'timeout',
          hint: `the batches keep running; watch again with: claude-batch monitor ${running.join(' ')}`,
        },
      );
    }
  };

  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const todo = pending();
      if (todo.length === 0) break;
      try {
        const { found, requests: made } = await fetchBatches(client, todo, latest, options.signal);
        requests += made;
        failures = 0;
        polls += 1;
        const changed: string[] = [];
        for (const [id, batch] of found) {
          latest.set(id, batch);
          const print = fingerprint(batch);
          if (seen.get(id) !== print) changed.push(id);
          seen.set(id, print);
        }
        const poll: PollSnapshot = {
          at: now(),
          batches: ids.map((id) => latest.get(id)),
          polled: todo,
          changed,
          requests: made,
        };
        await options.onPoll?.(poll);
        if (options.stopWhen?.(poll)) break;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        const unseen404 =
          error instanceof BatchStateError && !latest.has(error.batchId) && now() - start < grace;
        const delay = retryDelayFor(error, failures + 1, {
          ...retryPolicy(nextPollDelay([], options.intervalMs)),
          retryIf: () => unseen404,
          now,
          ...(options.random ? { random: options.random } : {}),
        });
        if (delay === undefined) throw error;
        failures += 1;
        const message = error instanceof Error ? error.message : String(error);
        options.onWarning?.(`${message} — retrying (attempt ${failures + 1})`);
        await wait(delay);
        continue;
      }
      if (pending().length === 0) break;
      await wait(
        nextPollDelay(
          pending().map((id) => ageOf(latest.get(id), now())),
          options.intervalMs,
        ),
      );
    }
  } catch (error) {
    if (options.signal?.aborted && !(error instanceof CliError && error.kind === 'timeout')) {
      throw new InterruptedError(
        'Monitoring stopped (the batches keep running)',
        `watch again with: claude-batch monitor ${pending().join(' ')}`,
      );
    }
    throw error;
  }
  return { batches: ids.map((id) => latest.get(id) as MessageBatch), polls, requests };
}
