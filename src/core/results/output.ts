/**
 * Structured answers → output fields: the one place that turns a result into typed columns, for
 * `results --format compact|csv`, `--join`, `job results` (and any later export).
 *
 * A result does not carry its request, so what was asked comes from the requests (`--requests
 * FILE`, a job's own request files) or from `--schema FILE`; never guessed from the answer:
 *
 * - a request with `output_config.format` (json_schema): the answer's text is parsed as JSON and
 *   validated against that schema;
 * - a request forcing a tool (`tool_choice` `tool`, or `any`): the first `tool_use` block's input
 *   is validated against that tool's `input_schema`, and the tool's name is kept.
 *
 * The object's top-level fields become `out_FIELD` columns in schema order (the union over every
 * schema, in order of first appearance); nested values stay JSON (text in a CSV cell). An answer
 * that is cut (`max_tokens`), does not parse, or does not match gets an `output_error` with the
 * reason (the row is kept). Validation uses ajv (schemas compiled once; formats from ajv-formats).
 */

import { resolve } from 'node:path';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import { readSchemaFile } from '../builder/output-format.js';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';
import { isRecord } from '../is-record.js';
import { openSource } from '../requests/file.js';
import type { ResultFacts } from './line.js';

// ajv and ajv-formats are CommonJS: their default export is module.exports.
type AjvClass = typeof AjvModule.default;
const Ajv = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;
type AddFormats = typeof formatsModule.default;
const addFormats = ((formatsModule as unknown as { default?: AddFormats }).default ??
  formatsModule) as AddFormats;

const OUTPUT_CONFIG = Buffer.from('"output_config"');
const TOOL_CHOICE = Buffer.from('"tool_choice"');

/** The prefix of an output field's column: `out_sentiment`. */
export const OUTPUT_PREFIX = 'out_';

/** What one request asked for: a JSON answer following a schema, or a forced tool call. */
export type OutputSpec =
  | { kind: 'json'; schema: Record<string, unknown> }
  | { kind: 'tool'; tools: Record<string, Record<string, unknown>> };

/** The columns structured answers add: the tool's name (forced tools), the error, the fields. */
export interface OutputColumns {
  /** Whether a `tool_name` column is added (some request forces a tool). */
  tool: boolean;
  /** Top-level field names, in schema order (the union over the schemas, first seen first). */
  fields: string[];
}

/** The structured part of one result. */
export interface StructuredOutput {
  /** The forced tool's name, as the answer called it. */
  tool_name: string | null;
  /** The parsed object (or value), when the answer had one. */
  value: unknown;
  /** Why the answer is not a valid structured answer; null when it is (or was not asked for). */
  output_error: string | null;
}

/** The spec of a request's params, or undefined when its answer is free text. */
export function specOfParams(params: unknown): OutputSpec | undefined {
  if (!isRecord(params)) return undefined;
  const format = isRecord(params.output_config) ? params.output_config.format : undefined;
  if (isRecord(format) && format.type === 'json_schema' && isRecord(format.schema)) {
    return { kind: 'json', schema: format.schema };
  }
  const choice = params.tool_choice;
  if (isRecord(choice) && (choice.type === 'tool' || choice.type === 'any') && Array.isArray(params.tools)) {
    const tools: Record<string, Record<string, unknown>> = {};
    for (const tool of params.tools) {
      if (!isRecord(tool) || typeof tool.name !== 'string' || !isRecord(tool.input_schema)) continue;
      if (choice.type === 'any' || tool.name === choice.name) tools[tool.name] = tool.input_schema;
    }
    if (Object.keys(tools).length > 0) return { kind: 'tool', tools };
  }
  return undefined;
}

const ID_PREFIX = Buffer.from('{"custom_id":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The bytes of the JSON object starting at `from` (a `{`), strings and escapes respected; or undefined. */
function objectBytes(line: Buffer, from: number): Buffer | undefined {
  if (line[from] !== 0x7b) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = from; i < line.length; i += 1) {
    const c = line[i];
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === 0x7b || c === 0x5b) depth += 1;
    else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
      if (depth === 0) return line.subarray(from, i + 1);
    }
  }
  return undefined;
}

