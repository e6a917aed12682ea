/** Where answers already paid for can come from: registered jobs and results files, for one base URL. */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { fingerprint, type Manifest, readManifest } from '../job/manifest.js';
import { findJob } from '../registry/jobs.js';
import type { Registry } from '../registry/registry.js';
import { REUSED_REQUESTS, REUSED_RESULTS } from './apply.js';
import { ReuseIndex, type ReuseSource } from './index.js';

/** The (requests, results) pairs of a job: every attempt with its results, and what it reused itself. */
export function jobSources(dir: string, manifest: Manifest): ReuseSource[] {
  const pairs: ReuseSource[] = [];
  if (manifest.reused && existsSync(join(dir, REUSED_RESULTS)))
    pairs.push({ requests: join(dir, REUSED_REQUESTS), results: join(dir, REUSED_RESULTS) });
  for (const shard of manifest.shards) {
    for (const attempt of shard.attempts) {
      if (attempt.results_file && existsSync(join(dir, attempt.results_file)))
        pairs.push({ requests: join(dir, attempt.file), results: join(dir, attempt.results_file) });
    }
  }
  return pairs;
}

function manifestOf(dir: string): Manifest | undefined {
  try {
    return readManifest(dir);
  } catch {
    return undefined;
  }
}

/** Base URLs the registry saw a job's batches made against. */
function jobBaseUrls(registry: Registry, dir: string): Set<string> {
  const urls = new Set<string>();
  for (const b of registry.read().batches.values()) if (b.job?.dir === dir) urls.add(b.base_url);
  return urls;
}

/**
 * The sources for `--reuse` (no value: everything the registry knows for `baseUrl`; a job id or
 * folder: that job; a results file: the batch the registry knows it holds). A batch's request file
 * is used only if it still has the sha256 recorded when it was sent (else its custom_ids may name
 * other params now). Nothing from another base URL. `exclude`: the job being made.
 */
export async function reuseSources(
  registry: Registry,
  options: { baseUrl: string; cwd: string; from?: string | undefined; exclude?: string | undefined },
): Promise<ReuseSource[]> {
  const { baseUrl, cwd } = options;
  const view = registry.read();
  const exclude = options.exclude === undefined ? undefined : resolve(options.exclude);
  const sources: ReuseSource[] = [];
  const fromJob = (dir: string, manifest: Manifest) => {
    if (resolve(dir) === exclude) return;
    const urls = jobBaseUrls(registry, resolve(dir));
    if ([...urls].some((u) => u !== baseUrl)) {
      throw new UsageError(
        `Job ${manifest.job_id} was run against ${[...urls].join(', ')}, not ${baseUrl}: its answers are not reused`,
        'reuse answers from the same API (base URL) only',
      );
    }
    sources.push(...jobSources(dir, manifest));
  };
  const fromBatchFile = async (requests: string | null, sha: string | null, results: string) => {
    if (!requests || !sha || !existsSync(requests) || !existsSync(results)) return false;
    if ((await fingerprint(requests)).sha256 !== sha) return false;
    sources.push({ requests, results });
    return true;
  };

  if (options.from === undefined) {
    const jobs = new Set<string>();
    for (const b of view.batches.values()) {
      if (b.base_url !== baseUrl || b.forgotten_at) continue;
      if (b.job) {
        jobs.add(b.job.dir);
        continue;
      }
      for (const results of b.results_files) await fromBatchFile(b.requests_file, b.requests_sha256, results);
    }
    for (const dir of jobs) {
      const manifest = manifestOf(dir);
      if (manifest && resolve(dir) !== exclude) sources.push(...jobSources(dir, manifest));
    }
    return sources;
  }

  const given = resolve(cwd, options.from);
  const isFile = existsSync(given) && statSync(given).isFile();
  if (isFile) {
    // A job's merged results: that job.
    const jobDir = dirname(given);
    const jobManifest = basename(given) === 'results.jsonl' ? manifestOf(jobDir) : undefined;
    if (jobManifest) {
      fromJob(jobDir, jobManifest);
      return sources;
    }
    const holders = [...view.batches.values()].filter((b) => b.results_files.includes(given));
    const other = holders.find((b) => b.base_url !== baseUrl);
    if (other) {
      throw new UsageError(
        `${options.from} holds the results of ${other.id}, made against ${other.base_url}, not ${baseUrl}`,
        'reuse answers from the same API (base URL) only',
      );
    }
    for (const b of holders) {
      if (await fromBatchFile(b.requests_file, b.requests_sha256, given)) return sources;
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
  return sources;
}

/** The index of every answer the chosen sources hold (see {@link reuseSources}). */
export async function buildReuseIndex(
  registry: Registry,
  options: Parameters<typeof reuseSources>[1],
): Promise<{ index: ReuseIndex; sources: number }> {
  const sources = await reuseSources(registry, options);
  const index = new ReuseIndex();
  for (const source of sources) await index.addSource(source);
  return { index, sources: sources.length };
}
