import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { openAtomicFile, type Sink } from '../../src/core/fs/atomic-file.js';

/** A `succeeded` result line as the API sends it. */
export function succeeded(id: string, text: string, input = 10, output = 3, stop = 'end_turn') {
  return {
    custom_id: id,
    result: {
      type: 'succeeded',
      message: {
        id: `msg_${id}`,
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5',
        content: [{ type: 'text', text }],
        stop_reason: stop,
        stop_sequence: null,
        usage: { input_tokens: input, output_tokens: output },
      },
    },
  };
}

/** An `errored` result line, in the API's double-nested shape. */
export function errored(id: string, type: string, message: string) {
  return { custom_id: id, result: { type: 'errored', error: { type: 'error', error: { type, message } } } };
}

/** An `expired` result line. */
export function expired(id: string) {
  return { custom_id: id, result: { type: 'expired' } };
}

/** A deterministic shuffle (mulberry32), so a failing order can be reproduced. */
export function shuffle<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** JSON Lines text from values. */
export const toJsonl = (values: unknown[]) => values.map((v) => `${JSON.stringify(v)}\n`).join('');

/** A file's JSON Lines, parsed. */
export const readJsonl = (path: string): Array<Record<string, unknown>> =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** A CSV file's records, parsed as arrays. */
export const readCsv = (path: string): string[][] => parse(readFileSync(path)) as string[][];

/** An atomic file sink at `path` (replacing it). */
export const fileSink = (path: string): Promise<Sink> => openAtomicFile(path, { force: true });
