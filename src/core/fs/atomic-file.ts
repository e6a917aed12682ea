import { randomBytes } from 'node:crypto';
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { UsageError } from '../errors.js';

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
}

/**
 * Writes to a stream, waiting for 'drain' when its buffer is full. A stream error is remembered
 * and thrown by the next write, so it is never lost nor left unhandled.
 */
function streamWriter(stream: Writable): (chunk: Uint8Array | string) => Promise<void> {
  let failure: Error | undefined;
  stream.on('error', (error) => {
    failure ??= error;
  });
  return async (chunk) => {
    if (failure) throw failure;
    if (!stream.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          stream.off('close', onClose);
          resolve();
        };
        const onClose = () => {
          stream.off('drain', onDrain);
          reject(failure ?? new Error('output closed'));
        };
        stream.once('drain', onDrain);
        stream.once('close', onClose);
      });
    }
    if (failure) throw failure;
  };
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
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const stream: WriteStream = createWriteStream(temp, { flags: 'wx', highWaterMark: 1 << 20 });
  liveTempFiles.add(temp);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  }).catch((error: NodeJS.ErrnoException) => {
    liveTempFiles.delete(temp);
    throw new UsageError(
      `cannot write ${path}: ${error.code ?? error.message}`,
      'check that the folder exists and is writable',
    );
  });
  let done = false;
  const close = () =>
    new Promise<void>((resolve, reject) => {
      stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
  return {
    target: path,
    write: streamWriter(stream),
    async commit() {
      if (done) return;
      done = true;
      await close();
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
      stream.destroy();
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
 * Gathers small writes into chunks of about `size` bytes before passing them on, so that a
 * stream of short lines costs one write per chunk, not one per line. `commit` flushes first.
 */
export function bufferedSink(sink: Sink, size = 1 << 20): Sink {
  let parts: Buffer[] = [];
  let length = 0;
  const flush = async () => {
    if (length === 0) return;
    const chunk = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, length);
    parts = [];
    length = 0;
    await sink.write(chunk);
  };
  return {
    target: sink.target,
    async write(chunk) {
      const bytes =
        typeof chunk === 'string'
          ? Buffer.from(chunk)
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      parts.push(bytes);
      length += bytes.length;
      if (length >= size) await flush();
    },
    async commit() {
      await flush();
      await sink.commit();
    },
    async abort() {
      parts = [];
      length = 0;
      await sink.abort();
    },
  };
}
