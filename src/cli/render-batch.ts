import { totalRequests } from '../core/api/batches.js';
import type { MessageBatch } from '../core/api/types.js';
import { formatDuration } from '../core/duration.js';
import { fields, n, pct, relative, since, table, when } from './format.js';

/** The five counts in one line: `1,000 total · 0 processing · 990 succeeded · …`. */
export function countsLine(batch: MessageBatch): string {
  const c = batch.request_counts;
  return [
    `${n(totalRequests(batch))} total`,
    `${n(c.processing)} processing`,
    `${n(c.succeeded)} succeeded`,
    `${n(c.errored)} errored`,
    `${n(c.canceled)} canceled`,
    `${n(c.expired)} expired`,
  ].join(' · ');
}

/** Share of succeeded requests once a batch has ended. */
export function successRate(batch: MessageBatch): number {
  const total = totalRequests(batch);
  return total === 0 ? 0 : batch.request_counts.succeeded / total;
}

/** The human view of one batch, as `status` prints it. */
export function describeBatch(batch: MessageBatch, now: number): string {
  const rows: Array<[string, string]> = [
    ['Batch', batch.id],
    ['Status', batch.processing_status],
    ['Created', when(batch.created_at)],
  ];
  if (batch.ended_at) {
    const took = new Date(batch.ended_at).getTime() - new Date(batch.created_at).getTime();
    rows.push(['Ended', `${when(batch.ended_at)} (after ${formatDuration(took)})`]);
  } else {
    rows.push(['Age', formatDuration(since(batch.created_at, now))]);
    rows.push(['Expires', `${when(batch.expires_at)} (${relative(batch.expires_at, now)})`]);
  }
  if (batch.cancel_initiated_at) rows.push(['Cancel', `initiated ${when(batch.cancel_initiated_at)}`]);
  if (batch.archived_at) rows.push(['Archived', when(batch.archived_at)]);
  rows.push(['Requests', countsLine(batch)]);
  if (batch.processing_status === 'ended') {
    rows.push(['Success', pct(successRate(batch))]);
    rows.push(['Results', batch.results_url ?? '-']);
  }
  return fields(rows);
}

/** The columns a table of batches can have: a header and how each batch fills it. */
const BATCH_COLUMNS = {
  id: ['ID', (b) => b.id],
  batch: ['BATCH', (b) => b.id],
  status: ['STATUS', (b) => b.processing_status],
  total: ['TOTAL', (b) => n(totalRequests(b))],
  requests: ['REQUESTS', (b) => n(totalRequests(b))],
  processing: ['PROCESSING', (b) => n(b.request_counts.processing)],
  succeeded: ['SUCCEEDED', (b) => n(b.request_counts.succeeded)],
  errored: ['ERRORED', (b) => n(b.request_counts.errored)],
  canceled: ['CANCELED', (b) => n(b.request_counts.canceled)],
  expired: ['EXPIRED', (b) => n(b.request_counts.expired)],
  failed: [
    'FAILED',
    (b) => n(b.request_counts.errored + b.request_counts.canceled + b.request_counts.expired),
  ],
  created: ['CREATED', (b) => when(b.created_at)],
  ended: ['ENDED', (b) => when(b.ended_at)],
  took: [
    'TOOK',
    (b) => (b.ended_at ? formatDuration(Date.parse(b.ended_at) - Date.parse(b.created_at)) : '-'),
  ],
} satisfies Record<string, [string, (b: MessageBatch) => string]>;

export type BatchColumn = keyof typeof BATCH_COLUMNS;

/** A table of batches with the given columns, in that order. */
export function batchTable(batches: MessageBatch[], columns: BatchColumn[]): string {
  return table(
    columns.map((c) => BATCH_COLUMNS[c][0]),
    batches.map((b) => columns.map((c) => BATCH_COLUMNS[c][1](b))),
  );
}
