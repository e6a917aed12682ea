import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError, UsageError } from '../errors.js';
import { isRecord } from '../is-record.js';
import { checkRequest } from '../requests/schema.js';
import { LineSample } from '../requests/warnings.js';
import type { IdRegistry } from './ids.js';
import { withOutputFormat } from './output-format.js';
import { checkSignal, Problems, type RowCounts, type RunHooks } from './pipeline.js';
import { mapLine } from './sidecar.js';
import type { RequestWriter } from './writer.js';

/** What a custom module's function is called with. */
export interface BuilderContext {
  /** The model requests get when they name none (--model, $CLAUDE_BATCH_MODEL or the default). */
  model: string;
  /** The max_tokens requests get when they set none. */
  maxTokens: number;
}

/** A custom module's builder: sync or async; an array, an iterable or an async iterable of requests. */
export type BuildRequestsFn = (context: BuilderContext) => unknown;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

function moduleError(text: string, cause: unknown, hint?: string): CliError {
  return new CliError(text, { kind: 'usage', cause, ...(hint === undefined ? {} : { hint }) });
}

/**
 * Loads a custom module (`.js`, `.mjs`, `.cjs`; `.ts` where this Node can strip types) and returns
 * its `buildRequests` export, or its default export. A module that fails to load is a usage error
 * carrying the module's own message.
 */
export async function loadBuilder(path: string, display: string): Promise<BuildRequestsFn | unknown> {
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && extname(path) === '.ts') {
      throw moduleError(
        `cannot load ${display}: this Node (${process.version}) does not run TypeScript`,
        error,
        'use Node 22.18+ (which strips types), or compile the module to .js / .mjs',
      );
    }
    if (code === 'ERR_MODULE_NOT_FOUND' && (error as Error).message.includes(resolve(path))) {
      throw new UsageError(`cannot load ${display}: no such file`, 'check the path to the module');
    }
    throw moduleError(`cannot load ${display}: ${message(error)}`, error, 'fix the module and run again');
  }
  return pickBuilder(loaded, display);
}

/** The names a module's builder may have, in the order they are looked for. */
const BUILDER_NAMES = ['buildRequests', 'build_requests'] as const;

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length ? `an object with ${keys.join(', ')}` : 'an empty object';
  }
  return `a ${typeof value}`;
}

const isIterable = (value: unknown): boolean =>
  value !== null && typeof value === 'object' && (Symbol.iterator in value || Symbol.asyncIterator in value);

/**
 * Finds the builder in a loaded module, whatever its shape: a named `buildRequests` (or
 * `build_requests`) export; a default export that is a function or requests; CommonJS
 * `module.exports = fn`, `module.exports = { buildRequests }` or `exports.buildRequests = …`
 * (Node hands those over as the default export); a transpiled module's `default.default`.
 * Otherwise a usage error names the exports it saw.
 */
export function pickBuilder(loaded: Record<string, unknown>, display: string): BuildRequestsFn | unknown {
  const holders: unknown[] = [loaded, loaded.default];
  const inner = loaded.default;
  if (inner !== null && typeof inner === 'object' && 'default' in inner) {
    holders.push((inner as Record<string, unknown>).default);
  }
  for (const holder of holders) {
    if (holder === null || (typeof holder !== 'object' && typeof holder !== 'function')) continue;
    for (const name of BUILDER_NAMES) {
      const found = (holder as Record<string, unknown>)[name];
      if (typeof found === 'function' || isIterable(found)) return found;
    }
  }
  for (const candidate of [loaded.default, holders[2]]) {
    if (typeof candidate === 'function' || isIterable(candidate)) return candidate;
  }
  // CommonJS: Node repeats the keys of module.exports as named exports; name each once.
  const defaults = isRecord(inner) ? Object.keys(inner) : [];
  const seen = Object.keys(loaded)
    .filter((name) => name !== 'module.exports' && !defaults.includes(name))
    .map((name) => `${name} (${describeValue(loaded[name])})`);
  throw new UsageError(
    `${display} exports neither buildRequests nor a default function: it exports ${seen.join(', ') || 'nothing'}`,
    'export function buildRequests() { return [{ custom_id, params }, …] } (ESM), or module.exports = { buildRequests } (CommonJS)',
  );
}

