/** Where answers already paid for can come from: registered jobs and results files, sent as this batch will be. */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { fingerprint, type Manifest, readManifest } from '../job/manifest.js';
import { jobBetas } from '../job/run.js';
import { findJob } from '../registry/jobs.js';
import type { BatchEntry, Registry } from '../registry/registry.js';
import { REUSED_REQUESTS, REUSED_RESULTS } from './apply.js';
import { ReuseIndex, type ReuseSource } from './index.js';

/**
 * The (requests, results) pairs of a job, newest first: per shard its attempts from the latest
 * back (each skipping the custom_ids a later attempt resent: their answers were replaced), then
 * what the job reused itself. The index keeps the first answer for the same params, so the latest
 * answer wins (an answer fixed by `retry --invalid-output`, not the invalid one it replaced).
 */
export function jobSources(dir: string, manifest: Manifest): ReuseSource[] {
  const pairs: ReuseSource[] = [];
  for (const shard of manifest.shards) {
    const later: string[] = [];
    for (const attempt of [...shard.attempts].reverse()) {
      if (attempt.results_file && existsSync(join(dir, attempt.results_file)))
        pairs.push({
          requests: join(dir, attempt.file),
          results: join(dir, attempt.results_file),
          ...(later.length ? { replacedBy: [...later] } : {}),
        });
      // A later attempt's requests replace this one's answers only once it has results of its own.
      if (attempt.results_file) later.push(join(dir, attempt.file));
    }
  }
  if (manifest.reused && existsSync(join(dir, REUSED_RESULTS)))
    pairs.push({ requests: join(dir, REUSED_REQUESTS), results: join(dir, REUSED_RESULTS) });
  return pairs;
}

function manifestOf(dir: string): Manifest | undefined {
  try {
    return readManifest(dir);
  } catch {
    return undefined;
  }
}

/**
 * Where and how a batch is sent: an answer is reused only from a batch sent to the same base URL
 * and workspace with the same betas (a beta such as a longer context or output can change it).
 */
export interface ReuseScope {
  baseUrl: string;
  workspace?: string | null | undefined;
  betas?: readonly string[] | undefined;
}

/** A scope's workspace and betas as one comparable text (betas sorted). */
function sendKey(workspace: string | null | undefined, betas: readonly string[]): string {
  return JSON.stringify([workspace ?? null, [...betas].sort()]);
}

/** How a registered batch was sent (its job's betas when the entry predates recording them); undefined: not known. */
function batchKey(b: BatchEntry, manifest?: Manifest): string | undefined {
  const betas = b.betas ?? (manifest ? (jobBetas(manifest) ?? []) : undefined);
  return betas === undefined ? undefined : sendKey(b.workspace, betas);
}

/** The sending of a batch, in words, for a refusal. */
function describeSend(b: BatchEntry): string {
  const betas =
    b.betas === null || b.betas === undefined
      ? 'unrecorded betas'
      : b.betas.length
        ? `betas ${b.betas.join(',')}`
        : 'no betas';
  return `${b.workspace ? `workspace ${b.workspace}` : 'no workspace'}, ${betas}`;
}

/** What {@link reuseSources} found. */
export interface FoundSources {
  sources: ReuseSource[];
  /** Batches of this base URL left out: sent with other betas or another workspace (or betas not recorded). */
  skipped: number;
  /** Results files left out: changed since they were downloaded (size or mtime), so maybe not that batch's now. */
  changed: number;
}

/** Whether a results file still has the size and mtime recorded when it was downloaded (true when none were recorded). */
function unchangedSince(b: BatchEntry, results: string): boolean {
  const recorded = b.results_stats[results];
  if (!recorded) return true;
  const now = statSync(results);
  return now.size === recorded.size && now.mtimeMs === recorded.mtime_ms;
}

/**
 * The sources for `--reuse` (no value: everything the registry knows sent as `scope` says; a job
 * id or folder: that job; a results file: the batch the registry knows it holds). A batch's request
 * file is used only if it still has the sha256 recorded when it was sent (else its custom_ids may
 * name other params now). Nothing sent elsewhere (base URL, workspace) or with other betas: left
 * out and counted when found by looking, refused when named. `exclude`: the job being made.
 */
