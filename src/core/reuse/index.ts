/**
 * Reusing answers already paid for: an index from a request's params (canonical JSON, hashed)
 * to a succeeded result on disk, in bounded memory.
 *
 * Each source is a pair of files: the requests a batch was made from and the results it
 * returned. Building reads each request file (holding one source's custom_id → hash map: at most
 * one batch's ids), then its results, adding one entry per succeeded result: a 128-bit hash of
 * the params, the source, and the result line's byte offset and length. No text is kept: about
 * 40 bytes an entry (dense typed arrays, grown by doubling, and an open-addressing slot table), so
 * 1,000,000 reusable answers take ~45 MB. A hit is read back from its file (pread) and checked:
 * the line must parse, be a succeeded result, and carry the custom_id the index saw there.
 * 128 bits of SHA-256 make a false match of two different params unthinkable (2^-128 a pair).
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';

/** A batch's requests and the results it returned. */
export interface ReuseSource {
  requests: string;
  results: string;
}

/** JSON with every object's keys sorted: the same params give the same text whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The first 128 bits of the SHA-256 of a request's params in canonical JSON. */
export function paramsHash(params: unknown): Buffer {
  return createHash('sha256').update(canonicalJson(params)).digest().subarray(0, 16);
}

/** 32 bits of a custom_id, to check that a result line read back is the one indexed. */
function idTag(customId: string): number {
  return createHash('sha256').update(customId).digest().readUInt32LE(0);
}

/** The lines of a file with their byte offsets (LF-separated, as results files are written). */
async function* linesWithOffsets(path: string): AsyncGenerator<{ offset: number; bytes: Buffer }> {
  let offset = 0;
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const data = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
      yield { offset: offset + start, bytes: data.subarray(start, nl) };
      start = nl + 1;
    }
    offset += start;
    pending = Buffer.from(data.subarray(start));
  }
  if (pending.length) yield { offset, bytes: pending };
}

/** A found answer: the result line as the API sent it (parsed). */
export interface ReusedResult {
  result: Record<string, unknown> & { custom_id: string };
  source: ReuseSource;
}

/** See the module's comment. */
export class ReuseIndex {
  readonly sources: ReuseSource[] = [];
  size = 0;
  private hi = new BigUint64Array(1024);
  private lo = new BigUint64Array(1024);
  private src = new Uint32Array(1024);
  private off = new Float64Array(1024);
  private len = new Uint32Array(1024);
  private tag = new Uint32Array(1024);
  /** Entry index + 1 in each slot; 0 is empty. */
  private slots = new Int32Array(2048);
  private fds = new Map<number, number>();

  private slotOf(hi: bigint, lo: bigint): number {
    const mask = this.slots.length - 1;
    for (let s = Number(lo & BigInt(mask)); ; s = (s + 1) & mask) {
      const e = this.slots[s] as number;
      if (e === 0) return s;
      if (this.hi[e - 1] === hi && this.lo[e - 1] === lo) return s;
    }
  }

