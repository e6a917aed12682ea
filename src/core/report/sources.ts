/** Where a report's results come from: a results file, batches (downloaded), or a job (merged). */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { BatchClient } from '../api/client.js';
import type { MessageBatch } from '../api/types.js';
import { existingMapPathFor } from '../builder/sidecar.js';
import type { SplitBy } from '../builder/text.js';
import { openAtomicFile } from '../fs/atomic-file.js';
import { type Manifest, readManifest } from '../job/manifest.js';
import { mergeResults } from '../job/run.js';
import { inputReadingOf } from '../job/state.js';
import { type DownloadOptions, downloadResults } from '../results/download.js';
import type { ReportSource } from './data.js';
import type { ReportJoin } from './report.js';

/** Results ready to report on: files to read, what they are, and how to clean up. */
export interface ReportInput {
  results: string[];
  source: ReportSource;
  /** Removes the temporary files made for the report (none for a results file). */
  remove(): Promise<void>;
}

/** A results file as it is. */
export function fileInput(path: string): ReportInput {
  return {
    results: [path],
    source: {
      kind: 'file',
      title: basename(path),
      batch_ids: [],
      job_id: null,
      file: path,
      created_at: null,
      ended_at: null,
    },
    remove: async () => {},
  };
}

/** The header of a report on batches: their ids, the first creation and the last end. */
export function batchesSource(batches: MessageBatch[]): ReportSource {
  const created = batches.map((b) => b.created_at).sort();
  const ended = batches.map((b) => b.ended_at).filter((t): t is string => typeof t === 'string');
  const ids = batches.map((b) => b.id);
  return {
    kind: 'batch',
    title: ids.length === 1 ? (ids[0] as string) : `${ids.length} batches`,
    batch_ids: ids,
    job_id: null,
    file: null,
    created_at: created[0] ?? null,
    ended_at: ended.length === batches.length ? (ended.sort().at(-1) ?? null) : null,
  };
}

/** A private temporary folder and its removal. */
async function tempFolder(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'claude-batch-report-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The results of ended batches: the files already downloaded (`have`, by batch id) as they are,
 * the others downloaded (with `downloadResults`' checks and restarts) to a temporary folder.
 */
export async function batchesInput(
  client: BatchClient,
  ids: string[],
  options: Pick<DownloadOptions, 'signal' | 'onNotice' | 'onProgress'> & {
    have?: Record<string, string>;
    batches?: MessageBatch[];
  } = {},
): Promise<ReportInput> {
  const temp = await tempFolder();
  try {
    const results: string[] = [];
    const batches: MessageBatch[] = [];
    for (const id of ids) {
      const known = options.batches?.find((b) => b.id === id);
      const have = options.have?.[id];
      if (have !== undefined && known) {
        results.push(have);
        batches.push(known);
        continue;
      }
      const path = join(temp.dir, `${results.length + 1}.jsonl`);
      const { batch } = await downloadResults(client, id, await openAtomicFile(path), options);
      results.push(path);
      batches.push(batch);
    }
    return { results, source: batchesSource(batches), remove: temp.remove };
  } catch (error) {
    await temp.remove();
    throw error;
  }
}

/** The header of a job's report: its id, its batches, when it was made and when its last results came. */
export async function jobSource(dir: string, manifest: Manifest): Promise<ReportSource> {
  const attempts = manifest.shards.flatMap((s) => s.attempts);
  let ended: number | undefined;
  for (const a of attempts) {
    if (!a.results_file) continue;
    const at = await stat(join(dir, a.results_file)).then(
      (s) => s.mtimeMs,
      () => undefined,
    );
    if (at !== undefined && (ended === undefined || at > ended)) ended = at;
  }
  return {
    kind: 'job',
    title: manifest.job_id,
    batch_ids: attempts.map((a) => a.batch_id).filter((id): id is string => id !== null),
    job_id: manifest.job_id,
    file: null,
    created_at: manifest.created_at,
    ended_at: ended === undefined ? null : new Date(ended).toISOString(),
  };
}

/** A job's results, each custom_id from its latest attempt, merged into a temporary file. */
export async function jobInput(
  dir: string,
  manifest: Manifest = readManifest(dir) as Manifest,
): Promise<ReportInput> {
  const temp = await tempFolder();
  try {
    const path = join(temp.dir, 'results.jsonl');
    await mergeResults(dir, manifest, await openAtomicFile(path));
    return { results: [path], source: await jobSource(dir, manifest), remove: temp.remove };
  } catch (error) {
    await temp.remove();
    throw error;
  }
}

/** A job's own map (made by `run <source> INPUT`, in its folder), when it has one. */
export function jobOwnMap(dir: string): string | undefined {
  const path = existingMapPathFor(join(dir, 'input.jsonl'));
  return existsSync(path) ? path : undefined;
}

/**
 * The join a job's report makes by itself: a job run from an input (`run csv INPUT`…) keeps its
 * map, and its manifest names the input; when both are there, the rows get the input's cells.
 */
export function jobJoin(dir: string, manifest: Manifest): ReportJoin | undefined {
  const map = jobOwnMap(dir);
  const input = manifest.options.input;
  if (map === undefined || typeof input !== 'string' || !existsSync(input)) return undefined;
  const reading = inputReadingOf(manifest);
  return {
    input,
    map,
    source: reading.source,
    delimiter: reading.delimiter,
    splitBy: reading.splitBy as SplitBy | undefined,
  };
}
