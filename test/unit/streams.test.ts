import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { renderError } from '../../src/cli/render-error.js';
import { EnvironmentError } from '../../src/core/errors.js';
import { writeFileAtomicSync } from '../../src/core/fs/atomic-file.js';
import { Chunker, ChunkWriter, drained, writeError } from '../../src/core/fs/streams.js';
import { type Manifest, readManifest, writeManifest } from '../../src/core/job/manifest.js';
import { splitRequests } from '../../src/core/job/split.js';
import { tempDir, writeRequests } from '../helpers/files.js';

const dir = tempDir();

function enospc(): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error('ENOSPC: no space left on device, write');
  error.code = 'ENOSPC';
  return error;
}

/** A stream like a file on a full disk: takes `room` bytes, then every write fails with ENOSPC. */
function fullDisk(room: number, highWaterMark = 16): Writable & { taken: number } {
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, done) {
      // Asynchronous like a real file write: the error comes after write() returned false.
      setImmediate(() => {
        if (stream.taken + chunk.length > room) return done(enospc());
        stream.taken += chunk.length;
        done();
      });
    },
  }) as Writable & { taken: number };
  stream.taken = 0;
  return stream;
}

/** Rejects if `promise` does not settle within `ms` (a hang is a failure, not a timeout of the suite). */
function within<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)),
  ]);
}

/** The error as the CLI shows it. */
const shown = (error: unknown) => renderError(error, { verbose: false, secret: undefined }).text;

describe('drained', () => {
  it('resolves once a full stream drains', async () => {
    const stream = new PassThrough({ highWaterMark: 4 });
    expect(stream.write('0123456789')).toBe(false);
    const waiting = drained(stream);
    stream.resume();
    await expect(within(waiting)).resolves.toBeUndefined();
  });

  it('resolves at once when the stream does not need to drain', async () => {
    const stream = new PassThrough({ highWaterMark: 1024 });
    expect(stream.write('abc')).toBe(true);
    await expect(within(drained(stream), 100)).resolves.toBeUndefined();
  });

  it('rejects with the stream error instead of waiting for a drain that never comes', async () => {
    const stream = fullDisk(0);
    stream.on('error', () => {});
    expect(stream.write(Buffer.alloc(64))).toBe(false);
    const error = await within(drained(stream)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  });

  it('rejects at once on a stream that already failed or closed', async () => {
    const failed = fullDisk(0);
    failed.on('error', () => {});
    failed.write(Buffer.alloc(64));
    await new Promise((resolve) => failed.once('close', resolve));
    await expect(within(drained(failed), 100)).rejects.toMatchObject({ code: 'ENOSPC' });

    const closed = new PassThrough();
    closed.destroy();
    await expect(within(drained(closed), 100)).rejects.toThrow('output closed');
  });
});

describe('writeError', () => {
  it('names the file and keeps the system code (an environment error); other errors pass through', () => {
    const error = writeError('/data/out.jsonl', enospc());
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).message).toBe('cannot write /data/out.jsonl');
    expect((error as EnvironmentError).code).toBe('ENOSPC');
    expect((error as EnvironmentError).kind).toBe('environment');
    expect(shown(error)).toBe(
      'error: cannot write /data/out.jsonl: the disk is full (ENOSPC)\nhint: free some space, or write the output somewhere else\n',
    );
    const other = new Error('boom');
    expect(writeError('/x', other)).toBe(other);
  });
});

