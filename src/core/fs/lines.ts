import { isUtf8 } from 'node:buffer';
import { garbagePacer } from './memory.js';

/** One line of a byte stream: its 1-based number and its bytes, without `\n`, a trailing `\r` or a leading BOM. */
export interface RawLine {
  number: number;
  bytes: Buffer;
  /** False only for a last line that no `\n` ended (it may have been cut short). */
  terminated: boolean;
  /** The byte offset in the stream where `bytes` begins (reading `bytes.length` bytes there gives them back). */
  offset: number;
}

const NL = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Splits a byte stream into lines without decoding it first, so that a chunk boundary inside a
 * multi-byte character or between `\r` and `\n` changes nothing. LF and CRLF are both line ends;
 * a UTF-8 BOM at the very start is dropped. Memory holds one line at a time, and the young
 * garbage of the chunks read is collected every few MB (see {@link garbagePacer}).
 */
export async function* readLines(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
): AsyncGenerator<RawLine> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let number = 0;
  let first = true;
  /** Bytes of the stream before the current chunk, and before the current line. */
  let read = 0;
  let lineStart = 0;
  const pace = garbagePacer();

  const finish = (bytes: Buffer, terminated = true): RawLine => {
    number += 1;
    let b = bytes;
    let offset = lineStart;
    if (first) {
      first = false;
      if (b.length >= 3 && b[0] === BOM[0] && b[1] === BOM[1] && b[2] === BOM[2]) {
        b = b.subarray(3);
        offset += 3;
      }
    }
    if (b.length > 0 && b[b.length - 1] === CR) b = b.subarray(0, b.length - 1);
    return { number, bytes: b, terminated, offset };
  };

  for await (const input of source) {
    const chunk =
      typeof input === 'string'
        ? Buffer.from(input)
        : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    pace(chunk.length);
    let start = 0;
    let nl = chunk.indexOf(NL, start);
    while (nl !== -1) {
      let line: Buffer;
      if (pendingLength > 0) {
        pending.push(chunk.subarray(start, nl));
        line = Buffer.concat(pending, pendingLength + (nl - start));
        pending = [];
        pendingLength = 0;
      } else {
        line = chunk.subarray(start, nl);
      }
      const done = finish(line);
      lineStart = read + nl + 1;
      yield done;
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    if (start < chunk.length) {
      // Copy: the caller may reuse the chunk's memory once we return to the loop.
      const rest = Buffer.from(chunk.subarray(start));
      pending.push(rest);
      pendingLength += rest.length;
    }
    read += chunk.length;
  }
  if (pendingLength > 0) yield finish(Buffer.concat(pending, pendingLength), false);
}

/** True when a line is empty or only spaces and tabs. */
export function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) {
    if (b !== 0x20 && b !== 0x09) return false;
  }
  return true;
}

/** Decodes a line as strict UTF-8; undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Buffer): string | undefined {
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}
