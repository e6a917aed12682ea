/**
 * The registry: every batch this tool created (submit, run, retry), with what the API does not
 * keep: where it came from (file, sha256, map, job), its label, and what happened to it later
 * (downloaded, ended, deleted, forgotten). Never the key.
 *
 * Storage: one append-only JSON Lines file, `batches.jsonl`. Each event is one line written by a
 * single write(2) on a file opened with O_APPEND: on a local file system, writes by several
 * processes at once land whole, one after another, never interleaved. Later facts about a batch
 * (a download, a deletion) are new lines, folded on read; nothing is rewritten in place, so a
 * kill -9 can at worst leave a torn last line, which reading skips (and the next writer starts on
 * a new line). The registry failing (an unwritable folder) never fails a command: one warning.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describeFailure } from '../api/retry.js';
import { registryHome } from './location.js';

/** The batch registry's file name in its folder. */
export const REGISTRY_FILE = 'batches.jsonl';

/** Results can be downloaded for this long after a batch's `created_at`. */
export const RESULTS_RETENTION_MS = 29 * 24 * 3600 * 1000;

/** A batch never runs longer than this (it then expires), so an older one has ended. */
export const BATCH_MAX_RUN_MS = 24 * 3600 * 1000;

/** What is known of a batch when it is created. */
export interface BatchRecord {
  id: string;
  base_url: string;
  /** The `anthropic-workspace-id` it was created with, if any. */
  workspace: string | null;
  /** The betas (`anthropic-beta`) it was sent with, sorted; null: not recorded (an older entry). */
  betas?: string[] | null;
  label: string | null;
  /** The request file sent (absolute), and its sha256. */
  requests_file: string | null;
  requests_sha256: string | null;
  requests: number;
  /** The input the user named, when it is not the request file (a CSV for `run csv`). */
  source: string | null;
  /** The sidecar map of the request file (absolute), when there is one. */
  map: string | null;
  job: { id: string; dir: string } | null;
  /** `submit`, `run` or `retry`. */
  command: string;
  created_at: string;
  /** `submit --reuse`: the results of the requests not sent (answers reused), to add to the batch's own. */
  reused_results?: string | null;
}

/** A batch as the registry knows it now: its record and what happened since. */
export interface BatchEntry extends BatchRecord {
  ended_at: string | null;
  downloaded_at: string | null;
  /** Files its results were downloaded to (absolute), the latest download to a path only. */
  results_files: string[];
  /**
   * Each results file's size and mtime (ms) as downloaded, by path, when recorded: a file that no
   * longer has them was rewritten since (by another download, an edit) and is not this batch's.
   */
  results_stats: Record<string, { size: number; mtime_ms: number }>;
  deleted_at: string | null;
  forgotten_at: string | null;
}

/** A job the registry knows of (from `run`). */
export interface JobEntry {
  id: string;
  dir: string;
  input: string | null;
  created_at: string;
}

/** One line of the registry. */
export type RegistryEvent =
  | ({ event: 'batch' } & BatchRecord)
  | ({ event: 'job' } & JobEntry)
  | { event: 'ended'; id: string; at: string }
  | {
      event: 'downloaded';
      id: string;
      at: string;
      path: string | null;
      /** The file's size and mtime (ms) once written (sha256 is not computed while writing: too dear). */
      size?: number;
      mtime_ms?: number;
    }
  | { event: 'deleted'; id: string; at: string }
  | { event: 'forgotten'; id: string; at: string }
  | { event: 'label'; id: string; label: string | null };

/** Everything the registry holds, folded. */
export interface RegistryView {
  batches: Map<string, BatchEntry>;
  /** Jobs by folder. */
  jobs: Map<string, JobEntry>;
  /** Lines that could not be read (a torn last line after a crash): skipped. */
  skipped: number;
}

const empty = (): RegistryView => ({ batches: new Map(), jobs: new Map(), skipped: 0 });

/** Folds one event into the view. */
function fold(view: RegistryView, e: RegistryEvent): void {
  if (e.event === 'batch') {
    if (view.batches.has(e.id)) return; // The first record of a batch stands (a crash may repeat one).
    // Field by field (not a spread): one object shape for every entry, read fast.
    view.batches.set(e.id, {
      id: e.id,
      base_url: e.base_url,
      workspace: e.workspace ?? null,
      betas: Array.isArray(e.betas) ? e.betas : null,
      label: e.label ?? null,
      requests_file: e.requests_file ?? null,
      requests_sha256: e.requests_sha256 ?? null,
      requests: e.requests ?? 0,
      source: e.source ?? null,
      map: e.map ?? null,
      job: e.job ?? null,
      command: e.command,
      created_at: e.created_at,
      reused_results: e.reused_results ?? null,
      ended_at: null,
      downloaded_at: null,
      results_files: [],
      results_stats: {},
      deleted_at: null,
      forgotten_at: null,
    });
    if (e.job && !view.jobs.has(e.job.dir))
      view.jobs.set(e.job.dir, { id: e.job.id, dir: e.job.dir, input: e.source, created_at: e.created_at });
    return;
  }
  if (e.event === 'job') {
    view.jobs.set(e.dir, { id: e.id, dir: e.dir, input: e.input ?? null, created_at: e.created_at });
    return;
  }
  const entry = view.batches.get(e.id);
  if (!entry) return;
  if (e.event === 'ended') entry.ended_at ??= e.at;
  else if (e.event === 'downloaded') {
    entry.downloaded_at = e.at;
    if (e.path) {
      // The file now holds this batch's results: no earlier batch's any more.
      for (const other of view.batches.values()) {
        if (other === entry || !other.results_files.includes(e.path)) continue;
        other.results_files = other.results_files.filter((f) => f !== e.path);
        delete other.results_stats[e.path];
      }
      if (!entry.results_files.includes(e.path)) entry.results_files.push(e.path);
      if (typeof e.size === 'number' && typeof e.mtime_ms === 'number')
        entry.results_stats[e.path] = { size: e.size, mtime_ms: e.mtime_ms };
      else delete entry.results_stats[e.path];
    }
  } else if (e.event === 'deleted') entry.deleted_at ??= e.at;
  else if (e.event === 'forgotten') entry.forgotten_at ??= e.at;
  else if (e.event === 'label') entry.label = e.label;
}

