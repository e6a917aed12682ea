import { totalRequests } from '../core/api/batches.js';
import type { MessageBatch } from '../core/api/types.js';
import { formatDuration } from '../core/duration.js';
import { count, fields, n, pct, when } from './format.js';
import { batchTable } from './render-batch.js';

/** How long a batch took: ended_at − created_at (the batch's time, not the watcher's). */
export function processingMs(b: MessageBatch): number | undefined {
  return b.ended_at ? Date.parse(b.ended_at) - Date.parse(b.created_at) : undefined;
}

/**
 * One line for a batch while it is watched. Counts stay `processing` until the end, so a running
 * batch shows its age, its time to expiry and its size, never a fake percentage.
 */
export function batchLine(id: string, b: MessageBatch | undefined, now: number): string {
  if (!b) return `${id}  waiting for the API to show it…`;
  const total = count(totalRequests(b), 'request');
  if (b.processing_status === 'ended') {
    const c = b.request_counts;
    return `${id}  ended after ${formatDuration(processingMs(b) ?? 0)} · ${total}: ${n(c.succeeded)} succeeded, ${n(c.errored)} errored, ${n(c.canceled)} canceled, ${n(c.expired)} expired`;
  }
  const age = formatDuration(now - Date.parse(b.created_at));
  const left = formatDuration(Math.max(0, Date.parse(b.expires_at) - now));
  return `${id}  ${b.processing_status} · ${total} · age ${age} · expires in ${left}`;
}

/**
 * The live text of a watch (a spinner's): one line per batch, and the totals for several; later
 * lines are indented to sit under the spinner's first.
 */
export function liveText(ids: string[], batches: Array<MessageBatch | undefined>, now: number): string {
  return [
    ...ids.map((id, i) => batchLine(id, batches[i], now)),
    ...(ids.length > 1 ? [totalsLine(batches)] : []),
  ].join('\n  ');
}

/** The combined line for several batches. */
export function totalsLine(batches: Array<MessageBatch | undefined>): string {
  const known = batches.filter((b): b is MessageBatch => b !== undefined);
  const ended = known.filter((b) => b.processing_status === 'ended').length;
  const requests = known.reduce((sum, b) => sum + totalRequests(b), 0);
  return `${batches.length} batches: ${ended} ended, ${batches.length - ended} running · ${n(requests)} requests in all`;
}

/** The end-of-watch summary of one batch, as the original monitor printed it. */
export function batchSummary(b: MessageBatch): string {
  const c = b.request_counts;
  const total = totalRequests(b);
  const share = (x: number) => (total === 0 ? '' : ` (${pct(x / total)})`);
  return `${b.id}  ${b.processing_status}\n${fields([
    ['  Total', n(total)],
    ['  Succeeded', `${n(c.succeeded)}${share(c.succeeded)}`],
    ['  Errored', `${n(c.errored)}${share(c.errored)}`],
    ['  Expired', n(c.expired)],
    ['  Canceled', n(c.canceled)],
    [
      '  Processing',
      `${formatDuration(processingMs(b) ?? 0)} (created ${when(b.created_at)}, ended ${when(b.ended_at)})`,
    ],
  ])}`;
}

/** A batch as one JSON object for `--json` lines and the log. */
export function batchRecord(b: MessageBatch, now: number) {
  return {
    id: b.id,
    processing_status: b.processing_status,
    request_counts: b.request_counts,
    total: totalRequests(b),
    age_seconds: Math.round((now - Date.parse(b.created_at)) / 1000),
    processing_seconds: b.ended_at ? Math.round((processingMs(b) ?? 0) / 1000) : null,
  };
}

/** The end-of-watch summary of several batches: one row each, then the totals. */
export function batchesTable(batches: MessageBatch[]): string {
  const sum = (key: 'succeeded' | 'errored' | 'expired' | 'canceled') =>
    batches.reduce((s, b) => s + b.request_counts[key], 0);
  const total = batches.reduce((s, b) => s + totalRequests(b), 0);
  return [
    batchTable(batches, ['batch', 'status', 'total', 'succeeded', 'errored', 'expired', 'canceled', 'took']),
    `${count(batches.length, 'batch', 'batches')}: ${n(total)} requests · ${n(sum('succeeded'))} succeeded${total ? ` (${pct(sum('succeeded') / total)})` : ''} · ${n(sum('errored'))} errored · ${n(sum('expired'))} expired · ${n(sum('canceled'))} canceled`,
  ].join('\n');
}
