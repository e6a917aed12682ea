/** What `monitor` writes besides its display: the poll log and each batch's results path. */
import { appendFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageBatch } from '../api/types.js';
import { UsageError } from '../errors.js';
import { assertWritable } from '../fs/atomic-file.js';

/**
 * Where each batch's results go: FILE for one batch, DIR/<id>.jsonl for several (or when FILE is
 * a folder, or ends with `/`; the folder is created). Every path is checked to be writable now,
 * before hours of watching.
 */
export async function resultPaths(
  ids: string[],
  target: string | undefined,
  force: boolean,
): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  if (target === undefined) return paths;
  const existingDir = await stat(target)
    .then((s) => s.isDirectory())
    .catch(() => false);
  if (ids.length > 1 && !existingDir && /\.jsonl?$/i.test(target)) {
    throw new UsageError(
      `--results ${target} names a file, but ${ids.length} batches need a folder (one <id>.jsonl each)`,
      'give a folder, e.g. --results results/',
    );
  }
  const isDir = ids.length > 1 || target.endsWith('/') || existingDir;
  if (isDir) await mkdir(target, { recursive: true });
  for (const id of ids) {
    const path = isDir ? join(target, `${id}.jsonl`) : target;
    await assertWritable(path, force, '--results');
    paths.set(id, path);
  }
  return paths;
}

/** The log line of one batch at one poll. */
export function pollLogLine(b: MessageBatch, at: number): string {
  return `${JSON.stringify({
    timestamp: new Date(at).toISOString(),
    batch_id: b.id,
    elapsed_seconds: Math.round((at - Date.parse(b.created_at)) / 1000),
    processing_status: b.processing_status,
    ...b.request_counts,
  })}\n`;
}

/** Appends one line per batch polled to the log (appended, never truncated). */
export async function appendPollLog(path: string, batches: MessageBatch[], at: number): Promise<void> {
  if (batches.length === 0) return;
  await appendFile(path, batches.map((b) => pollLogLine(b, at)).join(''));
}