describe('Chunker and ChunkWriter', () => {
  const text = (chunks: Uint8Array[]) => chunks.map((c) => Buffer.from(c).toString('latin1'));
  const utf8 = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString();

  it('copies text and bytes into chunks of exactly `size` bytes, split across chunks, and counts them', () => {
    const chunker = new Chunker(8);
    expect(chunker.add('héllo')).toBe(false); // 6 bytes
    expect(chunker.add(' wörld')).toBe(true); // 7 more: one full chunk of 8, 5 left
    const chunks = chunker.take();
    expect(chunks.map((c) => c.length)).toEqual([8, 5]);
    expect(utf8(chunks)).toBe('héllo wörld');
    expect(chunker.take()).toEqual([]);
    expect(chunker.bytes).toBe(Buffer.byteLength('héllo wörld'));

    const bytes = new Chunker(4);
    bytes.add(Buffer.from('ab'));
    bytes.add('c');
    bytes.add(Buffer.from('dé'));
    expect(text(bytes.take())).toEqual(['abcd', Buffer.from('é').toString('latin1')]);
    expect(bytes.bytes).toBe(6);
  });

  it('keeps nothing the caller passed: a piece is copied, so reusing its memory changes nothing', () => {
    const chunker = new Chunker(1 << 10);
    const piece = Buffer.from('original');
    chunker.add(piece);
    piece.fill(0x78);
    expect(utf8(chunker.take())).toBe('original');
  });

  it('passes a piece larger than many chunks on whole, in order', () => {
    const chunker = new Chunker(4);
    chunker.add('a');
    expect(chunker.add(Buffer.from('bcdefghijk'))).toBe(true);
    chunker.add('l');
    const chunks = chunker.take();
    expect(text(chunks)).toEqual(['abcd', 'efgh', 'ijkl']);
  });

  it('in lines mode, ends every piece with a newline, as text or as bytes', () => {
    const lines = new Chunker(1 << 20, true);
    lines.add('a');
    lines.add('bé');
    expect(utf8(lines.take())).toBe('a\nbé\n');
    expect(lines.bytes).toBe(6);

    const bytes = new Chunker(6, true);
    expect(bytes.add(Buffer.from('ab'))).toBe(false);
    expect(bytes.add(Buffer.from('cd'))).toBe(true);
    expect(text(bytes.take())).toEqual(['ab\ncd\n']);

    const mixed = new Chunker(1 << 20, true);
    mixed.add(Buffer.from('x'));
    mixed.add('é');
    expect(utf8(mixed.take())).toBe('x\né\n');
  });

  it('writes a chunk only when one is full, and the rest on flush', async () => {
    const writes: string[] = [];
    const writer = new ChunkWriter(
      {
        target: 't',
        write: async (c) => void writes.push(String(c)),
        commit: async () => {},
        abort: async () => {},
      },
      10,
    );
    expect(writer.write('12345')).toBeUndefined();
    expect(writer.write('6789')).toBeUndefined();
    await writer.write('0');
    expect(writes).toEqual(['1234567890']);
    writer.add('ab');
    await writer.flush();
    expect(writes).toEqual(['1234567890', 'ab']);
    expect(writer.bytes).toBe(12);
  });
});

describe('ChunkWriter buffer reuse', () => {
  // Above Node's pool size, so that every buffer has its own memory.
  const SIZE = 8192;
  const piece = (c: string) => c.repeat(SIZE);
  const collect = (done: boolean) => {
    const buffers: ArrayBufferLike[] = [];
    const texts: string[] = [];
    const writer = new ChunkWriter(
      {
        target: 't',
        done,
        write: async (c) => {
          buffers.push((c as Uint8Array).buffer);
          texts.push(Buffer.from(c as Uint8Array).toString());
        },
        commit: async () => {},
        abort: async () => {},
      },
      SIZE,
    );
    return { writer, buffers, texts };
  };

  it('reuses a chunk’s buffer once a sink that is done with each write has written it', async () => {
    const { writer, buffers, texts } = collect(true);
    await writer.write(piece('a'));
    await writer.write(piece('b'));
    await writer.write(piece('c'));
    expect(texts).toEqual([piece('a'), piece('b'), piece('c')]);
    expect(new Set(buffers).size).toBeLessThanOrEqual(2);
  });

  it('never reuses a buffer a sink may still hold (a stream that queues writes)', async () => {
    const { writer, buffers, texts } = collect(false);
    await writer.write(piece('a'));
    await writer.write(piece('b'));
    await writer.write(piece('c'));
    expect(texts).toEqual([piece('a'), piece('b'), piece('c')]);
    expect(new Set(buffers).size).toBe(3);
  });
});

