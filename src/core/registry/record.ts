/** Recording what this tool creates: the one place batch records are made. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BatchClient } from '../api/client.js';
import type { MessageBatch } from '../api/types.js';
import { existingMapPathFor } from '../builder/sidecar.js';
import type { SentFile } from '../submit/submit.js';
import type { BatchRecord, Registry } from './registry.js';

/** What the command knows of a batch it creates, beyond the batch itself. */
export interface BatchOrigin {
  /** `submit`, `run` or `retry`. */
  command: string;
  label?: string | undefined;
  /** The request file sent (the registry keeps it absolute); none for stdin. */
  requestsFile?: string | undefined;
  /** The input the user named, when it is not the request file. */
  source?: string | undefined;
  /** The sidecar map; default: the request file's own, when it exists. */
  map?: string | undefined;
  job?: { id: string; dir: string } | undefined;
  /** `submit --reuse`: the file of reused results that completes the batch's. */
  reusedResults?: string | undefined;
  /** The betas the batch was sent with (`anthropic-beta`). */
  betas?: readonly string[] | undefined;
}

/** The sidecar of a request file, when one exists beside it. */
export function mapBeside(requestsFile: string): string | undefined {
  const map = resolve(existingMapPathFor(resolve(requestsFile)));
  return existsSync(map) ? map : undefined;
}

/** A batch's record, from the batch, the client that made it and where it came from. Never the key. */
export function batchRecord(
  client: Pick<BatchClient, 'baseUrl' | 'workspace'>,
  batch: MessageBatch,
  origin: BatchOrigin,
  file?: SentFile,
): BatchRecord {
  const requestsFile = origin.requestsFile === undefined ? null : resolve(origin.requestsFile);
  const map = origin.map ?? (requestsFile ? mapBeside(requestsFile) : undefined);
  return {
    id: batch.id,
    base_url: client.baseUrl,
    workspace: client.workspace ?? null,
    betas: [...(origin.betas ?? [])].sort(),
    label: origin.label ?? null,
    requests_file: requestsFile,
    requests_sha256: file?.sha256 ?? null,
    requests: file?.requests ?? totalOf(batch),
    source: origin.source === undefined ? null : resolve(origin.source),
    map: map === undefined ? null : resolve(map),
    job: origin.job ? { id: origin.job.id, dir: resolve(origin.job.dir) } : null,
    command: origin.command,
    created_at: batch.created_at,
    ...(origin.reusedResults === undefined ? {} : { reused_results: resolve(origin.reusedResults) }),
  };
}

function totalOf(batch: MessageBatch): number {
  const c = batch.request_counts;
  return c.processing + c.succeeded + c.errored + c.canceled + c.expired;
}

/** Records a batch just created (never throws: the registry warns once). */
export function recordBatch(
  registry: Registry | undefined,
  client: Pick<BatchClient, 'baseUrl' | 'workspace'>,
  batch: MessageBatch,
  origin: BatchOrigin,
  file?: SentFile,
): void {
  registry?.append({ event: 'batch', ...batchRecord(client, batch, origin, file) });
}

/**
 * Records that a batch's results were downloaded (to `path` when a file, with its size and mtime
 * as written, so that reuse can tell the file was rewritten since).
 */
export function recordDownload(registry: Registry | undefined, id: string, path?: string): void {
  if (!registry?.batch(id)) return;
  const file = path === undefined ? null : resolve(path);
  let stats: { size: number; mtime_ms: number } | undefined;
  try {
    if (file) {
      const s = statSync(file);
      stats = { size: s.size, mtime_ms: s.mtimeMs };
    }
  } catch {
    stats = undefined;
  }
  registry.append({ event: 'downloaded', id, at: new Date().toISOString(), path: file, ...stats });
}

/** Records that batches were seen ended (only those registered and not yet known ended). */
export function recordEnded(registry: Registry | undefined, batches: Array<MessageBatch | undefined>): void {
  if (!registry) return;
  const events = batches
    .filter((b): b is MessageBatch => b?.processing_status === 'ended')
    .filter((b) => {
      const entry = registry.batch(b.id);
      return entry !== undefined && !entry.ended_at;
    })
    .map((b) => ({ event: 'ended' as const, id: b.id, at: b.ended_at ?? new Date().toISOString() }));
  registry.append(...events);
}
