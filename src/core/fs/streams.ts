import { rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { CliError, EnvironmentError, systemCode } from '../errors.js';
import type { Sink } from './atomic-file.js';

/**
 * Resolves once a stream that refused a write (`write()` returned false) has drained; rejects
 * with the stream's error as soon as it fails (a full disk), or when it closes without draining.
 * Never waits on a stream that has already failed or closed.
 */
export function drained(stream: Writable): Promise<void> {
  if (stream.errored) return Promise.reject(stream.errored);
  if (stream.destroyed || stream.closed) return Promise.reject(new Error('output closed'));
  if (!stream.writableNeedDrain) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: Error) => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => settle();
    const onError = (error: Error) => settle(error);
    const onClose = () => settle(stream.errored ?? new Error('output closed'));
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/**
 * Writes to a stream, waiting for it to drain when its buffer is full. A stream error is
 * remembered and thrown by the next write (as {@link writeError} words it for `target`), so it is
 * never lost nor left unhandled, and a write never waits on a stream that has failed.
 */
export function streamWriter(
  stream: Writable,
  target?: string,
): (chunk: Uint8Array | string) => Promise<void> {
  let failure: Error | undefined;
  stream.on('error', (error) => {
    failure ??= error;
  });
  const fail = (error: unknown) => (target === undefined ? error : writeError(target, error));
  return async (chunk) => {
    if (failure) throw fail(failure);
    if (!stream.write(chunk)) {
      await drained(stream).catch((error: unknown) => {
        throw fail(failure ?? error);
      });
    }
    if (failure) throw fail(failure);
  };
}

/**
 * A sink over a write stream this code opened (a job's shard file): writes wait while it drains
 * and fail with its error, `commit` ends it and waits until all is written, `abort` destroys it
 * and removes the file. No temporary name: for files inside a folder that is itself the unit of
 * work. Errors name `path`.
 */
export function fileSink(stream: Writable, path: string): Sink {
  let done = false;
  return {
    target: path,
    write: streamWriter(stream, path),
    async commit() {
      if (done) return;
      done = true;
      await endStream(stream).catch(async (error: unknown) => {
        await rm(path, { force: true });
        throw writeError(path, error);
      });
    },
    async abort() {
      if (done) return;
      done = true;
      stream.destroy();
      await rm(path, { force: true });
    },
  };
}

/** Ends a write stream and waits until everything is written (rejects with its error). */
export function endStream(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

/**
 * A write that failed for a reason of the machine (a full disk, a read-only file system, a
 * missing folder) as an EnvironmentError naming the file, `cannot write PATH`, with the system
 * code: the CLI adds the words and the hint (`: the disk is full (ENOSPC)`). Other errors, and
 * CliErrors, are returned as they are.
 */
export function writeError(path: string, error: unknown): unknown {
  if (error instanceof CliError) return error;
  const code = systemCode(error);
  if (!code) return error;
  return new EnvironmentError(`cannot write ${path}`, { code, cause: error });
}

/**
 * Gathers small pieces (text or bytes) into chunks of about `size` (characters or bytes) so that
 * a stream of short lines costs one write per chunk, not one per line. `add` is synchronous (no
 * promise per line) and says when a chunk is ready; `take` hands it over: a string when only
 * text was added, else bytes (one piece is passed on as it is, without a copy). With `lines`,
 * every piece is a line and is followed by `\n` in the chunk.
 */
export class Chunker {
  private parts: Array<string | Uint8Array> = [];
  private length = 0;
  private text = false;
  private binary = false;
  /** Bytes taken so far (UTF-8). */
  bytes = 0;

  /** 1 in lines mode (each piece is followed by `\n`), else 0. */
  private readonly newline: number;

  constructor(
    readonly size = 1 << 20,
    private readonly lines = false,
  ) {
    this.newline = lines ? 1 : 0;
  }

  /** Adds a piece (a line, without its `\n`, in lines mode); true when the chunk is full and should be taken. */
  add(piece: string | Uint8Array): boolean {
    this.parts.push(piece);
    this.length += piece.length + this.newline;
    if (typeof piece === 'string') this.text = true;
    else this.binary = true;
    return this.length >= this.size;
  }

  /** The chunk gathered so far (undefined when empty); the chunker starts afresh. */
  take(): string | Uint8Array | undefined {
    const parts = this.parts;
    if (parts.length === 0) return undefined;
    let chunk: string | Uint8Array;
    if (this.lines) {
      if (!this.binary) {
        (parts as string[]).push('');
        chunk = (parts as string[]).join('\n');
      } else chunk = joinLines(parts, this.text ? undefined : this.length);
    } else if (parts.length === 1) chunk = parts[0] as string | Uint8Array;
    else if (!this.binary) chunk = (parts as string[]).join('');
    else if (!this.text) chunk = Buffer.concat(parts as Uint8Array[], this.length);
    else chunk = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    this.clear();
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return chunk;
  }

  /** Drops what was gathered. */
  clear(): void {
    this.parts = [];
    this.length = 0;
    this.text = false;
    this.binary = false;
  }
}

/** Lines (bytes, or text among them) into one buffer, each followed by `\n`; `length` when known. */
function joinLines(parts: Array<string | Uint8Array>, length: number | undefined): Buffer {
  const pieces =
    length === undefined ? parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)) : parts;
  const size = length ?? pieces.reduce((n, p) => n + p.length + 1, 0);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const piece of pieces as Uint8Array[]) {
    out.set(piece, at);
    at += piece.length;
    out[at] = 10;
    at += 1;
  }
  return out;
}

/**
 * A {@link Chunker} in front of a sink: pieces (or lines, with `lines`) are gathered
 * synchronously (no promise per line) and written out a chunk at a time. `add` says when a chunk
 * is ready (then await `flush`); `write` adds and returns the flush's promise when there is one.
 * `bytes` counts what went out.
 */
export class ChunkWriter extends Chunker {
  constructor(
    private readonly sink: Sink,
    size = 1 << 20,
    lines = false,
  ) {
    super(size, lines);
  }

  /** Adds a piece; when a chunk is ready, writes it out and returns that promise (await it). */
  write(piece: string | Uint8Array): Promise<void> | undefined {
    return this.add(piece) ? this.flush() : undefined;
  }

  /** Writes out everything gathered. */
  async flush(): Promise<void> {
    const chunk = this.take();
    if (chunk !== undefined) await this.sink.write(chunk);
  }
}
