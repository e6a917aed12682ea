/** What makes a job the same job: the options that shape its requests, and its input. */
import { CliError } from '../errors.js';
import { SHARD_MAX_BYTES, SHARD_MAX_REQUESTS } from './defaults.js';
import { fingerprint, type Manifest, readManifest } from './manifest.js';

/** Options recorded for the shards rather than the requests (compared all the same). */
const SHARD_OPTIONS: Record<string, string> = { max_requests: 'maxRequests', max_bytes: 'maxBytes' };

/** `maxTokens` → `--max-tokens`: how a user gave the option. */
export function flagOf(key: string): string {
  const name = SHARD_OPTIONS[key] ?? key;
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function show(value: unknown): string {
  return value === undefined ? '(not given)' : JSON.stringify(value);
}

/** Each option that differs between two option sets: `--max-tokens 1024 → 50`. */
export function optionChanges(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => `${flagOf(k)}: was ${show(before[k])}, now ${show(after[k])}`);
}

/** Refuses to continue a job with other options, naming each change and how to start a new job. */
export function assertSameOptions(manifest: Manifest, dir: string, options: Record<string, unknown>): void {
  const changes = optionChanges(manifest.options, options);
  if (changes.length === 0) return;
  throw new CliError(`The options changed since job ${manifest.job_id} started; refusing to mix two runs`, {
    kind: 'usage',
    details: changes,
    hint: `run with the job's options to continue it, or start a new job with --state <new folder> (job folder: ${dir})`,
  });
}

/** Refuses to continue a job whose input is not the one it started from. */
export function assertSameInput(
  manifest: Manifest,
  dir: string,
  input: { size: number; sha256: string },
  name: string,
): void {
  if (manifest.input.sha256 === input.sha256 && manifest.input.size === input.size) return;
  throw new CliError(`The input changed since job ${manifest.job_id} started; refusing to mix two runs`, {
    kind: 'usage',
    hint: `${name} is now ${input.size} bytes (sha256 ${input.sha256.slice(0, 12)}…), the job was made from ${manifest.input.size} bytes (sha256 ${manifest.input.sha256.slice(0, 12)}…): restore it to continue the job, or start a new job with --state <new folder> (job folder: ${dir})`,
  });
}

/** A job's identity as its manifest records it: the request-shaping options and the shard limits. */
export function jobIdentity(
  options: Record<string, unknown>,
  limits: { maxRequests?: number | undefined; maxBytes?: number | undefined },
): Record<string, unknown> & { max_requests: number; max_bytes: number } {
  return {
    ...options,
    max_requests: limits.maxRequests ?? SHARD_MAX_REQUESTS,
    max_bytes: limits.maxBytes ?? SHARD_MAX_BYTES,
  };
}

/**
 * Refuses, as a run would, when the job in `dir` (if any) was made with other options or from
 * another input; for a dry run, which resumes nothing but must say what the run would refuse.
 */
export async function assertJobWouldResume(
  dir: string,
  input: string,
  name: string,
  identity: Record<string, unknown>,
): Promise<void> {
  const existing = readManifest(dir);
  if (!existing) return;
  assertSameOptions(existing, dir, identity);
  assertSameInput(existing, dir, await fingerprint(input), name);
}
