import { existsSync, mkdirSync, readFileSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/core/errors.js';
import { LOCK_FILE, lockJob, releaseLocksSync, withJobLock } from '../../src/core/job/lock.js';
import { tempDir } from '../helpers/files.js';

const root = tempDir();
let n = 0;
const jobDir = () => join(root, `job-${++n}`);
const other = { pid: 4242, host: 'this-host', isAlive: () => true };

describe('the job lock', () => {
  it('is a file naming its holder, removed on release', async () => {
    const dir = jobDir();
    const lock = await lockJob(dir, { command: 'run x.jsonl', pid: 7, host: 'this-host' });
    const owner = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
    expect(owner).toMatchObject({ pid: 7, host: 'this-host', command: 'run x.jsonl' });
    expect(Date.parse(owner.since)).not.toBeNaN();
    lock.release();
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('a second holder is told who holds it (a usage error), and nothing is changed', async () => {
    const dir = jobDir();
    const lock = await lockJob(dir, { command: 'run x.jsonl', pid: 7, host: 'this-host' });
    const refused = await lockJob(dir, { command: 'retry job', ...other }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CliError);
    expect((refused as CliError).kind).toBe('usage');
    expect((refused as CliError).message).toMatch(
      /^The job is held by pid 7 on this-host \(run x\.jsonl, since /,
    );
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    lock.release();
  });

  it('is re-entrant within one process (run <source> holds it before building, then runs)', async () => {
    const dir = jobDir();
    const outer = await lockJob(dir, { command: 'run csv', pid: 7, host: 'h' });
    const inner = await lockJob(dir, { command: 'run', pid: 7, host: 'h' });
    inner.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    outer.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('a holder on this host whose pid is gone is replaced, with a note', async () => {
    const dir = jobDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 99, host: 'h', command: 'run', since: 'then', token: 't' }),
    );
    const notes: string[] = [];
    const lock = await lockJob(dir, {
      command: 'run',
      pid: 7,
      host: 'h',
      isAlive: (pid) => pid !== 99,
      onNotice: (m) => notes.push(m),
    });
    expect(notes).toEqual(['Taking over the job from pid 99 on h (run, since then): that process is gone.']);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(7);
    lock.release();
  });

  it('a lock naming this very pid on this host, not held in-process, is stale (a container restart reuses pid 1)', async () => {
    const dir = jobDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: process.pid, host: hostname(), command: 'run', since: 'then', token: 'old' }),
    );
    const notes: string[] = [];
    const lock = await lockJob(dir, { command: 'run', onNotice: (m) => notes.push(m) });
    expect(notes).toEqual([
      `Taking over the job from pid ${process.pid} on ${hostname()} (run, since then): that process is gone.`,
    ]);
    const owner = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
    expect(owner.token).not.toBe('old');
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('a lock taken by another waiting call of this process is not taken over: waited for', async () => {
    const dir = jobDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 4242, host: hostname(), command: 'run', since: 'then', token: 't' }),
    );
    const options = { command: 'run', wait: true, pollMs: 10, isAlive: () => true };
    const got: string[] = [];
    const take = async (name: string) => {
      const lock = await lockJob(dir, options);
      got.push(name);
      return lock;
    };
    const x = take('x');
    const y = take('y');
    await new Promise((r) => setTimeout(r, 30));
    unlinkSync(join(dir, LOCK_FILE));
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toHaveLength(1);
    const [first, second] = got[0] === 'x' ? [x, y] : [y, x];
    const token = (await first).owner.token;
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).token).toBe(token);
    (await first).release();
    const next = await second;
    expect(next.owner.token).not.toBe(token);
    next.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('a holder on another host is never replaced, even with --wait it is waited for', async () => {
    const dir = jobDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 99, host: 'far', command: 'run', since: 'then', token: 't' }),
    );
    const error = (await lockJob(dir, { command: 'run', pid: 7, host: 'h', isAlive: () => false }).catch(
      (e: unknown) => e,
    )) as CliError;
    expect(error.hint).toContain(`remove ${join(dir, LOCK_FILE)}`);
    const controller = new AbortController();
    const notes: string[] = [];
    const waiting = lockJob(dir, {
      command: 'run',
      pid: 7,
      host: 'h',
      isAlive: () => false,
      wait: true,
      pollMs: 10,
      signal: controller.signal,
      onNotice: (m) => notes.push(m),
    });
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ kind: 'interrupted' });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/waiting for it to finish/);
  });

  it('with wait, takes the lock once its holder releases it', async () => {
    const dir = jobDir();
    const first = await lockJob(dir, { command: 'run', pid: 7, host: 'h' });
    const second = lockJob(dir, {
      command: 'run',
      pid: 8,
      host: 'h',
      isAlive: () => true,
      wait: true,
      pollMs: 10,
    });
    setTimeout(() => first.release(), 50);
    const lock = await second;
    expect(lock.owner.pid).toBe(8);
    lock.release();
  });

  it('a lock file naming no holder is waited on briefly (being written), then removed when old', async () => {
    const dir = jobDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, LOCK_FILE), '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, LOCK_FILE), old, old);
    const notes: string[] = [];
    const lock = await lockJob(dir, { command: 'run', pid: 7, host: 'h', onNotice: (m) => notes.push(m) });
    expect(notes[0]).toMatch(/names no holder/);
    lock.release();
  });

  it('two processes removing one ownerless lock: the second puts back the lock the first took', async () => {
    const dir = jobDir();
    const path = join(dir, LOCK_FILE);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    // B has judged the empty file stale; before it moves it, A removes it and takes the job.
    const a = { pid: 4242, host: 'h', command: 'run', since: 'now', token: 'a' };
    const b = lockJob(dir, {
      command: 'run',
      pid: 7,
      host: 'h',
      isAlive: () => true,
      onNotice: (m) => {
        if (!m.includes('names no holder')) return;
        unlinkSync(path);
        writeFileSync(path, JSON.stringify(a), { flag: 'wx' });
      },
    });
    await expect(b).rejects.toMatchObject({ kind: 'usage', message: expect.stringMatching(/pid 4242 on h/) });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(a);
  });

  it('two processes removing one ownerless lock: a new one still being written is put back', async () => {
    const dir = jobDir();
    const path = join(dir, LOCK_FILE);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    // As above, but A has created its lock file and not yet written its name in it.
    const a = { pid: 4242, host: 'h', command: 'run', since: 'now', token: 'a' };
    const b = lockJob(dir, {
      command: 'run',
      pid: 7,
      host: 'h',
      isAlive: () => true,
      pollMs: 10,
      onNotice: (m) => {
        if (!m.includes('names no holder')) return;
        unlinkSync(path);
        writeFileSync(path, '', { flag: 'wx' });
        setTimeout(() => writeFileSync(path, JSON.stringify(a)), 50);
      },
    });
    await expect(b).rejects.toMatchObject({ kind: 'usage', message: expect.stringMatching(/pid 4242 on h/) });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(a);
  });

  it('is released however the work ends, and by releaseLocksSync at exit', async () => {
    const dir = jobDir();
    await expect(
      withJobLock(dir, { command: 'run' }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    await lockJob(dir, { command: 'run' });
    releaseLocksSync();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('release leaves a lock that is no longer its own', async () => {
    const dir = jobDir();
    const lock = await lockJob(dir, { command: 'run', pid: 7, host: 'h' });
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 8, host: 'h', command: 'run', since: 'now', token: 'z' }),
    );
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });
});
