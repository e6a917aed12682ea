/**
 * Reusing answers already paid for: an index from a request's params (canonical JSON, hashed)
 * to a succeeded result on disk, in bounded memory.
 *
 * Each source is a pair of files: the requests a batch was made from and the results it
 * returned. Building reads each request file (holding one source's custom_id → hash map: at most
 * one batch's ids), then its results, adding one entry per succeeded result: a 128-bit hash of
 * the params, the source, and the result line's byte offset and length. No text is kept: 36
 * bytes an entry in typed-array pages (growing adds a page, never copies), plus an open-addressing
 * slot table at most half full, so 1,000,000 reusable answers take ~45 MB. Result lines are
 * scanned for their custom_id and type, never parsed, and read in 64 KB chunks through
 * `readLines` (young garbage collected as it goes). A hit is read back from its file (pread) and checked:
 * the line must parse, be a succeeded result, and carry the custom_id the index saw there.
 * 128 bits of SHA-256 make a false match of two different params unthinkable (2^-128 a pair).
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';
import { collectOldGarbage, READ_CHUNK_BYTES } from '../fs/memory.js';

/** A batch's requests and the results it returned. */
export interface ReuseSource {
  requests: string;
  results: string;
  /** Request files of later attempts: the answers to their custom_ids here were replaced (not indexed). */
  replacedBy?: readonly string[] | undefined;
}

/** The custom_ids of request files. */
async function customIds(files: readonly string[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const file of files) {
    for await (const { bytes } of readLines(createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }))) {
      if (isBlank(bytes)) continue;
      const line = JSON.parse(decodeUtf8(bytes) ?? 'null') as { custom_id?: unknown } | null;
      if (typeof line?.custom_id === 'string') ids.add(line.custom_id);
    }
  }
  return ids;
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

/** 32 bits of a custom_id (FNV-1a), to check that a result line read back is the one indexed. */
function idTag(customId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < customId.length; i += 1) {
    h ^= customId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The end (index after the closing quote) of the JSON string starting at `at` (its opening quote); -1 if unclosed. */
function stringEnd(bytes: Buffer, at: number): number {
  for (let i = at + 1; i < bytes.length; i += 1) {
    const b = bytes[i];
    if (b === BACKSLASH) i += 1;
    else if (b === QUOTE) return i + 1;
  }
  return -1;
}

function skipSpace(bytes: Buffer, at: number): number {
  let i = at;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0d || bytes[i] === 0x0a)
  )
    i += 1;
  return i;
}

