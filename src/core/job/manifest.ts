import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { MessageBatchRequestCounts } from '../api/types.js';
import { CliError } from '../errors.js';
import { writeFileAtomicSync } from '../fs/atomic-file.js';
import { READ_CHUNK_BYTES } from '../fs/memory.js';

/** One batch made for a shard: the first submission, or a retry of some of its requests. */
export interface Attempt {
  /** 1 for the first submission of the shard, then 2, 3… for retries. */
  number: number;
  /** The request file this attempt sent (relative to the job folder). */
  file: string;
  requests: number;
  /** When the create was about to be sent (recorded before the call: the intent). */
  intent_at: string;
  /** Set right after the create answers (or once the batch is found after a lost answer). */
  batch_id: string | null;
  status: 'pending' | 'in_progress' | 'canceling' | 'ended';
  request_counts: MessageBatchRequestCounts | null;
  /** The downloaded results (relative to the job folder), once the batch has ended. */
  results_file: string | null;
  /** For a retry: what its requests' results were before it (they are replaced by its own). */
  /** The latest results this attempt resends, by type (succeeded: answers whose output was invalid; absent in older manifests). */
  replaces?: { errored: number; expired: number; canceled: number; succeeded?: number };
}

/** A part of the input small enough for one batch. */
export interface Shard {
  index: number;
  /** The shard's request file (relative to the job folder). */
  file: string;
  /** Lines of the input this shard holds (1-based, inclusive). */
  first_line: number;
  last_line: number;
  requests: number;
  bytes: number;
  attempts: Attempt[];
}

/** The state of a job, written atomically after every change. */
export interface Manifest {
  version: 1;
  job_id: string;
  created_at: string;
  input: { path: string; size: number; sha256: string };
  /** Options that shape the requests or the shards; resume refuses if they change. */
  options: Record<string, unknown>;
  shards: Shard[];
  /** The `--results` files the user named (absolute): every later merge rewrites them too. */
  results_files?: string[];
  /**
   * Requests not sent because an earlier succeeded result answered the same params (`--reuse`):
   * their results (with this job's custom_ids) and their requests, relative to the job folder.
   */
  reused?: { requests: number; results_file: string; requests_file: string };
}

/**
 * Where jobs live: `.claude-batch/jobs/` in the nearest folder, from `cwd` up, that has one (as
 * git finds its repository), so that jobs are found from any subfolder of where `run` started;
 * `cwd`'s own when none has.
 */
export function jobsRoot(cwd: string): string {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const root = join(dir, '.claude-batch', 'jobs');
    if (isFolder(root)) return root;
    if (dirname(dir) === dir) return join(resolve(cwd), '.claude-batch', 'jobs');
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A job's id: stable for the same input path, so re-running the same command finds the job. */
export function jobIdFor(inputPath: string): string {
  return `job-${createHash('sha256').update(resolve(inputPath)).digest('hex').slice(0, 12)}`;
}

/** The SHA-256 and size of a file, streamed. */
export async function fingerprint(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Reads a job's manifest, or undefined when the folder holds none. */
export function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${join(dir, 'manifest.json')}: ${(error as Error).message}`, {
      hint: 'the job state is damaged; start over with a new --state folder',
    });
  }
}

/**
 * Writes the manifest atomically and durably (temporary file, fsync, rename: the path every
 * file takes), synchronously, so that an intent is on disk before the create it announces is sent.
 */
export function writeManifest(dir: string, manifest: Manifest): void {
  writeFileAtomicSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Finds a job folder by id (under the jobs root) or by path. */
export async function locateJob(cwd: string, job: string): Promise<{ dir: string; manifest: Manifest }> {
  if (job.trim() === '') {
    throw new CliError('no job given (the argument is empty)', {
      kind: 'usage',
      hint: 'list jobs with `claude-batch job list`, or give the job folder (--state)',
    });
  }
  for (const dir of [join(jobsRoot(cwd), job), resolve(cwd, job)]) {
    const manifest = readManifest(dir);
    if (manifest) return { dir, manifest };
  }
  throw new CliError(`No job ${job} here`, {
    kind: 'not-found',
    hint: 'list jobs with `claude-batch job list`, or give the job folder (--state) as a path',
  });
}

/** Every job under the jobs root, newest first. */
export async function listJobs(
  cwd: string,
  /** A job folder (that one job), or a folder of job folders; default: the jobs root. */
  under?: string,
): Promise<Array<{ dir: string; manifest: Manifest }>> {
  if (under !== undefined) {
    const dir = resolve(cwd, under);
    const manifest = readManifest(dir);
    if (manifest) return [{ dir, manifest }];
  }
  const root = under === undefined ? jobsRoot(cwd) : resolve(cwd, under);
  const names = await readdir(root).catch(() => [] as string[]);
  const jobs = names
    .map((name) => ({ dir: join(root, name), manifest: readManifest(join(root, name)) }))
    .filter((j): j is { dir: string; manifest: Manifest } => j.manifest !== undefined);
  return jobs.sort((a, b) => b.manifest.created_at.localeCompare(a.manifest.created_at));
}

/** Creates the job folder. */
export async function makeJobDir(dir: string): Promise<void> {
  await mkdir(join(dir, 'shards'), { recursive: true });
  await mkdir(join(dir, 'results'), { recursive: true });
}

/**
 * A shard's counts per custom_id, from each one's latest attempt: the first attempt's counts,
 * then for every retry its own counts in place of the results it replaces.
 */
export function shardCounts(shard: Shard): MessageBatchRequestCounts | undefined {
  const first = shard.attempts[0]?.request_counts;
  if (!first) return undefined;
  const counts = { ...first };
  for (const attempt of shard.attempts.slice(1)) {
    if (!attempt.request_counts || !attempt.replaces) continue;
    for (const key of ['processing', 'succeeded', 'errored', 'canceled', 'expired'] as const) {
      counts[key] += attempt.request_counts[key];
    }
    counts.errored -= attempt.replaces.errored;
    counts.expired -= attempt.replaces.expired;
    counts.canceled -= attempt.replaces.canceled;
    counts.succeeded -= attempt.replaces.succeeded ?? 0;
  }
  return counts;
}

/** The latest attempt of a shard. */
export function latestAttempt(shard: Shard): Attempt | undefined {
  return shard.attempts.at(-1);
}
