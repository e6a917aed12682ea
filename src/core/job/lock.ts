/**
 * One job, one runner: `run`, `retry JOB` and `job cancel` hold the job's lock (`lock.json` in
 * its folder) while they work on it. The lock is a file created atomically (`wx`), naming the
 * process that holds it (pid, host, command, since when). A second process is told who holds it,
 * or waits for it. A lock left by a process that is gone (same host, pid not alive, or this
 * process's own pid without this process holding it: a restart reused the pid) is taken over;
 * one from another host never is (that process cannot be checked from here).
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../api/retry.js';
import { CliError, InterruptedError } from '../errors.js';

/** The lock file's name in a job folder. */
export const LOCK_FILE = 'lock.json';

/** Who holds a job. */
export interface LockOwner {
  pid: number;
  host: string;
  /** The command line that took it (`run requests.jsonl`, `retry job-…`, `job cancel job-…`). */
  command: string;
  /** When it was taken (ISO 8601). */
  since: string;
  /** A random token telling two holders with the same pid apart (a pid reused after a reboot). */
  token: string;
}

/** Options of {@link lockJob}. */
export interface LockOptions {
  /** What the holder is doing, shown to a second process. */
  command: string;
  /** Wait for the holder to finish instead of refusing (polling). */
  wait?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** A line to show: waiting, or a lock taken over from a process that is gone. */
  onNotice?: (message: string) => void;
  /** Between looks at a held lock while waiting (default 1 s). */
  pollMs?: number;
  /** This process (default: the current pid and host). */
  pid?: number;
  host?: string;
  /** Whether a pid on this host is alive (default: signal 0). */
  isAlive?: (pid: number) => boolean;
}

/** A lock held by this process. */
export interface JobLock {
  owner: LockOwner;
  path: string;
  /** Removes the lock file if it is still this holder's (idempotent). */
  release(): void;
}

/** Locks this process holds, by path, so that an exit on any path removes them ({@link releaseLocksSync}). */
const held = new Map<string, { owner: LockOwner; depth: number }>();

/** True when a process with this pid exists on this machine (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof owner.pid === 'number' && typeof owner.host === 'string') return owner as LockOwner;
    return undefined;
  } catch {
    return undefined;
  }
}

function sameOwner(a: LockOwner | undefined, b: LockOwner | undefined): boolean {
  return !!a && !!b && a.pid === b.pid && a.host === b.host && a.token === b.token;
}

/** Creates the lock file if there is none; false when one exists. */
function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** A lock file with no readable owner is being written (or was torn by a crash): stale after this long. */
const UNREADABLE_GRACE_MS = 5000;

/**
 * Removes a stale lock, unless another process took it over meanwhile: the file is moved aside
 * (only one mover wins), then checked to be the stale one; a live lock moved by mistake is put
 * back (a hard link, which never replaces a file that appeared since). For a lock that named no
 * holder (`stale` undefined), the stale one is a file still naming no holder and still old: one
 * that names a holder, or is young (being written), was put there by another process that
 * removed the stale file first.
 */
