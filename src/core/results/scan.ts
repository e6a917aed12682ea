import type { ResultFacts } from './line.js';

/**
 * Reads the facts a summary needs from a `succeeded` result line without decoding or parsing it.
 * One forward walk over the bytes follows the JSON structure: strings are skipped with a native
 * search for their closing quote, the message's own keys are read where they stand, and every
 * other value (the answer's content, however nested) is skipped without being built. Only keys
 * at their right depth count, so a tool's input that holds `"model"` or `"input_tokens"` changes
 * nothing. Anything unexpected (another layout, white space, a repeated key, a number that is not
 * a plain integer) returns undefined, and the caller parses the line as usual.
 * `text` and `tool_use` are not read (the `jsonl` format does not need them).
 */

const enc = (s: string) => Buffer.from(s, 'latin1');
const HEAD = enc('{"custom_id":"');
const AFTER_ID = enc('","result":{"type":"succeeded","message":{');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Thrown inside the walk when the line is not in the expected layout. */
const GIVE_UP = Symbol('give up');

/** The index just past the closing quote of a string whose opening quote is at `at - 1`. */
function skipString(line: Buffer, at: number): number {
  let i = at;
  for (;;) {
    const end = line.indexOf(QUOTE, i);
    if (end === -1) throw GIVE_UP;
    let slashes = 0;
    for (let j = end - 1; j >= at && line[j] === BACKSLASH; j -= 1) slashes += 1;
    if (slashes % 2 === 0) return end + 1;
    i = end + 1;
  }
}

/** A string's content (ASCII, no escapes) whose opening quote is at `at - 1`, and the index past it. */
function readString(line: Buffer, at: number): [string, number] {
  const end = line.indexOf(QUOTE, at);
  if (end === -1) throw GIVE_UP;
  for (let j = at; j < end; j += 1)
    if ((line[j] as number) === BACKSLASH || (line[j] as number) > 0x7e) throw GIVE_UP;
  return [line.toString('latin1', at, end), end + 1];
}

/** The index just past the value that starts at `at` (any JSON value). */
function skipValue(line: Buffer, at: number): number {
  const c = line[at];
  if (c === QUOTE) return skipString(line, at + 1);
  if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) {
    let i = at;
    while (i < line.length) {
      const b = line[i] as number;
      if (b === COMMA || b === CLOSE_OBJECT || b === CLOSE_ARRAY) break;
      i += 1;
    }
    if (i === at) throw GIVE_UP;
    return i;
  }
  let depth = 0;
  let i = at;
  while (i < line.length) {
    const b = line[i] as number;
    if (b === QUOTE) {
      i = skipString(line, i + 1);
      continue;
    }
    if (b === OPEN_OBJECT || b === OPEN_ARRAY) depth += 1;
    else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
    i += 1;
  }
  throw GIVE_UP;
}