  private grow(): void {
    const cap = this.hi.length * 2;
    const copy = <T extends BigUint64Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a as never);
      return b;
    };
    this.hi = copy(this.hi, (n) => new BigUint64Array(n));
    this.lo = copy(this.lo, (n) => new BigUint64Array(n));
    this.src = copy(this.src, (n) => new Uint32Array(n));
    this.off = copy(this.off, (n) => new Float64Array(n));
    this.len = copy(this.len, (n) => new Uint32Array(n));
    this.tag = copy(this.tag, (n) => new Uint32Array(n));
    this.slots = new Int32Array(cap * 2);
    for (let e = 0; e < this.size; e += 1)
      this.slots[this.slotOf(this.hi[e] as bigint, this.lo[e] as bigint)] = e + 1;
  }

  /** Adds an answer (the first one for the same params stays). */
  add(hash: Buffer, source: number, offset: number, length: number, customId: string): void {
    const hi = hash.readBigUInt64LE(0);
    const lo = hash.readBigUInt64LE(8);
    const s = this.slotOf(hi, lo);
    if (this.slots[s] !== 0) return;
    if (this.size === this.hi.length) {
      this.grow();
      this.add(hash, source, offset, length, customId);
      return;
    }
    const e = this.size;
    this.size += 1;
    this.hi[e] = hi;
    this.lo[e] = lo;
    this.src[e] = source;
    this.off[e] = offset;
    this.len[e] = length;
    this.tag[e] = idTag(customId);
    this.slots[s] = e + 1;
  }

  /** Reads one source's requests then its results, adding each succeeded result. */
  async addSource(source: ReuseSource): Promise<number> {
    // custom_id → its params' hash, for this source only (one batch's ids), as two 64-bit halves.
    const ids = new Map<string, number>();
    let halves = new BigUint64Array(2048);
    for await (const { bytes } of readLines(createReadStream(source.requests, { highWaterMark: 1 << 20 }))) {
      if (isBlank(bytes)) continue;
      const line = JSON.parse(decodeUtf8(bytes) ?? 'null') as {
        custom_id?: unknown;
        params?: unknown;
      } | null;
      if (typeof line?.custom_id !== 'string') continue;
      const at = ids.size;
      if (2 * at + 2 > halves.length) {
        const bigger = new BigUint64Array(halves.length * 2);
        bigger.set(halves);
        halves = bigger;
      }
      const digest = paramsHash(line.params);
      halves[2 * at] = digest.readBigUInt64LE(0);
      halves[2 * at + 1] = digest.readBigUInt64LE(8);
      ids.set(line.custom_id, at);
    }
    const hash = Buffer.alloc(16);
    const index = this.sources.length;
    this.sources.push(source);
    let added = 0;
    for await (const { offset, bytes } of linesWithOffsets(source.results)) {
      if (isBlank(bytes)) continue;
      let result: { custom_id?: unknown; result?: { type?: unknown } };
      try {
        result = JSON.parse(bytes.toString('utf8'));
      } catch {
        continue;
      }
      if (result?.result?.type !== 'succeeded' || typeof result.custom_id !== 'string') continue;
      const at = ids.get(result.custom_id);
      if (at === undefined) continue;
      hash.writeBigUInt64LE(halves[2 * at] as bigint, 0);
      hash.writeBigUInt64LE(halves[2 * at + 1] as bigint, 8);
      const before = this.size;
      this.add(hash, index, offset, bytes.length, result.custom_id);
      added += this.size - before;
    }
    return added;
  }

  /** The succeeded result already paid for these params, if any (read back from its file and checked). */
  find(params: unknown): ReusedResult | undefined {
    if (this.size === 0) return undefined;
    const hash = paramsHash(params);
    const e = (this.slots[this.slotOf(hash.readBigUInt64LE(0), hash.readBigUInt64LE(8))] as number) - 1;
    if (e < 0) return undefined;
    const sourceIndex = this.src[e] as number;
    const source = this.sources[sourceIndex] as ReuseSource;
    let fd = this.fds.get(sourceIndex);
    if (fd === undefined) {
      fd = openSync(source.results, 'r');
      this.fds.set(sourceIndex, fd);
    }
    const bytes = Buffer.alloc(this.len[e] as number);
    if (readSync(fd, bytes, 0, bytes.length, this.off[e] as number) !== bytes.length) return undefined;
    let result: ReusedResult['result'];
    try {
      result = JSON.parse(bytes.toString('utf8'));
    } catch {
      return undefined;
    }
    const type = (result?.result as { type?: unknown } | undefined)?.type;
    if (type !== 'succeeded' || typeof result.custom_id !== 'string') return undefined;
    if (idTag(result.custom_id) !== this.tag[e]) return undefined;
    return { result, source };
  }

  /** Closes the files opened by {@link find}. */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
