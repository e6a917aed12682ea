import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { UsageError } from '../errors.js';
import { ChunkWriter, streamWriter, writeError } from './streams.js';

/** Temporary files still open in this process, removed by {@link removeTempFilesSync} on a hard exit. */
const liveTempFiles = new Set<string>();

/** Removes every temporary file this process has not committed yet. Safe to call from an exit handler. */
export function removeTempFilesSync(): void {
  for (const path of liveTempFiles) {
    try {
      rmSync(path, { force: true });
    } catch {
      // Best effort on the way out.
    }
  }
  liveTempFiles.clear();
}

/** True when a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Throws a UsageError when `path` exists and `force` is not set. */
export async function assertWritable(path: string, force: boolean | undefined, flag = '-o'): Promise<void> {
  if (!force && (await exists(path))) {
    throw new UsageError(
      `${path} already exists`,
      `pass --force to replace it, or choose another path with ${flag}`,
    );
  }
}

/** A byte sink: where streamed output goes. `commit` makes it final, `abort` throws it away. */
export interface Sink {
  write(chunk: Uint8Array | string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  /** Where the bytes end up (a path, or "stdout"). */
  readonly target: string;
  /**
   * True when `write` is done with the bytes once its promise resolves (they were written, not
   * queued), so the caller may reuse the buffer.
   */
  readonly done?: boolean;
}

/** A temporary name beside `path`, hidden and unique to this process and call. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes a whole file atomically and durably, synchronously: to a temporary name beside it
 * (removed on a hard exit like every other), flushed to the disk (fsync), then renamed over
 * `path`, and the rename itself flushed. A crash leaves either the old file or the new one.
 * For small state files that must be on disk before the next step (a job's manifest).
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const temp = tempPathFor(path);
  liveTempFiles.add(temp);
  try {
    const fd = openSync(temp, 'wx');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw writeError(path, error);
  } finally {
    liveTempFiles.delete(temp);
  }
  syncFolder(dirname(path));
}

/** Flushes a folder's entries (a rename) to the disk, where the system allows it. */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some systems cannot open or flush a folder; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * A file written to a temporary name beside its destination and renamed into place by
 * `commit`, so a failure or Ctrl-C never leaves a half-written file. Created with the user's
 * umask (mode 0666 before it), like any file a shell command makes.
 */
export async function openAtomicFile(
  path: string,
  options: { force?: boolean; flag?: string } = {},
): Promise<Sink> {
  await assertWritable(path, options.force, options.flag);
  // One rule for every output: missing parent folders are created.
  await mkdir(dirname(path), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(
      `cannot write ${path}: ${error.code === 'ENOTDIR' || error.code === 'EEXIST' ? 'a part of the path is not a folder' : (error.code ?? error.message)}`,
      'check the path',
    );
  });
  const temp = tempPathFor(path);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o666);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot write ${path}: ${code ?? (error as Error).message}`,
      'check that the folder exists and is writable',
    );
  }
  liveTempFiles.add(temp);
  let done = false;
  const close = () => {
    try {
      closeSync(fd);
    } catch {
      // Already closed, or the close failed on the way out: the temp file is removed anyway.
    }
  };
  return {
    target: path,
    done: true,
    // Synchronous writes of the chunks a bufferedSink gathers (256 KB): each buffer is done with
    // when the call returns, so it dies young instead of being promoted while queued in a write
    // stream (which held ~35 MB of written buffers until the next full collection).
    async write(chunk) {
      if (done) throw writeError(path, new Error('output closed'));
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      try {
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      } catch (error) {
        throw writeError(path, error);
      }
    },
    async commit() {
      if (done) return;
      done = true;
      try {
        closeSync(fd);
      } catch (error) {
        await rm(temp, { force: true });
        liveTempFiles.delete(temp);
        throw writeError(path, error);
      }
      if (!options.force)
        await assertWritable(path, false).catch(async (error) => {
          await rm(temp, { force: true });
          liveTempFiles.delete(temp);
          throw error;
        });
      await rename(temp, path);
      liveTempFiles.delete(temp);
    },
    async abort() {
      if (done) return;
      done = true;
      close();
      await rm(temp, { force: true });
      liveTempFiles.delete(temp);
    },
  };
}

/** A sink over a stream the caller owns (stdout): writes pass through, commit and abort do nothing. */
export function streamSink(stream: Writable, target = 'stdout'): Sink {
  return {
    target,
    write: streamWriter(stream),
    async commit() {},
    async abort() {},
  };
}

/**
 * Gathers small writes into chunks of about `size` bytes (a {@link ChunkWriter}) before passing
 * them on, so that a stream of short lines costs one write per chunk, not one per line. `commit`
 * flushes first.
 */
export function bufferedSink(sink: Sink, size = 1 << 18): Sink {
  const writer = new ChunkWriter(sink, size);
  return {
    target: sink.target,
    async write(chunk) {
      await writer.write(chunk);
    },
    async commit() {
      await writer.flush();
      await sink.commit();
    },
    async abort() {
      writer.clear();
      await sink.abort();
    },
  };
}