/** Calls the builder (or takes the exported value) and returns what to iterate over. */
async function requestsOf(
  builder: unknown,
  context: BuilderContext,
  display: string,
): Promise<AsyncIterable<unknown> | Iterable<unknown>> {
  let produced: unknown = builder;
  if (typeof builder === 'function') {
    try {
      produced = await (builder as BuildRequestsFn)(context);
    } catch (error) {
      throw moduleError(
        `${display}: buildRequests failed: ${message(error)}`,
        error,
        'fix the module and run again',
      );
    }
  }
  if (
    produced !== null &&
    typeof produced === 'object' &&
    (Symbol.iterator in produced || Symbol.asyncIterator in produced)
  ) {
    return produced as AsyncIterable<unknown> | Iterable<unknown>;
  }
  throw new UsageError(
    `${display}: buildRequests must return an array, an iterable or an async iterable of requests, got ${produced === null ? 'null' : typeof produced}`,
  );
}

/**
 * Runs a custom module and writes its requests. `model` and `max_tokens` fill in what a request
 * leaves out; each request is then checked with the schema `submit` uses, and an invalid one is
 * reported with its index. An error thrown while iterating is reported with the module's message.
 */
export async function writeCustom(
  builder: unknown,
  context: BuilderContext,
  writer: RequestWriter,
  options: {
    display: string;
    ids: IdRegistry;
    /** `--schema`: the JSON Schema every request's answer follows (output_config.format). */
    schema?: Record<string, unknown> | undefined;
  } & RunHooks,
): Promise<RowCounts> {
  const { display, ids, signal, onProgress, schema } = options;
  const problems = new Problems();
  const overContext = new LineSample();
  let hashedIds = 0;
  let index = -1;
  const source = await requestsOf(builder, context, display);
  const iterator =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
      : (source as Iterable<unknown>)[Symbol.iterator]();
  for (;;) {
    let next: IteratorResult<unknown>;
    try {
      next = await iterator.next();
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw moduleError(
        `${display}: failed while producing request ${index + 1}: ${message(error)}`,
        error,
        'fix the module and run again',
      );
    }
    if (next.done) break;
    const value = next.value;
    index += 1;
    if ((index + 1) % 10_000 === 0) {
      checkSignal(signal);
      onProgress?.(index + 1);
    }
    const where = `requests[${index}]`;
    if (!isRecord(value)) {
      for (const issue of checkRequest(value))
        problems.add({ file: display, field: where, message: issue.message });
      continue;
    }
    const request: Record<string, unknown> = { ...value };
    if (isRecord(request.params)) {
      // Filled-in keys come first, as in the requests csv/json/text write.
      const params: Record<string, unknown> = {
        model: context.model,
        max_tokens: context.maxTokens,
        ...request.params,
      };
      params.model ??= context.model;
      params.max_tokens ??= context.maxTokens;
      request.params = params;
      if (schema) {
        const merged = withOutputFormat(params, schema);
        if ('problem' in merged) {
          problems.add({ file: display, field: `${where}.params.output_config`, message: merged.problem });
          continue;
        }
        request.params = merged.params;
      }
    }
    let original: unknown;
    if (typeof request.custom_id === 'string') {
      const outcome = ids.fromValue(request.custom_id, index + 1, 'request');
      if ('problem' in outcome) {
        problems.add({ file: display, field: `${where}.custom_id`, message: outcome.problem });
        continue;
      }
      if (outcome.hashed) {
        hashedIds += 1;
        original = request.custom_id;
        request.custom_id = outcome.id;
      }
    }
    const issues = checkRequest(request);
    if (issues.length > 0) {
      for (const issue of issues)
        problems.add({ file: display, field: `${where}.${issue.field}`, message: issue.message });
      continue;
    }
    if (problems.count > 0) continue;
    const mapped = mapLine(request.custom_id as string, index + 1, undefined, original);
    if (writer.addRequest(request as { custom_id: string; params: unknown }, mapped, overContext, index + 1))
      await writer.flush();
  }
  checkSignal(signal);
  problems.throwIfAny();
  return { skipped: {}, hashedIds, emptyFields: {}, overContext: overContext.toJSON() };
}