function removeStale(path: string, stale: LockOwner | undefined): void {
  const aside = `${path}.stale-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // another process moved it first
  }
  const moved = readOwner(aside);
  const live =
    stale === undefined
      ? moved !== undefined || ageMs(aside) <= UNREADABLE_GRACE_MS
      : !sameOwner(moved, stale);
  if (live) {
    try {
      linkSync(aside, path);
    } catch {
      // a lock appeared meanwhile: that one stands
    }
  }
  try {
    unlinkSync(aside);
  } catch {}
}

/** The words for a holder: `pid 123 on host, running "run x.jsonl" since …`. */
export function describeOwner(owner: LockOwner): string {
  return `pid ${owner.pid} on ${owner.host} (${owner.command}, since ${owner.since})`;
}

/**
 * Takes the job's lock, or says who holds it (a `usage` error: nothing was done), or with `wait`
 * polls until it is free. A holder on this host whose pid is gone is replaced, with a notice;
 * a holder on another host never is. Re-entrant within one process (a `run <source>` that takes
 * it before building, then runs).
 */
export async function lockJob(dir: string, options: LockOptions): Promise<JobLock> {
  const path = join(dir, LOCK_FILE);
  const pid = options.pid ?? process.pid;
  const host = options.host ?? hostname();
  const isAlive = options.isAlive ?? processAlive;
  const mine = held.get(path);
  if (mine && mine.owner.pid === pid && mine.owner.host === host) {
    mine.depth += 1;
    return handle(path, mine.owner);
  }
  mkdirSync(dir, { recursive: true });
  const owner: LockOwner = {
    pid,
    host,
    command: options.command,
    since: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  let waiting = false;
  for (;;) {
    if (options.signal?.aborted) throw new InterruptedError('Interrupted while waiting for the job');
    if (tryCreate(path, owner)) {
      held.set(path, { owner, depth: 1 });
      return handle(path, owner);
    }
    const current = readOwner(path);
    if (!current) {
      if (ageMs(path) > UNREADABLE_GRACE_MS) {
        options.onNotice?.(`Removing ${path}: it names no holder (a run that crashed as it took the job).`);
        removeStale(path, undefined);
        continue;
      }
    } else if (current.host === host && (isOwnLeftover(path, current, pid) || !isAlive(current.pid))) {
      options.onNotice?.(`Taking over the job from ${describeOwner(current)}: that process is gone.`);
      removeStale(path, current);
      continue;
    } else if (!options.wait) {
      throw heldError(path, current, host);
    } else if (!waiting) {
      waiting = true;
      options.onNotice?.(
        `Job is held by ${describeOwner(current)}; waiting for it to finish (Ctrl-C to stop waiting)…`,
      );
    }
    await sleep(options.pollMs ?? 1000, options.signal);
  }
}

/**
 * A lock naming this process (pid and host) that this process does not hold: left by an earlier
 * process given the same pid (a container restarted, node again pid 1). Checking the pid would
 * find this process alive. A lock another call of this process holds is in `held` (waited for).
 */
function isOwnLeftover(path: string, current: LockOwner, pid: number): boolean {
  return current.pid === pid && !sameOwner(current, held.get(path)?.owner);
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function heldError(path: string, owner: LockOwner, host: string): CliError {
  const elsewhere = owner.host !== host;
  return new CliError(`The job is held by ${describeOwner(owner)}`, {
    kind: 'usage',
    hint: elsewhere
      ? `it runs on another machine and cannot be checked from here: add --wait to wait for it; if that process is gone, remove ${path}`
      : 'add --wait to wait for it to finish, or stop that process first (nothing was sent)',
  });
}

function handle(path: string, owner: LockOwner): JobLock {
  let released = false;
  return {
    owner,
    path,
    release() {
      if (released) return;
      released = true;
      const entry = held.get(path);
      if (!entry || entry.owner.token !== owner.token) return;
      entry.depth -= 1;
      if (entry.depth > 0) return;
      held.delete(path);
      removeIfOwned(path, owner);
    },
  };
}

function removeIfOwned(path: string, owner: LockOwner): void {
  if (!sameOwner(readOwner(path), owner)) return;
  try {
    unlinkSync(path);
  } catch {}
}

/** Removes every lock this process holds: for an exit on any path (a second Ctrl-C, process.exit). */
export function releaseLocksSync(): void {
  for (const [path, { owner }] of held) removeIfOwned(path, owner);
  held.clear();
}

/** Runs `work` holding the job's lock, released however it ends. */
export async function withJobLock<T>(dir: string, options: LockOptions, work: () => Promise<T>): Promise<T> {
  const lock = await lockJob(dir, options);
  try {
    return await work();
  } finally {
    lock.release();
  }
}
