/** Jobs from anywhere: the job folders the registry knows, beside the ones under the current folder. */
import { basename, resolve } from 'node:path';
import { CliError } from '../errors.js';
import { listJobs, locateJob, type Manifest, readManifest } from '../job/manifest.js';
import type { Registry } from './registry.js';

/**
 * Finds a job by id or folder: under the current folder first (as `locateJob`), else among the
 * job folders the registry knows (newest first), by job id or by the folder's name.
 */
export async function findJob(
  cwd: string,
  job: string,
  registry: Registry | undefined,
): Promise<{ dir: string; manifest: Manifest }> {
  try {
    return await locateJob(cwd, job);
  } catch (error) {
    if (!(error instanceof CliError) || error.kind !== 'not-found' || !registry) throw error;
    const known = [...registry.read().jobs.values()]
      .filter((j) => j.id === job || basename(j.dir) === job)
      .sort((a, b) => b.created_at.localeCompare(a.created_at));
    for (const j of known) {
      const manifest = readableManifest(j.dir);
      if (manifest) return { dir: j.dir, manifest };
    }
    throw new CliError(`No job ${job} here or in the registry`, {
      kind: 'not-found',
      hint: 'list jobs with `claude-batch job list`, or give the job folder (--state) as a path',
    });
  }
}

/**
 * Every job: those the registry knows (whose folder still holds a manifest) and those under the
 * current folder's jobs root, newest first; `here` keeps only the latter.
 */
export async function listAllJobs(
  cwd: string,
  registry: Registry | undefined,
  options: { here?: boolean; under?: string | undefined } = {},
): Promise<Array<{ dir: string; manifest: Manifest }>> {
  const local = await listJobs(cwd, options.under);
  if (options.here || options.under !== undefined || !registry) return local;
  const seen = new Set(local.map((j) => resolve(j.dir)));
  const jobs = [...local];
  for (const j of registry.read().jobs.values()) {
    const dir = resolve(j.dir);
    if (seen.has(dir)) continue;
    seen.add(dir);
    const manifest = readableManifest(dir);
    if (manifest) jobs.push({ dir, manifest });
  }
  return jobs.sort((a, b) => b.manifest.created_at.localeCompare(a.manifest.created_at));
}

/** A job folder's manifest, or undefined when it is gone or cannot be read (a registry entry goes stale). */
function readableManifest(dir: string): Manifest | undefined {
  try {
    return readManifest(dir);
  } catch {
    return undefined;
  }
}
