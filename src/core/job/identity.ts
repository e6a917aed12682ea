/** What makes a job the same job: the options that shape its requests, and its input. */
import { CliError } from '../errors.js';
import type { Manifest } from './manifest.js';

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