/**
 * The spec of a request line without parsing it whole, for the usual line (`build --schema`):
 * `{"custom_id":"ID"` first, one `"output_config":` and no `"tool_choice"`. The output_config
 * object's text is the cache key, so a file of one schema parses it once. Undefined when the
 * line needs a full parse.
 */
function quickSpec(
  line: Buffer,
  cache: Map<string, OutputSpec | undefined>,
): { id: string; spec: OutputSpec | undefined } | undefined {
  if (line.indexOf(TOOL_CHOICE) !== -1) return undefined;
  if (line.compare(ID_PREFIX, 0, ID_PREFIX.length, 0, ID_PREFIX.length) !== 0) return undefined;
  const idEnd = line.indexOf(QUOTE, ID_PREFIX.length);
  if (idEnd === -1 || line.subarray(ID_PREFIX.length, idEnd).includes(BACKSLASH)) return undefined;
  const at = line.indexOf(OUTPUT_CONFIG);
  if (at === -1 || line.lastIndexOf(OUTPUT_CONFIG) !== at || line[at + OUTPUT_CONFIG.length] !== 0x3a)
    return undefined;
  const object = objectBytes(line, at + OUTPUT_CONFIG.length + 1);
  if (!object) return undefined;
  const key = object.toString('utf8');
  if (!cache.has(key)) {
    let config: unknown;
    try {
      config = JSON.parse(key);
    } catch {
      return undefined;
    }
    if (cache.size > 1000) cache.clear();
    cache.set(key, specOfParams({ output_config: config }));
  }
  return { id: line.toString('utf8', ID_PREFIX.length, idEnd), spec: cache.get(key) };
}