export async function reuseSources(
  registry: Registry,
  options: ReuseScope & { cwd: string; from?: string | undefined; exclude?: string | undefined },
): Promise<FoundSources> {
  const { baseUrl, cwd } = options;
  const want = sendKey(options.workspace, options.betas ?? []);
  const view = registry.read();
  const exclude = options.exclude === undefined ? undefined : resolve(options.exclude);
  const sources: ReuseSource[] = [];
  let skipped = 0;
  let changed = 0;
  const jobBatches = (dir: string) => [...view.batches.values()].filter((b) => b.job?.dir === dir);
  const fromJob = (dir: string, manifest: Manifest) => {
    if (resolve(dir) === exclude) return;
    const batches = jobBatches(resolve(dir));
    if (batches.length === 0) {
      throw new UsageError(
        `The registry has no batch of job ${manifest.job_id}: the API (base URL), workspace and betas its answers came from are unknown, so they are not reused`,
        'reuse a job run with this CLAUDE_BATCH_HOME (its batches registered), or run it again',
      );
    }
    const elsewhere = batches.find((b) => b.base_url !== baseUrl);
    if (elsewhere) {
      throw new UsageError(
        `Job ${manifest.job_id} was run against ${elsewhere.base_url}, not ${baseUrl}: its answers are not reused`,
        'reuse answers from the same API (base URL) only',
      );
    }
    const other = batches.find((b) => batchKey(b, manifest) !== want);
    if (other) {
      throw new UsageError(
        `Job ${manifest.job_id} was sent with ${describeSend(other)}, not as this batch is: its answers are not reused`,
        'reuse answers sent with the same --beta flags and --workspace only',
      );
    }
    const betas = jobBetas(manifest);
    if (betas !== undefined && sendKey(null, betas) !== sendKey(null, options.betas ?? [])) {
      throw new UsageError(
        `Job ${manifest.job_id} was run with ${betas.length ? `betas ${betas.join(',')}` : 'no betas'}, not as this batch is: its answers are not reused`,
        'reuse answers sent with the same --beta flags and --workspace only',
      );
    }
    sources.push(...jobSources(dir, manifest));
  };
  const fromBatchFile = async (b: BatchEntry, results: string) => {
    const requests = b.requests_file;
    const sha = b.requests_sha256;
    if (!requests || !sha || !existsSync(requests) || !existsSync(results)) return false;
    if (!unchangedSince(b, results)) {
      changed += 1;
      return false;
    }
    if ((await fingerprint(requests)).sha256 !== sha) return false;
    sources.push({ requests, results });
    return true;
  };

  if (options.from === undefined) {
    // A job counts when every batch of it was sent as this one will be.
    const jobs = new Map<string, BatchEntry[]>();
    for (const b of view.batches.values()) {
      if (b.base_url !== baseUrl || b.forgotten_at) continue;
      if (b.job) {
        const batches = jobs.get(b.job.dir);
        if (batches) batches.push(b);
        else jobs.set(b.job.dir, [b]);
        continue;
      }
      if (b.results_files.length === 0) continue;
      if (batchKey(b) !== want) {
        skipped += 1;
        continue;
      }
      for (const results of b.results_files) await fromBatchFile(b, results);
    }
    for (const [dir, batches] of jobs) {
      const manifest = resolve(dir) === exclude ? undefined : manifestOf(dir);
      if (!manifest) continue;
      const others = batches.filter((b) => batchKey(b, manifest) !== want).length;
      if (others > 0) skipped += others;
      else sources.push(...jobSources(dir, manifest));
    }
    return { sources, skipped, changed };
  }

  const given = resolve(cwd, options.from);
  const isFile = existsSync(given) && statSync(given).isFile();
  if (isFile) {
    // A job's merged results: that job.
    const jobDir = dirname(given);
    const jobManifest = basename(given) === 'results.jsonl' ? manifestOf(jobDir) : undefined;
    if (jobManifest) {
      fromJob(jobDir, jobManifest);
      return { sources, skipped, changed };
    }
    const holders = [...view.batches.values()].filter((b) => b.results_files.includes(given));
    const other = holders.find((b) => b.base_url !== baseUrl);
    if (other) {
      throw new UsageError(
        `${options.from} holds the results of ${other.id}, made against ${other.base_url}, not ${baseUrl}`,
        'reuse answers from the same API (base URL) only',
      );
    }
    const differently = holders.find((b) => batchKey(b) !== want);
    if (differently) {
      throw new UsageError(
        `${options.from} holds the results of ${differently.id}, sent with ${describeSend(differently)}, not as this batch is`,
        'reuse answers sent with the same --beta flags and --workspace only',
      );
    }
    for (const b of holders) {
      if (await fromBatchFile(b, given)) return { sources, skipped, changed };
    }
    if (changed > 0) {
      throw new UsageError(
        `${options.from} changed since the results of ${holders[0]?.id} were downloaded to it: its answers cannot be matched to params`,
        'download the results again (results ID -o FILE), or give a job id or folder',
      );
    }
    throw new UsageError(
      holders.length
        ? `The request file of ${holders[0]?.id} changed since it was sent: the answers in ${options.from} cannot be matched to params`
        : `The registry does not know which requests ${options.from} answers`,
      'give a results file downloaded by claude-batch (results -o, monitor --results), or a job id or folder',
    );
  }
  const { dir, manifest } = await findJob(cwd, options.from, registry);
  fromJob(dir, manifest);
  return { sources, skipped, changed };
}

/** The lines saying how many batches and results files were left out, and why (none when none were). */
export function skippedNotice(skipped: number, changed = 0): string | undefined {
  const lines: string[] = [];
  if (skipped > 0)
    lines.push(
      `Reuse: skipped ${skipped} batch${skipped === 1 ? '' : 'es'} sent with other betas or another workspace (their answers may differ)`,
    );
  if (changed > 0)
    lines.push(
      `Reuse: skipped ${changed} results file${changed === 1 ? '' : 's'} changed since downloaded (maybe another batch's results now)`,
    );
  return lines.length ? lines.join('\n') : undefined;
}

/** Words added to the reuse line when found answers were not valid structured answers (sent again). */
export function invalidNote(invalid: number): string {
  return invalid > 0
    ? ` (${invalid} of them answered before with an invalid structured answer: sent again, not reused)`
    : '';
}

/** The index of every answer the chosen sources hold (see {@link reuseSources}). */
export async function buildReuseIndex(
  registry: Registry,
  options: Parameters<typeof reuseSources>[1],
): Promise<{ index: ReuseIndex; sources: number; skipped: number; changed: number }> {
  const { sources, skipped, changed } = await reuseSources(registry, options);
  const index = new ReuseIndex();
  for (const source of sources) await index.addSource(source);
  return { index, sources: sources.length, skipped, changed };
}
