/**
 * The sidecar ("map") file: JSON Lines beside the request file. Its first line is a header
 * saying how build read the input, then one line per request, in the same order, joining each
 * custom_id back to the input:
 *
 *   {"claude_batch_map":1,"source":"csv","delimiter":",","input":{"name":"reviews.csv","size":812,"sha256":"…"}}
 *   {"custom_id":"csv-row-1","row":1,"line":2}
 *   {"custom_id":"h-1f0c…","row":2,"line":3,"id":"order 17"}
 *
 * `row` is the 1-based row, line, paragraph, item or request of the input (the N of a generated
 * id); `line` the 1-based line it starts on (absent when unknown, e.g. custom modules); `id` the
 * value of --id-column / --id-field as it was in the input (or a custom module's own custom_id
 * when it was hashed). Maps written before the header existed have only the request lines.
 *
 * Name: `requests.jsonl` → `requests.jsonl.map` (`.map` added to the whole name, as a source map
 * is `app.js.map`). It sorts next to its request file and says whose map it is, and it does not
 * end in `.jsonl`, so the globs people write for request files (`*.jsonl`, `part-*.jsonl`) do not
 * pick it up. Older builds wrote `requests.map.jsonl`; readers still take that name.
 */

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Sink } from '../fs/atomic-file.js';

/** The sidecar path for a request file: `requests.jsonl` → `requests.jsonl.map` (any name gets `.map`). */
export function mapPathFor(output: string): string {
  return `${output}.map`;
}

/** The name older builds gave the sidecar: `requests.jsonl` → `requests.map.jsonl`, others `X.map.jsonl`. */
export function legacyMapPathFor(output: string): string {
  return output.endsWith('.jsonl') ? `${output.slice(0, -'.jsonl'.length)}.map.jsonl` : `${output}.map.jsonl`;
}

/**
 * The sidecar of a request file as it is on disk: `X.map` when it exists, else an older build's
 * `X.map.jsonl` when that exists, else `X.map` (for the error that it is missing).
 */
export function existingMapPathFor(requests: string, cwd = process.cwd()): string {
  const current = mapPathFor(requests);
  if (existsSync(resolve(cwd, current))) return current;
  const legacy = legacyMapPathFor(requests);
  return existsSync(resolve(cwd, legacy)) ? legacy : current;
}

/** One line of the sidecar (without the newline). */
export function mapLine(customId: string, row: number, line: number | undefined, id?: unknown): string {
  // Built by hand (the same text JSON.stringify gives): it runs once per row.
  let text = `{"custom_id":${JSON.stringify(customId)},"row":${row}`;
  if (line !== undefined) text += `,"line":${line}`;
  if (id !== undefined) text += `,"id":${JSON.stringify(id)}`;
  return `${text}}`;
}

/** The key that marks the header line of a map (its value is the header's version). */
export const MAP_HEADER_KEY = 'claude_batch_map';

/** What the input was: its name as given to build, and (for a file or stdin) its size and sha256. */
export interface InputIdentity {
  name: string;
  size?: number;
  sha256?: string;
}

/** The first line of a map: how build read the input, so a join can read it the same way. */
export interface MapHeader {
  claude_batch_map: 1;
  source: 'csv' | 'json' | 'text' | 'custom' | 'openai';
  /** csv: the field separator build read with (one character). */
  delimiter?: string;
  /** json: true when read as JSON Lines. */
  jsonl?: boolean;
  /** text: one request per `line` or per `paragraph`. */
  split_by?: 'line' | 'paragraph';
  /** csv / json: the column or field the custom_ids came from. */
  id_column?: string;
  id_field?: string;
  input: InputIdentity;
}

/** The header line (without the newline). */
export function mapHeaderLine(header: Omit<MapHeader, 'claude_batch_map'>): string {
  return JSON.stringify({ [MAP_HEADER_KEY]: 1, ...header });
}

/** Whether a parsed map line is a header (it has the `claude_batch_map` key). */
export function isMapHeader(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, MAP_HEADER_KEY);
}

/**
 * A sink whose first line is a header known only later (the input's hash, computed while the
 * build runs): writes are held, up to `holdBytes`, until the header is ready; past that they wait
 * for it. `commit` writes the header first if nothing has yet.
 */
export function headerFirstSink(sink: Sink, header: Promise<string>, holdBytes = 8 << 20): Sink {
  let released = false;
  const held: Array<Uint8Array | string> = [];
  let heldBytes = 0;
  const release = async () => {
    if (released) return;
    released = true;
    await sink.write(`${await header}\n`);
    for (const chunk of held.splice(0)) await sink.write(chunk);
  };
  return {
    target: sink.target,
    async write(chunk) {
      if (released) return sink.write(chunk);
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes >= holdBytes) await release();
    },
    async commit() {
      await release();
      await sink.commit();
    },
    abort: () => sink.abort(),
  };
}
