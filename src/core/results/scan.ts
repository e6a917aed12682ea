import type { ResultFacts } from './line.js';

/**
 * Reads the facts a summary needs from a `succeeded` result line without decoding or parsing it:
 * the line is searched for the JSON keys as bytes. Inside a JSON string a quote is always
 * escaped, so `"key":` can only be structure; a key found twice (a tool's input can hold any
 * key) or anything unexpected returns undefined, and the caller parses the line as usual.
 * `text` is not read (the `jsonl` format does not need it).
 */

const enc = (s: string) => Buffer.from(s, 'latin1');
const PREFIX = enc('{"custom_id":"');
const RESULT_TYPE = enc('"result":{"type":"succeeded"');
const MODEL = enc('"model":"');
const STOP = enc('"stop_reason":');
const KEYS = {
  input_tokens: enc('"input_tokens":'),
  output_tokens: enc('"output_tokens":'),
  cache_read_input_tokens: enc('"cache_read_input_tokens":'),
  cache_creation_input_tokens: enc('"cache_creation_input_tokens":'),
  cache_write_1h_tokens: enc('"ephemeral_1h_input_tokens":'),
} as const;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The position just after `key`, if it occurs exactly once; -1 if absent; -2 if repeated. */
function once(line: Buffer, key: Buffer): number {
  const at = line.indexOf(key);
  if (at === -1) return -1;
  return line.lastIndexOf(key) === at ? at + key.length : -2;
}

/** A quoted ASCII string starting at `from` (just after its opening quote), or undefined. */
function stringAt(line: Buffer, from: number): string | undefined {
  const end = line.indexOf(QUOTE, from);
  if (end === -1 || line.subarray(from, end).includes(BACKSLASH)) return undefined;
  return line.toString('latin1', from, end);
}

/** A non-negative integer or `null` at `from`; undefined for anything else. */
function numberAt(line: Buffer, from: number): number | null | undefined {
  let n = 0;
  let i = from;
  while (line[i] === 0x20) i += 1;
  if (line[i] === 0x6e) return line.toString('latin1', i, i + 4) === 'null' ? null : undefined;
  const start = i;
  for (; i < line.length; i += 1) {
    const c = line[i] as number;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  if (i === start || i - start > 15) return undefined;
  const next = line[i];
  return next === 0x2c || next === 0x7d || next === 0x20 ? n : undefined;
}

/** The facts of a succeeded result line, or undefined when the line needs a full parse. */
export function scanSucceeded(line: Buffer): ResultFacts | undefined {
  if (line.length < PREFIX.length || line.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) !== 0)
    return undefined;
  const customId = stringAt(line, PREFIX.length);
  if (customId === undefined) return undefined;
  const idEnd = PREFIX.length + customId.length;
  if (line.indexOf(RESULT_TYPE, idEnd) !== idEnd + 2) return undefined;
  const modelAt = once(line, MODEL);
  const model = modelAt >= 0 ? stringAt(line, modelAt) : undefined;
  if (model === undefined) return undefined;
  const stopAt = once(line, STOP);
  if (stopAt < 0) return undefined;
  const stop =
    line[stopAt] === QUOTE ? stringAt(line, stopAt + 1) : numberAt(line, stopAt) === null ? null : undefined;
  if (stop === undefined) return undefined;
  const numbers: Record<string, number | null> = {};
  for (const [name, key] of Object.entries(KEYS)) {
    const at = once(line, key);
    if (at === -2) return undefined;
    const value = at === -1 ? null : numberAt(line, at);
    if (value === undefined) return undefined;
    numbers[name] = value;
  }
  if (numbers.input_tokens === null || numbers.output_tokens === null) return undefined;
  return {
    custom_id: customId,
    type: 'succeeded',
    model,
    text: null,
    stop_reason: stop,
    input_tokens: numbers.input_tokens ?? null,
    output_tokens: numbers.output_tokens ?? null,
    cache_read_input_tokens: numbers.cache_read_input_tokens ?? null,
    cache_creation_input_tokens: numbers.cache_creation_input_tokens ?? null,
    cache_write_1h_tokens: numbers.cache_write_1h_tokens ?? null,
    error_type: null,
    error_message: null,
  };
}
