import { totalRequests } from '../core/api/batches.js';
import type { MessageBatch } from '../core/api/types.js';
import { formatDuration } from '../core/duration.js';
import { type BatchEntry, resultsExpireAt } from '../core/registry/registry.js';
import { fields, n, pct, relative, since, table, when } from './format.js';

/** The five counts in one line: `1,000 total · 0 processing · 990 succeeded · …`. */
/** What the registry knows of a batch, as the fields `list --json` and `status --json` add to it. */
export function registryFields(batch: MessageBatch, entry: BatchEntry | undefined) {
  return {
    label: entry?.label ?? null,
    source: entry?.source ?? entry?.requests_file ?? null,
    job_id: entry?.job?.id ?? null,
    results_expire_at: resultsExpireAt(batch.created_at).toISOString(),
  };
}

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

/** The human view of one batch, as `status` prints it (with what the registry knows of it). */
export function describeBatch(batch: MessageBatch, now: number, entry?: BatchEntry): string {
  const rows: Array<[string, string]> = [
    ['Batch', batch.id],
    ['Status', batch.processing_status],
    ['Created', when(batch.created_at)],
  ];
  if (entry?.label) rows.push(['Label', entry.label]);
  const source = entry?.source ?? entry?.requests_file;
  if (source) rows.push(['Source', source]);
  if (entry?.requests_file && entry.requests_file !== source) rows.push(['Requests', entry.requests_file]);
  if (entry?.job) rows.push(['Job', `${entry.job.id} (${entry.job.dir})`]);
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
  const expires = resultsExpireAt(batch.created_at).toISOString();
  const downloaded = entry?.downloaded_at ? ` · downloaded ${when(entry.downloaded_at)}` : '';
  rows.push([
    'Until',
    `${when(expires)} (${relative(expires, now)}): results can be downloaded until then${downloaded}`,
  ]);
  if (entry?.deleted_at) rows.push(['Deleted', when(entry.deleted_at)]);
  if (entry?.forgotten_at) rows.push(['Forgotten', when(entry.forgotten_at)]);
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
  createdShort: ['CREATED (UTC)', (b) => when(b.created_at).slice(0, 16)],
  ended: ['ENDED', (b) => when(b.ended_at)],
  took: [
    'TOOK',
    (b) => (b.ended_at ? formatDuration(Date.parse(b.ended_at) - Date.parse(b.created_at)) : '-'),
  ],
} satisfies Record<string, [string, (b: MessageBatch) => string]>;

export type BatchColumn = keyof typeof BATCH_COLUMNS;

/** The header cells of the given columns. */
export function batchHeader(columns: BatchColumn[]): string[] {
  return columns.map((c) => BATCH_COLUMNS[c][0]);
}

/** One batch's cells for the given columns. */
export function batchCells(batch: MessageBatch, columns: BatchColumn[]): string[] {
  return columns.map((c) => BATCH_COLUMNS[c][1](batch));
}

/** A table of batches with the given columns, in that order. */
export function batchTable(batches: MessageBatch[], columns: BatchColumn[]): string {
  return table(
    columns.map((c) => BATCH_COLUMNS[c][0]),
    batches.map((b) => columns.map((c) => BATCH_COLUMNS[c][1](b))),
  );
}