/** Whether bytes[from, to) are the JSON string `"text"` (ASCII text, no escapes). */
function isKey(bytes: Buffer, from: number, to: number, text: string): boolean {
  if (to - from !== text.length + 2) return false;
  for (let i = 0; i < text.length; i += 1) if (bytes[from + 1 + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * A result line's `custom_id` and whether `result.type` is `succeeded`, by a scan of its bytes
 * (no parse: a result line is mostly its answer, which this never decodes). Keys are found at
 * their own depth only (never inside the answer's text or content); the scan stops once both are
 * known. Undefined when the line is not a JSON object or has no string custom_id. What it finds is
 * checked again when a hit is read back ({@link ReuseIndex.find} parses the line).
 */
export function scanResult(bytes: Buffer): { customId: string; succeeded: boolean } | undefined {
  /** Open containers: true for an object, false for an array. */
  const open: boolean[] = [];
  let depth = 0;
  let customId: string | undefined;
  let type: boolean | undefined;
  /** The depth-1 key whose object value is being read ("result"), at depth 2. */
  let inResult = false;
  let i = skipSpace(bytes, 0);
  if (bytes[i] !== 0x7b) return undefined;
  let expectKey = false;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b === QUOTE) {
      const end = stringEnd(bytes, i);
      if (end < 0) return undefined;
      if (expectKey) {
        const colon = skipSpace(bytes, end);
        if (bytes[colon] !== 0x3a) return undefined;
        const value = skipSpace(bytes, colon + 1);
        if (depth === 1 && isKey(bytes, i, end, 'custom_id')) {
          if (bytes[value] !== QUOTE) return undefined;
          const valueEnd = stringEnd(bytes, value);
          if (valueEnd < 0) return undefined;
          const raw = bytes.subarray(value, valueEnd);
          customId = raw.includes(BACKSLASH)
            ? (JSON.parse(raw.toString('utf8')) as string)
            : raw.toString('utf8', 1, raw.length - 1);
          i = valueEnd;
          expectKey = false;
        } else if (depth === 2 && inResult && isKey(bytes, i, end, 'type')) {
          if (bytes[value] !== QUOTE) return undefined;
          const valueEnd = stringEnd(bytes, value);
          if (valueEnd < 0) return undefined;
          type = isKey(bytes, value, valueEnd, 'succeeded');
          i = valueEnd;
          expectKey = false;
        } else {
          if (depth === 1) inResult = isKey(bytes, i, end, 'result') && bytes[value] === 0x7b;
          i = value;
          expectKey = false;
          continue;
        }
        if (customId !== undefined && type !== undefined) return { customId, succeeded: type };
        continue;
      }
      i = end;
      continue;
    }
    if (b === 0x7b || b === 0x5b) {
      open.push(b === 0x7b);
      depth += 1;
      expectKey = b === 0x7b;
    } else if (b === 0x7d || b === 0x5d) {
      open.pop();
      depth -= 1;
      if (depth === 1) inResult = false;
      if (depth === 0) break;
    } else if (b === 0x2c) {
      // After a comma: a key in an object, a value in an array.
      expectKey = open[open.length - 1] === true;
    }
    i += 1;
  }
  return customId === undefined ? undefined : { customId, succeeded: type === true };
}

/** A found answer: the result line as the API sent it (parsed). */
export interface ReusedResult {
  result: Record<string, unknown> & { custom_id: string };
  source: ReuseSource;
}

/** Entries a page of the index holds (a power of two). */
const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE - 1;

/** See the module's comment. */
export class ReuseIndex {
  readonly sources: ReuseSource[] = [];
  size = 0;
  /**
   * Entries in pages of {@link PAGE} (growing adds a page, never copies one): per entry the hash
   * as four 32-bit words, the result line's offset, and its source, length and custom_id tag.
   */
  private words: Uint32Array[] = [];
  private offsets: Float64Array[] = [];
  private meta: Uint32Array[] = [];
  /** Entry index + 1 in each slot; 0 is empty. At most half full. */
  private slots = new Int32Array(2048);
  private fds = new Map<number, number>();
  /** Where {@link find} reads a result line (one buffer for every hit, not one each). */
  private scratch = Buffer.alloc(64 * 1024);

  /** The slot holding the hash in `h[at..at+3]`, or the empty slot where it would go. */
  private slotOf(h: Uint32Array, at: number): number {
    const mask = this.slots.length - 1;
    const w0 = h[at] as number;
    const w1 = h[at + 1] as number;
    const w2 = h[at + 2] as number;
    const w3 = h[at + 3] as number;
    for (let s = w0 & mask; ; s = (s + 1) & mask) {
      const e = (this.slots[s] as number) - 1;
      if (e < 0) return s;
      const page = this.words[e >>> PAGE_BITS] as Uint32Array;
      const i = (e & PAGE_MASK) * 4;
      if (page[i] === w0 && page[i + 1] === w1 && page[i + 2] === w2 && page[i + 3] === w3) return s;
    }
  }

  private growSlots(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    for (let e = 0; e < this.size; e += 1) {
      this.slots[this.slotOf(this.words[e >>> PAGE_BITS] as Uint32Array, (e & PAGE_MASK) * 4)] = e + 1;
    }
  }

  /** Adds an answer, its hash in `h[at..at+3]` (the first one for the same params stays); false if one was there. */
  private addWords(
    h: Uint32Array,
    at: number,
    source: number,
    offset: number,
    length: number,
    tag: number,
  ): boolean {
    if (2 * (this.size + 1) > this.slots.length) this.growSlots();
    const s = this.slotOf(h, at);
    if (this.slots[s] !== 0) return false;
    const e = this.size;
    const p = e >>> PAGE_BITS;
    if (p === this.words.length) {
      this.words.push(new Uint32Array(PAGE * 4));
      this.offsets.push(new Float64Array(PAGE));
      this.meta.push(new Uint32Array(PAGE * 3));
    }
    const i = e & PAGE_MASK;
    (this.words[p] as Uint32Array).set(h.subarray(at, at + 4), i * 4);
    (this.offsets[p] as Float64Array)[i] = offset;
    const meta = this.meta[p] as Uint32Array;
    meta[i * 3] = source;
    meta[i * 3 + 1] = length;
    meta[i * 3 + 2] = tag;
    this.size += 1;
    this.slots[s] = e + 1;
    return true;
  }

  /** Reads one source's requests then its results, adding each succeeded result. */
  async addSource(source: ReuseSource): Promise<number> {
    // custom_id → its params' hash, for this source only (one batch's ids), four words each.
    const ids = new Map<string, number>();
    const replaced = source.replacedBy?.length ? await customIds(source.replacedBy) : undefined;
    let hashes = new Uint32Array(4 * 1024);
    for await (const { bytes } of readLines(
      createReadStream(source.requests, { highWaterMark: READ_CHUNK_BYTES }),
    )) {
      if (isBlank(bytes)) continue;
      const line = JSON.parse(decodeUtf8(bytes) ?? 'null') as {
        custom_id?: unknown;
        params?: unknown;
      } | null;
      if (typeof line?.custom_id !== 'string' || replaced?.has(line.custom_id)) continue;
      const at = ids.size;
      if (4 * at + 4 > hashes.length) {
        const bigger = new Uint32Array(hashes.length * 2);
        bigger.set(hashes);
        hashes = bigger;
      }
      new Uint8Array(hashes.buffer, 16 * at, 16).set(paramsHash(line.params));
      ids.set(line.custom_id, at);
    }
    const index = this.sources.length;
    this.sources.push(source);
    let added = 0;
    // A scan of each result line, not a parse: the answers are never decoded here.
    for await (const { offset, bytes } of readLines(
      createReadStream(source.results, { highWaterMark: READ_CHUNK_BYTES }),
    )) {
      if (isBlank(bytes)) continue;
      const result = scanResult(bytes);
      if (!result?.succeeded) continue;
      const at = ids.get(result.customId);
      if (at === undefined) continue;
      if (this.addWords(hashes, 4 * at, index, offset, bytes.length, idTag(result.customId))) added += 1;
    }
    // This source's ids map (up to a batch's 100,000 ids, promoted by now) is garbage from here.
    ids.clear();
    collectOldGarbage();
    return added;
  }

  /** The succeeded result already paid for these params, if any (read back from its file and checked). */
  find(params: unknown): ReusedResult | undefined {
    if (this.size === 0) return undefined;
    const h = new Uint32Array(4);
    new Uint8Array(h.buffer).set(paramsHash(params));
    const e = (this.slots[this.slotOf(h, 0)] as number) - 1;
    if (e < 0) return undefined;
    const meta = this.meta[e >>> PAGE_BITS] as Uint32Array;
    const i = e & PAGE_MASK;
    const sourceIndex = meta[i * 3] as number;
    const source = this.sources[sourceIndex] as ReuseSource;
    let fd = this.fds.get(sourceIndex);
    if (fd === undefined) {
      fd = openSync(source.results, 'r');
      this.fds.set(sourceIndex, fd);
    }
    const length = meta[i * 3 + 1] as number;
    if (this.scratch.length < length)
      this.scratch = Buffer.allocUnsafe(Math.max(length, 2 * this.scratch.length));
    const offset = (this.offsets[e >>> PAGE_BITS] as Float64Array)[i] as number;
    if (readSync(fd, this.scratch, 0, length, offset) !== length) return undefined;
    let result: ReusedResult['result'];
    try {
      result = JSON.parse(this.scratch.toString('utf8', 0, length));
    } catch {
      return undefined;
    }
    const type = (result?.result as { type?: unknown } | undefined)?.type;
    if (type !== 'succeeded' || typeof result.custom_id !== 'string') return undefined;
    if (idTag(result.custom_id) !== meta[i * 3 + 2]) return undefined;
    return { result, source };
  }

  /** Closes the files opened by {@link find}. */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
