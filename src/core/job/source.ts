/** `run <source> INPUT`: the job's request file, built from the user's input into the job folder. */
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildOptions, type BuildSummary, buildRequestFile } from '../builder/build.js';
import { mapPathFor } from '../builder/sidecar.js';
import { CliError } from '../errors.js';
import { assertSameOptions, jobIdentity } from './identity.js';
import { fingerprint, readManifest } from './manifest.js';

/** What {@link buildJobInput} made. */
export interface JobInput {
  /** The request file to run. */
  requests: string;
  built: BuildSummary;
  /** Removes what was built, for a dry run (nothing is left anywhere). */
  discard?: () => Promise<void>;
}

/**
 * Builds the requests of `run <source> INPUT` without ever damaging a job already there:
 * - a dry run builds into a private temporary folder (the state folder is not touched);
 * - a new job builds into `dir/input.jsonl` (+ its map);
 * - an existing job is checked first: other options are refused (naming each), then the input
 *   is built beside the job's and compared; a different result is refused, the same one kept.
 */
export async function buildJobInput(
  build: BuildOptions & { input: string },
  job: {
    dir: string;
    /** The options that make the job's identity (the build source, input and shaping options). */
    options: Record<string, unknown>;
    maxRequests?: number | undefined;
    maxBytes?: number | undefined;
    dryRun?: boolean | undefined;
  },
): Promise<JobInput> {
  if (job.dryRun) {
    const temp = await mkdtemp(join(tmpdir(), 'claude-batch-dry-run-'));
    const discard = () => rm(temp, { recursive: true, force: true });
    try {
      const requests = join(temp, 'input.jsonl');
      const built = await buildRequestFile({
        ...build,
        output: requests,
        map: mapPathFor(requests),
      });
      return { requests, built, discard };
    } catch (error) {
      await discard();
      throw error;
    }
  }
  const requests = join(job.dir, 'input.jsonl');
  const map = mapPathFor(requests);
  const existing = readManifest(job.dir);
  if (!existing) {
    const built = await buildRequestFile({ ...build, output: requests, map, force: true });
    return { requests, built };
  }
  assertSameOptions(existing, job.dir, jobIdentity(job.options, job));
  const next = `${requests}.next`;
  const nextMap = `${map}.next`;
  try {
    const built = await buildRequestFile({ ...build, output: next, map: nextMap, force: true });
    const print = await fingerprint(next);
    if (print.sha256 !== existing.input.sha256 || print.size !== existing.input.size) {
      throw new CliError(`The input changed since job ${existing.job_id} started; refusing to mix two runs`, {
        kind: 'usage',
        hint: `${build.input} no longer builds the requests the job was made from (edited since?): restore it to continue the job, or start a new job with --state <new folder> (job folder: ${job.dir})`,
      });
    }
    // The same requests: keep the job's files as they are (the map may have been lost; restore it).
    await rename(nextMap, map).catch(() => {});
    return { requests, built: { ...built, output: requests, map } };
  } finally {
    await rm(next, { force: true });
    await rm(nextMap, { force: true });
  }
}