/** A non-negative integer or `null` at `at`, and the index past it. */
function readCount(line: Buffer, at: number): [number | null, number] {
  if (line[at] === 0x6e) {
    if (line.toString('latin1', at, at + 4) !== 'null') throw GIVE_UP;
    return [null, at + 4];
  }
  let n = 0;
  let i = at;
  for (; i < line.length; i += 1) {
    const c = line[i] as number;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  if (i === at || i - at > 15) throw GIVE_UP;
  const next = line[i];
  if (next !== COMMA && next !== CLOSE_OBJECT) throw GIVE_UP;
  return [n, i];
}

/**
 * Walks the members of the object whose `{` is at `at - 1`, calling `member(start, end, valueAt)`
 * for each, with the key's bytes between `start` and `end` (a key with an escape gives up: it
 * could spell a known key another way); it returns the index past the member's value. Returns
 * the index past the closing `}`.
 */
function walkObject(
  line: Buffer,
  at: number,
  member: (start: number, end: number, valueAt: number) => number,
): number {
  let i = at;
  if (line[i] === CLOSE_OBJECT) return i + 1;
  for (;;) {
    if (line[i] !== QUOTE) throw GIVE_UP;
    const start = i + 1;
    const end = line.indexOf(QUOTE, start);
    if (end === -1) throw GIVE_UP;
    for (let j = start; j < end; j += 1) if (line[j] === BACKSLASH) throw GIVE_UP;
    if (line[end + 1] !== COLON) throw GIVE_UP;
    i = member(start, end, end + 2);
    const b = line[i];
    if (b === CLOSE_OBJECT) return i + 1;
    if (b !== COMMA) throw GIVE_UP;
    i += 1;
  }
}

const MODEL = enc('model');
const STOP_REASON = enc('stop_reason');
const USAGE = enc('usage');
const CACHE_CREATION = enc('cache_creation');
/** The counts read from `usage` (and `usage.cache_creation`), by the bit that marks each as seen. */
const COUNTS = [
  enc('input_tokens'),
  enc('output_tokens'),
  enc('cache_read_input_tokens'),
  enc('cache_creation_input_tokens'),
] as const;
const EPHEMERAL_1H = enc('ephemeral_1h_input_tokens');

/** Whether the bytes between `start` and `end` are `key`. */
function is(line: Buffer, start: number, end: number, key: Buffer): boolean {
  return end - start === key.length && line.compare(key, 0, key.length, start, end) === 0;
}

/** The facts of a succeeded result line, or undefined when the line needs a full parse. */
export function scanSucceeded(line: Buffer): ResultFacts | undefined {
  if (line.length < HEAD.length || line.compare(HEAD, 0, HEAD.length, 0, HEAD.length) !== 0) return undefined;
  try {
    const [customId, afterId] = readString(line, HEAD.length);
    const idEnd = afterId - 1;
    if (
      idEnd + AFTER_ID.length > line.length ||
      line.compare(AFTER_ID, 0, AFTER_ID.length, idEnd, idEnd + AFTER_ID.length) !== 0
    )
      return undefined;
    let model: string | undefined;
    let stop: string | null | undefined;
    // input, output, cache read, cache creation, 1-hour writes; undefined until seen.
    const counts: Array<number | null | undefined> = [undefined, undefined, undefined, undefined, undefined];
    let seen = 0;
    const once = (bit: number) => {
      if (seen & bit) throw GIVE_UP;
      seen |= bit;
    };
    const count = (slot: number, at: number): number => {
      once(1 << (4 + slot));
      const [value, next] = readCount(line, at);
      counts[slot] = value;
      return next;
    };
    const cacheCreation = (start: number, end: number, at: number): number =>
      is(line, start, end, EPHEMERAL_1H) ? count(4, at) : skipValue(line, at);
    const usage = (start: number, end: number, at: number): number => {
      for (let slot = 0; slot < COUNTS.length; slot += 1) {
        if (is(line, start, end, COUNTS[slot] as Buffer)) return count(slot, at);
      }
      if (is(line, start, end, CACHE_CREATION)) {
        once(1 << 3);
        if (line[at] !== OPEN_OBJECT) return skipValue(line, at);
        return walkObject(line, at + 1, cacheCreation);
      }
      return skipValue(line, at);
    };
    const end = walkObject(line, idEnd + AFTER_ID.length, (start, keyEnd, at) => {
      if (is(line, start, keyEnd, MODEL)) {
        once(1);
        if (line[at] !== QUOTE) throw GIVE_UP;
        const [value, next] = readString(line, at + 1);
        model = value;
        return next;
      }
      if (is(line, start, keyEnd, STOP_REASON)) {
        once(2);
        if (line[at] === QUOTE) {
          const [value, next] = readString(line, at + 1);
          stop = value;
          return next;
        }
        const [value, next] = readCount(line, at);
        if (value !== null) throw GIVE_UP;
        stop = null;
        return next;
      }
      if (is(line, start, keyEnd, USAGE)) {
        once(4);
        if (line[at] !== OPEN_OBJECT) throw GIVE_UP;
        return walkObject(line, at + 1, usage);
      }
      return skipValue(line, at);
    });
    // The message closes the result, which closes the line.
    if (end + 2 !== line.length || line[end] !== CLOSE_OBJECT || line[end + 1] !== CLOSE_OBJECT)
      return undefined;
    if (model === undefined || stop === undefined) return undefined;
    const [input, output, cacheRead, cacheCreationTokens, oneHour] = counts;
    if (input === undefined || input === null || output === undefined || output === null) return undefined;
    return {
      custom_id: customId,
      type: 'succeeded',
      model,
      text: null,
      stop_reason: stop,
      input_tokens: input,
      output_tokens: output,
      cache_read_input_tokens: cacheRead ?? null,
      cache_creation_input_tokens: cacheCreationTokens ?? null,
      cache_write_1h_tokens: oneHour ?? null,
      error_type: null,
      error_message: null,
    };
  } catch (error) {
    if (error === GIVE_UP) return undefined;
    throw error;
  }
}
