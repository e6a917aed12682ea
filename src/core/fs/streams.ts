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
 * Gathers small pieces (text or bytes) into chunks of `size` bytes so that a stream of short
 * lines costs one write per chunk, not one per line. `add` is synchronous (no promise per line)
 * and says when a chunk is ready; `take` hands over the chunks gathered. Each piece is copied
 * (text encoded as UTF-8) into the chunk's buffer at once, so nothing the caller passed is kept
 * alive: a line that is a view into a download's 64 KB buffer, or a string made for one result,
 * dies young instead of being carried into the old generation with a whole chunk's worth of
 * others. A piece that does not fit is split across chunks (the output is their concatenation).
 * With `lines`, every piece is a line and is followed by `\n`.
 */
export class Chunker {
  private buffer: Buffer | undefined;
  private length = 0;
  /** Full chunks not taken yet. */
  private ready: Uint8Array[] = [];
  /** Chunks' buffers handed back by {@link recycle}, used for the next chunks. */
  private spare: Buffer[] = [];
  /** Bytes taken so far. */
  bytes = 0;

  constructor(
    readonly size = 1 << 20,
    private readonly lines = false,
  ) {}

  /** Adds a piece (a line, without its `\n`, in lines mode); true when a chunk is ready to be taken. */
  add(piece: string | Uint8Array): boolean {
    let bytes: Uint8Array | string = piece;
    // A UTF-8 string takes at most 3 bytes a UTF-16 unit: encode it apart only when that could overflow.
    if (typeof piece === 'string' && piece.length * 3 > this.size - this.length) bytes = Buffer.from(piece);
    if (typeof bytes === 'string') this.length += this.current().write(bytes, this.length);
    else this.copy(bytes);
    if (this.lines) this.copy(NEWLINE);
    return this.ready.length > 0;
  }

  /**
   * The chunks gathered so far, the last one possibly short; the chunker starts afresh. With
   * `fullOnly`, only the full chunks: the one being filled stays (for writes in the middle).
   */
  take(fullOnly = false): Uint8Array[] {
    const chunks = this.ready;
    this.ready = [];
    if (!fullOnly && this.buffer && this.length > 0) {
      chunks.push(this.buffer.subarray(0, this.length));
      this.buffer = undefined;
      this.length = 0;
    }
    for (const chunk of chunks) this.bytes += chunk.length;
    return chunks;
  }

  /** Drops what was gathered. */
  clear(): void {
    this.buffer = undefined;
    this.length = 0;
    this.ready = [];
  }

  /**
   * Hands back a chunk from {@link take} whose bytes are no longer needed (written out), so its
   * buffer is reused instead of a new one being allocated: a fresh 1 MB buffer per chunk is
   * external memory that V8 only reclaims after tens of MB have piled up.
   */
  recycle(chunk: Uint8Array): void {
    if (
      this.spare.length < 2 &&
      chunk.byteOffset === 0 &&
      chunk.buffer.byteLength === this.size &&
      chunk.buffer !== this.buffer?.buffer
    )
      this.spare.push(Buffer.from(chunk.buffer, 0, this.size));
  }

  private current(): Buffer {
    if (!this.buffer) {
      this.buffer = this.spare.pop() ?? Buffer.allocUnsafe(this.size);
    }
    return this.buffer;
  }

  private copy(bytes: Uint8Array): void {
    let from = 0;
    while (from < bytes.length) {
      const buffer = this.current();
      const n = Math.min(bytes.length - from, this.size - this.length);
      buffer.set(from === 0 && n === bytes.length ? bytes : bytes.subarray(from, from + n), this.length);
      this.length += n;
      from += n;
      if (this.length === this.size) {
        // A fresh buffer for the next chunk: the one handed over may still be queued for writing.
        this.ready.push(buffer);
        this.buffer = undefined;
        this.length = 0;
      }
    }
  }
}

const NEWLINE = Buffer.from('\n');

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
    return this.add(piece) ? this.flush(true) : undefined;
  }

  /** Writes out everything gathered; with `fullOnly`, only the full chunks. */
  async flush(fullOnly = false): Promise<void> {
    for (const chunk of this.take(fullOnly)) {
      await this.sink.write(chunk);
      if (this.sink.done) this.recycle(chunk);
    }
  }
}
