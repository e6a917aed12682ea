import { closest } from '../closest.js';
import { InputError, UsageError } from '../errors.js';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';
import { type JsonItem, jsonItems } from './json-scan.js';
import { isBlankText, type RowSource, SKIP, type SourceEvent } from './rows.js';
import type { Template } from './template.js';

/** How JSON items become prompts. */
export interface JsonOptions {
  /** Dotted path to the prompt in each item (default `prompt`; a string item is its own prompt). */
  promptField?: string | undefined;
  /** Dotted path to each item's custom_id. */
  idField?: string | undefined;
  template?: Template | undefined;
  /** Read one JSON value a line (JSON Lines) rather than one document. */
  jsonl?: boolean | undefined;
  /** Dotted paths to images: each a string (path, URL or data: URI) or an array of them. */
  imageField?: string[] | undefined;
  /** Dotted paths to documents: each a string (path or URL) or an array of them. */
  documentField?: string[] | undefined;
  /** Dotted path to each item's whole conversation: an array of messages, sent as given. */
  messagesField?: string | undefined;
}

const MISSING = Symbol('missing');

/** The value at a dotted path (`a.b.0.c`); a key that itself contains dots is found too. */
export function getPath(value: unknown, path: string): unknown {
  if (value === null || typeof value !== 'object') return MISSING;
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, path)) return record[path];
  const dot = path.indexOf('.');
  if (dot === -1) return MISSING;
  const head = path.slice(0, dot);
  return Object.hasOwn(record, head) ? getPath(record[head], path.slice(dot + 1)) : MISSING;
}

/** Whether a dotted path is absent from a value. */
export function isMissing(found: unknown): found is typeof MISSING {
  return found === MISSING;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function keysOf(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return `the item is ${describe(value)}`;
  const keys = Object.keys(value);
  return keys.length ? `its fields: ${keys.map((k) => JSON.stringify(k)).join(', ')}` : 'it has no fields';
}

/** A field as prompt text: strings and numbers as they are; null as empty; objects in template only (as JSON). */
function asText(found: unknown, inTemplate: boolean): string | { wrong: string } {
  if (typeof found === 'string') return found;
  if (found === null || found === undefined) return '';
  if (typeof found === 'number' || typeof found === 'boolean') return String(found);
  return inTemplate ? JSON.stringify(found) : { wrong: `must be text, got ${describe(found)}` };
}

/**
 * The images of an `--image-field`: a string, or an array of strings; missing, null, `""` or `[]`
 * is none. Returns the problem's message when it is anything else.
 */
function mediaRefs(found: unknown, flag: string): string[] | string {
  if (isMissing(found) || found === null) return [];
  const list = Array.isArray(found) ? found : [found];
  const refs: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string') {
      return `${flag} must be a string or an array of strings, got ${describe(found)}${Array.isArray(found) ? ` holding ${describe(item)}` : ''}`;
    }
    if (item.trim()) refs.push(item.trim());
  }
  return refs;
}

/** The references at each path, together; or the first problem and its path. */
function refsOf(
  value: unknown,
  paths: string[] | undefined,
  flag: string,
): string[] | { path: string; problem: string } | undefined {
  if (!paths || paths.length === 0) return undefined;
  const refs: string[] = [];
  for (const path of paths) {
    const found = mediaRefs(getPath(value, path), flag);
    if (typeof found === 'string') return { path, problem: found };
    refs.push(...found);
  }
  return refs;
}

/**
 * Streams JSON items (a top-level array, an object's `items` array, one object, or JSON Lines)
 * into prompts. A missing field is a problem naming the item, never a fallback to the whole item.
 */
export function jsonRows(input: AsyncIterable<Uint8Array>, file: string, options: JsonOptions): RowSource {
  return { idKind: 'json-item', events: jsonEvents(input, file, options) };
}

/** Streams the values of a JSON Lines file (blank lines skipped), with their line numbers. */
export async function* jsonLinesItems(
  input: AsyncIterable<Uint8Array>,
  file: string,
): AsyncGenerator<JsonItem> {
  for await (const { number, bytes } of readLines(input)) {
    if (isBlank(bytes)) continue;
    const text = decodeUtf8(bytes);
    if (text === undefined) {
      throw new InputError([
        { file, line: number, field: 'encoding', message: 'not valid UTF-8 (save the file as UTF-8)' },
      ]);
    }
    try {
      yield { value: JSON.parse(text), line: number };
    } catch (error) {
      throw new InputError([
        { file, line: number, field: 'json', message: `not valid JSON (${(error as Error).message})` },
      ]);
    }
  }
}