function fieldsOf(schema: Record<string, unknown>, root = schema, depth = 0): string[] {
  if (depth > 8) return [];
  if (typeof schema.$ref === 'string' && schema.$ref.startsWith('#')) {
    let node: unknown = root;
    for (const part of schema.$ref.slice(1).split('/').filter(Boolean))
      node = isRecord(node) ? node[part] : undefined;
    return isRecord(node) ? fieldsOf(node, root, depth + 1) : [];
  }
  const out: string[] = isRecord(schema.properties) ? Object.keys(schema.properties) : [];
  for (const key of ['allOf', 'anyOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list))
      for (const part of list) if (isRecord(part)) out.push(...fieldsOf(part, root, depth + 1));
  }
  return out;
}

/**
 * What structured answers were asked for, by custom_id: from a request file, or one schema for
 * every answer (`--schema FILE`). Distinct specs are kept once; per id only a small number
 * (none when every request asked the same).
 */
export class OutputSpecs {
  private readonly specs: OutputSpec[] = [];
  private readonly keys = new Map<string, number>();
  /** The index of each spec object already seen (a file's lines share one object: no stringify each). */
  private readonly interned = new WeakMap<OutputSpec, number>();
  private readonly byId = new Map<string, number>();
  /** The spec of every id not in `byId` (-1: none). */
  private uniform = -1;
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  /** Compiled validators, by spec (specs are interned: one object per distinct spec) and tool. */
  private readonly validators = new Map<OutputSpec, Map<string, ValidateFunction>>();

  private constructor() {
    addFormats(this.ajv);
  }

  /** One schema for every answer. */
  static fromSchema(schema: Record<string, unknown>): OutputSpecs {
    const specs = new OutputSpecs();
    specs.uniform = specs.intern({ kind: 'json', schema });
    return specs;
  }

  /** No spec yet: for {@link checkParams}, each request's spec read from its params. */
  static empty(): OutputSpecs {
    return new OutputSpecs();
  }

  /** The specs of every request of request files (streamed; one line in memory at a time). */
  static async fromRequests(paths: string | readonly string[]): Promise<OutputSpecs> {
    const specs = new OutputSpecs();
    const cache = new Map<string, OutputSpec | undefined>();
    let requests = 0;
    for (const path of typeof paths === 'string' ? [paths] : paths) {
      for await (const { bytes } of readLines(openSource(path))) {
        if (isBlank(bytes)) continue;
        requests += 1;
        // Only requests that ask for a structured answer are parsed and remembered.
        if (bytes.indexOf(OUTPUT_CONFIG) === -1 && bytes.indexOf(TOOL_CHOICE) === -1) continue;
        const quick = quickSpec(bytes, cache);
        if (quick) {
          if (quick.spec) specs.add(quick.id, quick.spec);
          continue;
        }
        let request: unknown;
        try {
          request = JSON.parse(decodeUtf8(bytes) ?? '');
        } catch {
          continue; // submit refused such a file; nothing to learn from the line
        }
        if (!isRecord(request) || typeof request.custom_id !== 'string') continue;
        const spec = specOfParams(request.params);
        if (spec) specs.add(request.custom_id, spec);
      }
    }
    // Every request asked the same (the usual build --schema): no id need be kept.
    if (specs.specs.length === 1 && specs.byId.size === requests) {
      specs.byId.clear();
      specs.uniform = 0;
    }
    return specs;
  }

  private intern(spec: OutputSpec): number {
    const known = this.interned.get(spec);
    if (known !== undefined) return known;
    const key = JSON.stringify(spec);
    let index = this.keys.get(key);
    if (index === undefined) {
      index = this.specs.length;
      this.specs.push(spec);
      this.keys.set(key, index);
    }
    this.interned.set(spec, index);
    return index;
  }

  private add(id: string, spec: OutputSpec): void {
    this.byId.set(id, this.intern(spec));
  }

  /** Whether any request asked for a structured answer. */
  get any(): boolean {
    return this.specs.length > 0;
  }

  /** The spec of a custom_id's request (undefined: free text, or an id not in the requests). */
  forId(id: string): OutputSpec | undefined {
    const index = this.byId.get(id) ?? this.uniform;
    return index < 0 ? undefined : this.specs[index];
  }

  /** The columns every structured answer fills. */
  columns(): OutputColumns {
    const fields = new Set<string>();
    let tool = false;
    for (const spec of this.specs) {
      if (spec.kind === 'json') for (const f of fieldsOf(spec.schema)) fields.add(f);
      else {
        tool = true;
        for (const schema of Object.values(spec.tools)) for (const f of fieldsOf(schema)) fields.add(f);
      }
    }
    return { tool, fields: [...fields] };
  }

  /** The validator of a schema (compiled once per spec and tool). */
  private validator(spec: OutputSpec, tool: string | undefined): ValidateFunction | string {
    let byTool = this.validators.get(spec);
    if (!byTool) {
      byTool = new Map();
      this.validators.set(spec, byTool);
    }
    const key = tool ?? '';
    let validate = byTool.get(key);
    if (!validate) {
      const schema = spec.kind === 'json' ? spec.schema : spec.tools[key];
      try {
        validate = this.ajv.compile(schema ?? {});
      } catch (error) {
        return `the schema cannot be used to validate (${(error as Error).message})`;
      }
      byTool.set(key, validate);
    }
    return validate;
  }

  /** The structured part of a result: its value, and why it is not valid (null when it is). */
  check(facts: ResultFacts): StructuredOutput | undefined {
    const spec = this.forId(facts.custom_id);
    return spec ? this.checkSpec(spec, facts) : undefined;
  }

  /** {@link check} against the spec of `params` (a request's), not of a custom_id's; undefined: free text. */
  checkParams(params: unknown, facts: ResultFacts): StructuredOutput | undefined {
    const spec = specOfParams(params);
    return spec ? this.checkSpec(this.specs[this.intern(spec)] as OutputSpec, facts) : undefined;
  }

  private checkSpec(spec: OutputSpec, facts: ResultFacts): StructuredOutput {
    const none: StructuredOutput = { tool_name: null, value: null, output_error: null };
    if (facts.type !== 'succeeded') return none;
    const cut =
      facts.stop_reason === 'max_tokens'
        ? 'the answer was cut at max_tokens (stop_reason max_tokens)'
        : facts.stop_reason === 'refusal'
          ? 'the model refused (stop_reason refusal)'
          : undefined;
    if (spec.kind === 'tool') {
      const call = facts.tool_use;
      if (!call) return { ...none, output_error: cut ?? 'no tool call in the answer' };
      if (!Object.hasOwn(spec.tools, call.name))
        return {
          ...none,
          tool_name: call.name,
          output_error: `${call.name} is not a tool the request forced`,
        };
      const problem = this.validate(spec, call.name, call.input);
      return { tool_name: call.name, value: call.input, output_error: problem ?? null };
    }
    if (cut) return { ...none, output_error: `${cut}: not complete JSON` };
    let value: unknown;
    try {
      value = JSON.parse(facts.text ?? '');
    } catch (error) {
      return { ...none, output_error: `not JSON (${(error as Error).message})` };
    }
    return { ...none, value, output_error: this.validate(spec, undefined, value) ?? null };
  }

  private validate(spec: OutputSpec, tool: string | undefined, value: unknown): string | undefined {
    const validate = this.validator(spec, tool);
    if (typeof validate === 'string') return validate;
    if (validate(value)) return undefined;
    return `does not match the schema: ${describeErrors(validate.errors ?? [])}`;
  }
}

/** Ajv's errors in a few words: `score: must be integer; (root): must NOT have additional properties (extra)`. */
function describeErrors(errors: readonly ErrorObject[]): string {
  const parts = errors.slice(0, 3).map((e) => {
    const where = e.instancePath === '' ? '(root)' : e.instancePath.slice(1).replaceAll('/', '.');
    const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
    return `${where}: ${e.message ?? e.keyword}${extra}`;
  });
  if (errors.length > 3) parts.push(`and ${errors.length - 3} more`);
  return parts.join('; ');
}

/**
 * The output columns' names beside `taken` (input and result columns): `out_FIELD`, with `out_`
 * added again while a name is taken, so no column is ever overwritten.
 */
export function outputFieldNames(fields: readonly string[], taken: Iterable<string>): string[] {
  const used = new Set(taken);
  return fields.map((field) => {
    let name = `${OUTPUT_PREFIX}${field}`;
    while (used.has(name)) name = `${OUTPUT_PREFIX}${name}`;
    used.add(name);
    return name;
  });
}

/** The output fields' values, in `fields` order (null when absent or when there is no object). */
export function outputValues(out: StructuredOutput | undefined, fields: readonly string[]): unknown[] {
  const value = out?.value;
  return fields.map((f) => (isRecord(value) && Object.hasOwn(value, f) ? value[f] : null));
}

/** Counts of structured answers over a results file (for the summary). */
export interface OutputCounts {
  /** Succeeded results whose request asked for a structured answer. */
  checked: number;
  /** Of those, the ones with an `output_error`. */
  invalid: number;
}

/** Accumulates {@link OutputCounts}. */
export class OutputTally {
  checked = 0;
  invalid = 0;
  add(facts: ResultFacts, out: StructuredOutput | undefined): void {
    if (!out || facts.type !== 'succeeded') return;
    this.checked += 1;
    if (out.output_error !== null) this.invalid += 1;
  }
  build(): OutputCounts {
    return { checked: this.checked, invalid: this.invalid };
  }
}

/**
 * The specs a results command uses: `--schema FILE` (one schema for every answer) wins, else the
 * requests' own (`--requests FILE`, a job's request files); undefined when none asks for a
 * structured answer (no output columns then).
 */
export async function loadOutputSpecs(
  from: { schema?: string | undefined; requests?: string | readonly string[] | undefined },
  cwd: string,
): Promise<OutputSpecs | undefined> {
  if (from.schema !== undefined) return OutputSpecs.fromSchema(await readSchemaFile(from.schema, cwd));
  if (from.requests === undefined) return undefined;
  const paths = typeof from.requests === 'string' ? [from.requests] : from.requests;
  const specs = await OutputSpecs.fromRequests(paths.map((p) => resolve(cwd, p)));
  return specs.any ? specs : undefined;
}