describe('a full disk', () => {
  it('fails a job split with a clear error instead of hanging (mid-way, with backpressure)', async () => {
    const input = writeRequests(dir, 'big.jsonl', 20_000);
    const job = join(dir, 'job-full');
    mkdirSync(join(job, 'shards'), { recursive: true });
    const error = await within(splitRequests(input, job, { openStream: () => fullDisk(1_500_000) })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).code).toBe('ENOSPC');
    expect(shown(error)).toBe(
      `error: cannot write ${join(job, 'shards', 'shard-000.jsonl')}: the disk is full (ENOSPC)\nhint: free some space, or write the output somewhere else\n`,
    );
  });

  it('fails a job split when the last write, at the end, hits the full disk', async () => {
    const input = writeRequests(dir, 'small.jsonl', 10);
    const job = join(dir, 'job-full-end');
    mkdirSync(join(job, 'shards'), { recursive: true });
    const error = await within(splitRequests(input, job, { openStream: () => fullDisk(100) })).catch(
      (e: unknown) => e,
    );
    expect(shown(error)).toMatch(/^error: cannot write \S+shard-000\.jsonl: the disk is full \(ENOSPC\)\n/);
  });

  it('leaves no shard file behind when a real file fails', async () => {
    const input = writeRequests(dir, 'some.jsonl', 10);
    const job = join(dir, 'job-no-folder');
    // No shards/ folder: opening the shard fails; the error is reported, not thrown unhandled.
    const error = await within(splitRequests(input, job)).catch((e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(existsSync(join(job, 'shards', 'shard-000.jsonl'))).toBe(false);
  });

  it('splits as before when the disk has room', async () => {
    // Several MB: lines held in a chunk across the file's 1 MB reads come out intact.
    const input = writeRequests(dir, 'fine.jsonl', 25_000);
    const job = join(dir, 'job-fine');
    mkdirSync(join(job, 'shards'), { recursive: true });
    const shards = await splitRequests(input, job, { maxRequests: 10_000 });
    expect(shards.map((s) => s.requests)).toEqual([10_000, 10_000, 5000]);
    const written = shards.map((s) => readFileSync(join(job, s.file), 'utf8')).join('');
    expect(written).toBe(readFileSync(input, 'utf8'));
  });
});

describe('writeFileAtomicSync and the job manifest', () => {
  it('replaces the file whole, leaves no temporary file, and the manifest reads back', () => {
    const job = join(dir, 'manifest-job');
    mkdirSync(job);
    const manifest: Manifest = {
      version: 1,
      job_id: 'job-x',
      created_at: new Date(0).toISOString(),
      input: { path: '/in.jsonl', size: 1, sha256: 'a' },
      options: {},
      shards: [],
    };
    writeManifest(job, manifest);
    writeManifest(job, { ...manifest, job_id: 'job-y' });
    expect(readManifest(job)?.job_id).toBe('job-y');
    expect(readdirSync(job)).toEqual(['manifest.json']);

    const path = join(job, 'plain.txt');
    writeFileAtomicSync(path, 'one');
    writeFileAtomicSync(path, Buffer.from('two'));
    expect(readFileSync(path, 'utf8')).toBe('two');
  });

  it('fails with a clear error and no temporary file when the folder is missing', () => {
    const path = join(dir, 'no', 'such', 'm.json');
    let error: unknown;
    try {
      writeFileAtomicSync(path, '{}');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvironmentError);
    expect(shown(error)).toMatch(
      new RegExp(`^error: cannot write ${path}: no such file or folder \\(ENOENT\\)\n`),
    );
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