/**
 * A field missing from the first item is surely misspelt (as a column missing from a CSV header):
 * one error naming it and the fields that exist, not one line per item.
 */
function checkFirstItem(value: unknown, file: string, options: JsonOptions, field: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const wanted: Array<[string, string]> =
    options.messagesField !== undefined
      ? [[options.messagesField, '--messages-field']]
      : options.template
        ? options.template.names.map((name) => [name, `--template uses {{${name}}}`])
        : [[field, '--prompt-field']];
  if (options.idField !== undefined) wanted.push([options.idField, '--id-field']);
  for (const [path, flag] of wanted) {
    if (!isMissing(getPath(value, path))) continue;
    const keys = Object.keys(value);
    const near = closest(path, keys);
    throw new UsageError(
      `${file}: no field ${JSON.stringify(path)} in item 1 (${flag})`,
      `${near === undefined ? '' : `did you mean ${JSON.stringify(near)}? `}item 1 has: ${keys.map((k) => JSON.stringify(k)).join(', ') || '(no fields)'}`,
    );
  }
}

async function* jsonEvents(
  input: AsyncIterable<Uint8Array>,
  file: string,
  options: JsonOptions,
): AsyncGenerator<SourceEvent> {
  const items = options.jsonl ? jsonLinesItems(input, file) : jsonItems(input, file);
  const field = options.promptField ?? 'prompt';
  let row = 0;
  for await (const { value, line } of items) {
    row += 1;
    if (row === 1) checkFirstItem(value, file, options, field);
    const problem = (path: string, message: string): SourceEvent => ({
      kind: 'problem',
      problem: { file, line, field: `item ${row}: ${path}`, message },
    });
    let prompt: string;
    let emptyFields: string[] | undefined;
    let messages: unknown[] | undefined;
    if (options.messagesField !== undefined) {
      const found = getPath(value, options.messagesField);
      if (isMissing(found)) {
        yield problem(options.messagesField, `missing (--messages-field; ${keysOf(value)})`);
        continue;
      }
      if (!Array.isArray(found)) {
        yield problem(
          options.messagesField,
          `must be an array of messages ({"role", "content"}), got ${describe(found)}`,
        );
        continue;
      }
      messages = found;
      prompt = '';
    } else if (options.template) {
      let bad: SourceEvent | undefined;
      const texts = new Map<string, string>();
      for (const name of options.template.names) {
        const found = getPath(value, name);
        if (isMissing(found)) {
          bad = problem(name, `missing (--template uses {{${name}}}; ${keysOf(value)})`);
          break;
        }
        const text = asText(found, true);
        texts.set(name, typeof text === 'string' ? text : '');
      }
      if (bad) {
        yield bad;
        continue;
      }
      const empty = [...texts].filter(([, text]) => isBlankText(text)).map(([name]) => name);
      if (empty.length === texts.size) {
        yield { kind: 'skip', reason: SKIP.EMPTY };
        continue;
      }
      if (empty.length > 0) emptyFields = empty;
      prompt = options.template.render((name) => texts.get(name) ?? '');
    } else if (typeof value === 'string' && options.promptField === undefined) {
      prompt = value;
    } else {
      const found = getPath(value, field);
      if (isMissing(found)) {
        yield problem(field, `missing (--prompt-field; ${keysOf(value)})`);
        continue;
      }
      const text = asText(found, false);
      if (typeof text !== 'string') {
        yield problem(field, text.wrong);
        continue;
      }
      prompt = text;
    }
    if (messages === undefined && isBlankText(prompt)) {
      yield { kind: 'skip', reason: SKIP.EMPTY };
      continue;
    }
    let key: string | undefined;
    let keyValue: unknown;
    if (options.idField !== undefined) {
      keyValue = getPath(value, options.idField);
      if (isMissing(keyValue) || keyValue === null) {
        yield problem(
          options.idField,
          `${keyValue === null ? 'null' : 'missing'} (--id-field; ${keysOf(value)})`,
        );
        continue;
      }
      key = typeof keyValue === 'string' ? keyValue : JSON.stringify(keyValue);
    }
    const images = refsOf(value, options.imageField, '--image-field');
    if (images && 'problem' in images) {
      yield problem(images.path, images.problem);
      continue;
    }
    const documents = refsOf(value, options.documentField, '--document-field');
    if (documents && 'problem' in documents) {
      yield problem(documents.path, documents.problem);
      continue;
    }
    yield {
      kind: 'row',
      row,
      line,
      prompt: prompt.trim(),
      key,
      keyValue,
      emptyFields,
      images,
      documents,
      ...(messages === undefined ? {} : { messages }),
    };
  }
}
