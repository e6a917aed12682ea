/** A job's merged results files: its own `results.jsonl` and every `--results` path it was given. */

import { createReadStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertWritable, openAtomicFile } from '../fs/atomic-file.js';
import { READ_CHUNK_BYTES } from '../fs/memory.js';
import type { ResultsSummary } from '../results/summary.js';
import { type Manifest, writeManifest } from './manifest.js';
import { jobOutputSpecs, mergeResults } from './run.js';

/** Every file that holds the job's merged results: its own first, then those the user named. */
export function jobResultsFiles(dir: string, manifest: Manifest): string[] {
  return [join(dir, 'results.jsonl'), ...(manifest.results_files ?? [])];
}

/**
 * Checks, before anything is sent, that the results can go to `path`: a file the job already
 * writes is the job's to replace; any other existing file needs `force`.
 */
export async function assertResultsTarget(
  dir: string,
  manifest: Manifest | undefined,
  path: string,
  force: boolean,
): Promise<void> {
  const target = resolve(path);
  const owned = manifest ? jobResultsFiles(dir, manifest) : [join(dir, 'results.jsonl')];
  if (owned.includes(target)) return;
  await assertWritable(target, force, '--results');
}

/**
 * Merges the job's results (each custom_id from its latest attempt) into every results file of
 * the job, each replaced atomically; `add` (a `--results` path) is remembered for later merges
 * (a retry, a re-run) so that no file the user named goes stale.
 */
export async function writeJobResults(
  dir: string,
  manifest: Manifest,
  options: { add?: string | undefined; force?: boolean | undefined } = {},
): Promise<{ summary: ResultsSummary; files: string[] }> {
  if (options.add !== undefined) {
    const added = resolve(options.add);
    if (!jobResultsFiles(dir, manifest).includes(added)) {
      await assertWritable(added, options.force === true, '--results');
      manifest.results_files = [...(manifest.results_files ?? []), added];
      writeManifest(dir, manifest);
    }
  }
  const [first, ...others] = jobResultsFiles(dir, manifest) as [string, ...string[]];
  const specs = await jobOutputSpecs(dir, manifest);
  const summary = await mergeResults(
    dir,
    manifest,
    await openAtomicFile(first, { force: true }),
    'jsonl',
    specs,
  );
  for (const path of others) {
    const sink = await openAtomicFile(path, { force: true });
    try {
      for await (const chunk of createReadStream(first, { highWaterMark: READ_CHUNK_BYTES }))
        await sink.write(chunk as Buffer);
      await sink.commit();
    } catch (error) {
      await sink.abort();
      throw error;
    }
  }
  return { summary, files: [first, ...others] };
}