/** Reads a registry's text: one event a line; a line that is not a whole event is skipped. */
export function parseRegistry(text: string): RegistryView {
  const view = empty();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      view.skipped += 1;
      continue;
    }
    const e = event as { event?: unknown; id?: unknown; dir?: unknown };
    if (typeof e?.event !== 'string' || (typeof e.id !== 'string' && typeof e.dir !== 'string')) {
      view.skipped += 1;
      continue;
    }
    fold(view, event as RegistryEvent);
  }
  return view;
}

/** The registry in one folder. Never throws: a failure is one warning (see `onWarning`). */
export class Registry {
  readonly file: string;
  private warned = false;
  private cached: RegistryView | undefined;

  constructor(
    readonly dir: string,
    private readonly onWarning?: (message: string) => void,
  ) {
    this.file = join(dir, REGISTRY_FILE);
  }

  private warn(doing: string, error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.onWarning?.(
      `the batch registry (${this.file}) cannot be ${doing} (${describeFailure(error)}); going on without it (set CLAUDE_BATCH_HOME to a writable folder)`,
    );
  }

  /**
   * Appends events, all in one write on an O_APPEND descriptor (atomic among concurrent writers
   * on a local file system). A torn last line left by a crash is first ended, so that this
   * write starts on a line of its own. Returns false (after one warning) when it cannot.
   */
  append(...events: RegistryEvent[]): boolean {
    if (events.length === 0) return true;
    const text = events.map((e) => `${JSON.stringify({ v: 1, ...e })}\n`).join('');
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const fd = openSync(this.file, 'a+', 0o600);
      try {
        const bytes = Buffer.from(endsTorn(fd) ? `\n${text}` : text);
        const written = writeSync(fd, bytes);
        if (written !== bytes.length) throw new Error(`wrote ${written} of ${bytes.length} bytes`);
      } finally {
        closeSync(fd);
      }
      this.cached = undefined;
      return true;
    } catch (error) {
      this.warn('written', error);
      return false;
    }
  }

  /** Everything the registry holds (empty when there is none yet, or after one warning when it cannot be read). */
  read(): RegistryView {
    if (this.cached) return this.cached;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.warn('read', error);
      return empty();
    }
    this.cached = parseRegistry(text);
    return this.cached;
  }

  /** The entry of a batch, if this registry recorded it. */
  batch(id: string): BatchEntry | undefined {
    return this.read().batches.get(id);
  }
}

/** True when the file's last byte is not a newline (a torn last line). */
function endsTorn(fd: number): boolean {
  const { size } = fstatSync(fd);
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}

/** The registry for an environment (see {@link registryHome}). */
export function openRegistry(
  env: Record<string, string | undefined>,
  onWarning?: (message: string) => void,
): Registry {
  return new Registry(registryHome(env), onWarning);
}

/** When a batch's results stop being downloadable. */
export function resultsExpireAt(createdAt: string): Date {
  return new Date(Date.parse(createdAt) + RESULTS_RETENTION_MS);
}

/** True when the results would be lost within `withinMs` (and are not yet): not downloaded, still there. */
export function resultsAtRisk(
  createdAt: string,
  entry: Pick<BatchEntry, 'downloaded_at' | 'deleted_at'> | undefined,
  now: number,
  withinMs = 3 * 24 * 3600 * 1000,
): boolean {
  if (entry?.downloaded_at || entry?.deleted_at) return false;
  const left = resultsExpireAt(createdAt).getTime() - now;
  return left > 0 && left <= withinMs;
}

/**
 * The batches this registry knows for a base URL that may still be running: not seen ended, not
 * deleted or forgotten, and created within the longest a batch runs.
 */
export function unfinishedBatches(view: RegistryView, baseUrl: string, now: number): BatchEntry[] {
  return [...view.batches.values()].filter(
    (b) =>
      b.base_url === baseUrl &&
      !b.ended_at &&
      !b.deleted_at &&
      !b.forgotten_at &&
      now - Date.parse(b.created_at) < BATCH_MAX_RUN_MS + 3600_000,
  );
}
