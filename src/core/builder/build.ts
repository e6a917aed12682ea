import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import type { Env } from '../api/client.js';
import { modelWarnings } from '../cost/models.js';
import { BUILT_IN_PRICES, type PriceTable } from '../cost/prices.js';
import { InputError, UsageError } from '../errors.js';
import { assertWritable, openAtomicFile, type Sink } from '../fs/atomic-file.js';
import { hashFileInWorker } from '../fs/hash.js';
import { assertReadableFile } from '../fs/readable.js';
import { spoolToFile } from '../fs/spool.js';
import { BODY_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_BATCH_REQUESTS } from '../requests/limits.js';
import { contextWarning, describeLines, strictError } from '../requests/warnings.js';
import { type CsvOptions, csvRows, parseDelimiter } from './csv.js';
import { loadBuilder, writeCustom } from './custom.js';
import { checkIdPrefix, type IdPolicy, IdRegistry } from './ids.js';
import { type JsonOptions, jsonRows } from './json.js';
import { type ModelMap, type OpenAiCounts, readModelMap, writeOpenAi } from './openai.js';
import { readSchemaFile } from './output-format.js';
import { type RowCounts, type RunHooks, writeRows } from './pipeline.js';
import { isPythonModule, pythonBuilder } from './python.js';
import { chooseModel, DEFAULT_MAX_TOKENS, type RequestOptions, requestShape } from './request-shape.js';
import { type RowSource, skippedText } from './rows.js';
import { headerFirstSink, type MapHeader, mapHeaderLine, mapPathFor } from './sidecar.js';
import { compileTemplate } from './template.js';
import { type SplitBy, textRows } from './text.js';
import { RequestWriter } from './writer.js';

/** The kinds of input `build` reads. */
export type BuildSource = 'csv' | 'json' | 'text' | 'custom' | 'openai';

import { DEFAULT_OUTPUT } from './defaults.js';

export { DEFAULT_OUTPUT } from './defaults.js';

/** Everything one build needs; the CLI's flags map onto these one to one. */
export interface BuildOptions extends RequestOptions, IdPolicy, RunHooks {
  source: BuildSource;
  /** A path (relative to `cwd`), or a stream (stdin) with the name used in messages. csv/json/text only. */
  input: string | { stream: AsyncIterable<Uint8Array>; name: string };
  /** Where the requests go: a path (default {@link DEFAULT_OUTPUT}), or a sink (e.g. stdout). */
  output?: string | Sink | undefined;
  /**
   * The sidecar: a path, or false for none. Default: beside a file output (`X.jsonl.map`); none
   * when the output is a sink.
   */
  map?: string | false | undefined;
  /** Replace existing output files. */
  force?: boolean | undefined;
  /** Environment (for CLAUDE_BATCH_MODEL); never read from process.env here. */
  env?: Env | undefined;
  /** Folder relative paths are resolved against (default: the process's). */
  cwd?: string | undefined;
  /** Prices, to warn about a model without one (default: the built-in table). */
  prices?: PriceTable | undefined;
  /**
   * Refuse (write nothing) on a warning about the requests: an unknown model or one without a
   * price, a prompt over the context window, an empty template field.
   */
  strict?: boolean | undefined;
  /** `Classify: {{text}}`: columns (csv), dotted fields (json) or `{{text}}` (text). */
  template?: string | undefined;
  // csv
  promptColumn?: string | undefined;
  idColumn?: string | undefined;
  delimiter?: string | undefined;
  skipBadRows?: boolean | undefined;
  /** Columns holding images (paths relative to the input's folder, URLs, data: URIs; `|` between several). */
  imageColumn?: string[] | undefined;
  /** Columns holding documents (PDF or .txt/.md paths, URLs; `|` between several). */
  documentColumn?: string[] | undefined;
  /** Turn on citations for every document block. */
  citations?: boolean | undefined;
  // text
  splitBy?: SplitBy | undefined;
  // json
  promptField?: string | undefined;
  idField?: string | undefined;
  /** JSON Lines input (also chosen by a `.jsonl` / `.ndjson` input name). */
  jsonl?: boolean | undefined;
  /** Fields (dotted paths) holding images: a string or an array of strings each. */
  imageField?: string[] | undefined;
  /** Fields (dotted paths) holding documents: a string or an array of strings each. */
  documentField?: string[] | undefined;
  /** Field (dotted path) holding each item's whole conversation: an array of messages, sent as given. */
  messagesField?: string | undefined;
  // custom
  /** What a Python builder prints (its stdout and stderr), as it comes. */
  onModuleOutput?: ((text: string) => void) | undefined;
  // openai
  /** A JSON file mapping OpenAI model names to Claude models. */
  modelMap?: string | undefined;
  /** Drop OpenAI options with no Claude equivalent (counted, warned about) instead of refusing. */
  dropUnsupported?: boolean | undefined;
}

/** What a build did: the figures printed (or given as JSON) at the end. */
export interface BuildSummary {
  source: BuildSource;
  input: string;
  /** The request file (a path as given, or "stdout"). */
  output: string;
  /** The sidecar path, or null when none was written. */
  map: string | null;
  requests: number;
  /** Rows left out, by reason (`empty_prompt`, `wrong_field_count`; in words: `SKIP_WORDS` in rows.ts). */
  skipped: Record<string, number>;
  /** Size of the request file in bytes. */
  bytes: number;
  /** Rough input tokens of all requests (about four characters a token). */
  inputTokensEstimate: number;
  /** Requests per model. */
  models: Record<string, number>;
  /** custom_ids replaced by a hash (--hash-ids). */
  hashedIds: number;
  /** Per template name, the rows where it was empty (the prompt was made without it). */
  emptyFields: Record<string, number>;
  /** Requests whose prompt is estimated over the context window. */
  overContext: number;
  /** True when the file holds more than one batch takes (100,000 requests or 256 MB). */
  overLimits: boolean;
  /** openai: options with no Claude equivalent dropped (--drop-unsupported), by key. */
  dropped?: Record<string, number>;
  warnings: string[];
}

async function openInput(
  input: BuildOptions['input'],
  cwd: string,
): Promise<{ stream: AsyncIterable<Uint8Array>; name: string }> {
  if (typeof input !== 'string') return input;
  const path = resolve(cwd, input);
  await assertReadableFile(path, input, 'check the path');
  // 64 kB reads: csv-parse emits every row of a chunk at once, and smaller batches of rows die
  // young (1 MB reads measured ~220 MB peak RSS on a 1,000,000-row CSV, 64 kB ~120 MB).
  return { stream: createReadStream(path, { highWaterMark: 1 << 16 }), name: input };
}

/** Whether a json source is read as JSON Lines (`--jsonl`, or a `.jsonl` / `.ndjson` name). */
function readsJsonLines(options: BuildOptions, name: string): boolean {
  const ext = extname(name).toLowerCase();
  return options.jsonl === true || ext === '.jsonl' || ext === '.ndjson';
}

/** How build reads the input (the map's header, less the input's identity). */
function readingOf(options: BuildOptions, name: string): Omit<MapHeader, 'claude_batch_map' | 'input'> {
  switch (options.source) {
    case 'csv':
      return {
        source: 'csv',
        delimiter: parseDelimiter(options.delimiter),
        ...(options.idColumn === undefined ? {} : { id_column: options.idColumn }),
      };
    case 'json':
      return {
        source: 'json',
        jsonl: readsJsonLines(options, name),
        ...(options.idField === undefined ? {} : { id_field: options.idField }),
      };
    case 'text':
      return { source: 'text', split_by: options.splitBy === 'paragraph' ? 'paragraph' : 'line' };
    case 'openai':
      return { source: 'openai' };
    default:
      return { source: 'custom' };
  }
}

function rowSource(options: BuildOptions, stream: AsyncIterable<Uint8Array>, name: string): RowSource {
  if (options.citations && !options.documentColumn?.length && !options.documentField?.length) {
    throw new UsageError(
      '--citations needs documents',
      'add --document-column COL (csv) or --document-field PATH (json)',
    );
  }
  const template = options.template === undefined ? undefined : compileTemplate(options.template);
  switch (options.source) {
    case 'csv': {
      // A .tsv file is tab-separated unless --delimiter says otherwise (as `--join` reads it).
      const delimiter = options.delimiter ?? (extname(name).toLowerCase() === '.tsv' ? '\t' : undefined);
      const csv: CsvOptions = { ...options, template, delimiter };
      return csvRows(stream, name, csv);
    }
    case 'text':
      if (options.splitBy !== undefined && options.splitBy !== 'line' && options.splitBy !== 'paragraph') {
        throw new UsageError(`--split-by ${options.splitBy}: use line or paragraph`);
      }
      return textRows(stream, name, { splitBy: options.splitBy, template });
    case 'json': {
      if (options.promptField !== undefined && template !== undefined) {
        throw new UsageError('--prompt-field and --template cannot be used together', 'use one of them');
      }
      if (options.messagesField !== undefined) checkMessagesField(options);
      const json: JsonOptions = { ...options, template, jsonl: readsJsonLines(options, name) };
      return jsonRows(stream, name, json);
    }
    default:
      throw new UsageError(`unknown source ${options.source}`);
  }
}

/**
 * `--messages-field`: the conversation is the item's own, so what would make or add to a prompt
 * is refused (where would an image go?); what sits beside the messages (system, tools,
 * tool_choice, thinking, stop, effort, params) applies to every request.
 */
function checkMessagesField(options: BuildOptions): void {
  const conflicts: Array<[unknown, string, string]> = [
    [
      options.template,
      '--template',
      'the messages are the prompt: drop --template, or put the text in the messages',
    ],
    [
      options.promptField,
      '--prompt-field',
      'the messages are the prompt: use one of --messages-field and --prompt-field',
    ],
    [
      options.imageField?.length ? true : undefined,
      '--image-field',
      'put image blocks ({"type": "image", …}) in the messages themselves',
    ],
    [
      options.documentField?.length ? true : undefined,
      '--document-field',
      'put document blocks ({"type": "document", …}) in the messages themselves',
    ],
  ];
  for (const [value, flag, hint] of conflicts) {
    if (value !== undefined) throw new UsageError(`--messages-field cannot be used with ${flag}`, hint);
  }
  if (!options.messagesField?.trim()) throw new UsageError('--messages-field must name a field');
}

/**
 * Builds a request file from csv, json, text or a custom module, streaming: rows are read,
 * turned into requests and written as they come, so memory does not grow with the input. The
 * request file (and its sidecar) are written atomically and only when every row is valid;
 * otherwise an InputError lists the problems (`FILE:LINE: field: message`) and nothing is left.
 */
export async function buildRequestFile(options: BuildOptions): Promise<BuildSummary> {
  const cwd = options.cwd ?? process.cwd();
  const inputName = typeof options.input === 'string' ? options.input : options.input.name;
  const plan = await checkBeforeReading(options, cwd);
  const targets = await outputTargets(options, cwd);
  const custom = options.source === 'custom';
  const builder = custom ? await openBuilder(options, cwd, inputName) : undefined;
  const identity = await startInputIdentity(options, cwd, inputName, targets.mapPath);
  const opened = await openAll(options, cwd, inputName, targets, identity);
  const writer = new RequestWriter(opened.output, opened.map);
  let counts: RowCounts;
  let dropped: Record<string, number> | undefined;
  let requestWarnings: string[];
  try {
    counts =
      opened.openai && plan.openai
        ? await writeOpenAi(opened.openai, writer, {
            file: inputName,
            ids: plan.ids,
            ...plan.openai,
            dropUnsupported: options.dropUnsupported,
            schema: plan.schema,
            ...hooks(options),
          })
        : opened.source && plan.shape
          ? await writeRows(opened.source, plan.shape, writer, {
              file: inputName,
              ids: plan.ids,
              baseDir: typeof options.input === 'string' ? dirname(resolve(cwd, options.input)) : cwd,
              citations: options.citations,
              ...hooks(options),
            })
          : await writeCustom(builder, plan.builderContext, writer, {
              display: inputName,
              ids: plan.ids,
              schema: plan.schema,
              ...hooks(options),
            });
    if (writer.requests === 0) throw noRequests(inputName, counts);
    requestWarnings = buildWarnings(writer, counts, plan.prices, custom);
    if ('dropped' in counts) {
      dropped = (counts as OpenAiCounts).dropped;
      const warning = droppedWarning(dropped);
      if (warning) requestWarnings.push(warning);
    }
    if (options.strict && requestWarnings.length > 0)
      throw strictError(requestWarnings, targets.outputPath ? 'written' : undefined);
    await writer.flush(true);
    await identity.settled(inputName);
    await opened.output.commit();
    await opened.map?.commit();
  } catch (error) {
    await opened.output.abort();
    await opened.map?.abort();
    throw error;
  } finally {
    await opened.close();
  }
  return {
    source: options.source,
    input: inputName,
    output: targets.outputName,
    map: targets.mapName ?? null,
    requests: writer.requests,
    skipped: counts.skipped,
    bytes: writer.bytes,
    inputTokensEstimate: writer.inputTokens,
    models: writer.models,
    hashedIds: counts.hashedIds,
    emptyFields: Object.fromEntries(Object.entries(counts.emptyFields).map(([name, e]) => [name, e.count])),
    overContext: counts.overContext.count,
    overLimits: writer.requests > MAX_BATCH_REQUESTS || writer.bytes + BODY_OVERHEAD_BYTES > MAX_BATCH_BYTES,
    ...(dropped === undefined ? {} : { dropped }),
    warnings: [...requestWarnings, ...limitWarnings(writer)],
  };
}

/** Everything that can be checked without reading the input: the request shape, model, ids. */
async function checkBeforeReading(options: BuildOptions, cwd: string) {
  const env = options.env ?? {};
  const custom = options.source === 'custom';
  const openai = options.source === 'openai' ? await openAiPlan(options, cwd) : undefined;
  const shape = custom || openai ? undefined : await requestShape(options, { env, cwd });
  // csv, json and text put the schema in their shape; a module's or an OpenAI file's requests get it merged in.
  const schema =
    (custom || openai) && options.schema !== undefined
      ? await readSchemaFile(options.schema, cwd)
      : undefined;
  const builderContext = {
    model: chooseModel(options.model, env),
    maxTokens: options.maxTokens ?? DEFAULT_MAX_TOKENS,
  };
  if (!Number.isInteger(builderContext.maxTokens) || builderContext.maxTokens < 1) {
    throw new UsageError(
      `--max-tokens must be a whole number of at least 1, got ${builderContext.maxTokens}`,
    );
  }
  const prices = options.prices ?? BUILT_IN_PRICES;
  // The model of csv, json and text requests is known now: --strict refuses before reading.
  if (shape && options.strict) {
    const early = modelWarnings([shape.model], prices);
    if (early.length > 0) throw strictError(early, 'written');
  }
  const generatedIds = !custom && !openai && options.idColumn === undefined && options.idField === undefined;
  // Room after the prefix: `text-para-` and ten digits, or a hash (`h-` and 16 hex digits).
  checkIdPrefix(options.idPrefix, generatedIds ? 20 : options.hashIds ? 18 : 0);
  return { shape, openai, builderContext, prices, schema, ids: new IdRegistry(options) };
}

/** openai: the model (--model, or --model-map FILE for the lines it names) and the default max_tokens. */
async function openAiPlan(
  options: BuildOptions,
  cwd: string,
): Promise<{ model: string | undefined; modelMap: ModelMap | undefined; maxTokens: number }> {
  if (options.model === undefined && options.modelMap === undefined) {
    throw new UsageError(
      'build openai needs --model (the Claude model of every request), or --model-map FILE',
      'e.g. --model claude-sonnet-4-6, or --model-map models.json holding {"gpt-4o": "claude-sonnet-4-6"}',
    );
  }
  if (options.model !== undefined && !options.model.trim()) throw new UsageError('--model must not be empty');
  const modelMap = options.modelMap === undefined ? undefined : await readModelMap(options.modelMap, cwd);
  return { model: options.model, modelMap, maxTokens: options.maxTokens ?? DEFAULT_MAX_TOKENS };
}

/** The warning that says which unsupported options --drop-unsupported dropped, and how often. */
function droppedWarning(dropped: Record<string, number>): string | undefined {
  const entries = Object.entries(dropped);
  if (entries.length === 0) return undefined;
  const list = entries.map(([key, n]) => `${key} ×${n.toLocaleString('en-US')}`).join(', ');
  return `dropped options with no Claude equivalent (--drop-unsupported): ${list}`;
}

/** Where the requests and the sidecar go, each checked to be writable before anything is read. */
async function outputTargets(options: BuildOptions, cwd: string) {
  const outputOption = options.output ?? DEFAULT_OUTPUT;
  const outputName = typeof outputOption === 'string' ? outputOption : outputOption.target;
  const mapName =
    options.map === false
      ? undefined
      : (options.map ?? (typeof outputOption === 'string' ? mapPathFor(outputOption) : undefined));
  const outputPath = typeof outputOption === 'string' ? resolve(cwd, outputOption) : undefined;
  const mapPath = mapName === undefined ? undefined : resolve(cwd, mapName);
  if (mapPath !== undefined && mapPath === outputPath) {
    throw new UsageError('the sidecar (--map) and the output (-o) are the same file');
  }
  if (outputPath) await assertWritable(outputPath, options.force).catch(renameError(outputName));
  if (mapPath) await assertWritable(mapPath, options.force).catch(renameError(mapName as string));
  return { outputOption, outputName, mapName, outputPath, mapPath };
}

/**
 * The map's header records how the input was read and what it was (size, sha256), so that a join
 * can read it the same way and refuse another file. The hash runs on a worker thread while the
 * build reads (the map's lines are held until it is known); stdin is kept in a private temporary
 * file to be hashed and read. `settled` waits for the header and checks that the input did not
 * change while it was read.
 */
async function startInputIdentity(
  options: BuildOptions,
  cwd: string,
  inputName: string,
  mapPath: string | undefined,
) {
  const custom = options.source === 'custom';
  const spooled =
    !custom && mapPath !== undefined && typeof options.input !== 'string'
      ? await spoolToFile(options.input.stream)
      : undefined;
  const inputPath =
    spooled?.path ?? (typeof options.input === 'string' ? resolve(cwd, options.input) : undefined);
  let before: Stats | undefined;
  let hashing: ReturnType<typeof hashFileInWorker> | undefined;
  let header: Promise<string> | undefined;
  if (mapPath !== undefined) {
    const reading = readingOf(options, inputName);
    if (!custom && inputPath !== undefined) {
      before = await stat(inputPath).catch(() => undefined);
      if (before?.isFile()) hashing = hashFileInWorker(inputPath);
    }
    header = (hashing?.result ?? Promise.resolve({})).then((identity) =>
      mapHeaderLine({ ...reading, input: { name: inputName, ...identity } }),
    );
    header.catch(() => undefined);
  }
  return {
    spooled,
    header,
    async settled(name: string): Promise<void> {
      if (header) await header;
      if (!before || inputPath === undefined || spooled) return;
      // The hash in the header must be of the bytes that were read.
      const after = await stat(inputPath).catch(() => undefined);
      if (!after || after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
        throw new UsageError(
          `${name} changed while build was reading it; nothing was written`,
          'build again once the file is complete',
        );
      }
    },
    async stop(): Promise<void> {
      await hashing?.stop();
      await spooled?.remove();
    },
  };
}

/** Opens the input's rows and the two outputs; on any failure, closes what was opened. */
async function openAll(
  options: BuildOptions,
  cwd: string,
  inputName: string,
  targets: Awaited<ReturnType<typeof outputTargets>>,
  identity: Awaited<ReturnType<typeof startInputIdentity>>,
) {
  let input: { stream: AsyncIterable<Uint8Array>; name: string } | undefined;
  const close = async () => {
    destroyStream(input?.stream);
    await identity.stop();
  };
  try {
    const { spooled } = identity;
    input =
      options.source === 'custom'
        ? undefined
        : spooled
          ? { stream: createReadStream(spooled.path, { highWaterMark: 1 << 16 }), name: inputName }
          : await openInput(options.input, cwd);
    const openai = options.source === 'openai' ? input?.stream : undefined;
    const source: RowSource | undefined =
      input && !openai ? rowSource(options, input.stream, input.name) : undefined;
    const output: Sink = targets.outputPath
      ? await openAtomicFile(targets.outputPath, options)
      : (targets.outputOption as Sink);
    let map: Sink | undefined;
    try {
      const file = targets.mapPath ? await openAtomicFile(targets.mapPath, options) : undefined;
      map = file && identity.header ? headerFirstSink(file, identity.header) : file;
    } catch (error) {
      await output.abort();
      throw error;
    }
    return { source, openai, output, map, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The error for a build that made no request, saying why. */
function noRequests(inputName: string, counts: RowCounts): InputError {
  const skipped = skippedText(counts.skipped);
  return new InputError(
    [
      {
        file: inputName,
        field: 'input',
        message: skipped
          ? `no requests: every row was skipped (${skipped})`
          : 'no requests: the input has no rows',
      },
    ],
    1,
    'nothing was written',
  );
}

/** Warnings about the requests (before money is spent): models, empty template fields, the context window. */
function buildWarnings(
  writer: RequestWriter,
  counts: RowCounts,
  prices: PriceTable,
  custom: boolean,
): string[] {
  const warnings = [
    ...modelWarnings(Object.keys(writer.models), prices),
    ...emptyFieldWarnings(counts.emptyFields),
  ];
  const context = contextWarning(counts.overContext, custom ? 'request' : 'line');
  if (context) warnings.push(context);
  return warnings;
}

/** Warnings when the file is more than one batch takes. */
function limitWarnings(writer: RequestWriter): string[] {
  const warnings: string[] = [];
  if (writer.requests > MAX_BATCH_REQUESTS) {
    warnings.push(
      `${writer.requests.toLocaleString('en-US')} requests: one batch takes at most ${MAX_BATCH_REQUESTS.toLocaleString('en-US')}; split the file, or use \`claude-batch run\``,
    );
  }
  if (writer.bytes + BODY_OVERHEAD_BYTES > MAX_BATCH_BYTES) {
    warnings.push(
      'the file is over 256 MB, the most one batch takes; split the file, or use `claude-batch run`',
    );
  }
  return warnings;
}

/** One warning per template name that was empty for some rows. */
function emptyFieldWarnings(empty: RowCounts['emptyFields']): string[] {
  return Object.entries(empty).map(
    ([name, sample]) =>
      `{{${name}}} was empty in ${sample.count.toLocaleString('en-US')} ${sample.count === 1 ? 'row' : 'rows'} (${describeLines(sample, 'line')}): ${sample.count === 1 ? 'its prompt was' : 'their prompts were'} made without it`,
  );
}

/** Closes a file stream (a no-op for other iterables). */
function destroyStream(stream: AsyncIterable<Uint8Array> | undefined): void {
  if (stream && 'destroy' in stream && typeof stream.destroy === 'function') stream.destroy();
}

function hooks(options: RunHooks): RunHooks {
  return { signal: options.signal, onProgress: options.onProgress };
}

/** A custom module: a JavaScript one is imported; a Python one runs in python3 as it is read. */
async function openBuilder(options: BuildOptions, cwd: string, inputName: string): Promise<unknown> {
  const path = resolve(cwd, inputOptionPath(options.input));
  if (!isPythonModule(path)) return loadBuilder(path, inputName);
  return pythonBuilder(path, inputName, {
    env: options.env ?? {},
    signal: options.signal,
    onOutput: options.onModuleOutput,
  });
}

function inputOptionPath(input: BuildOptions['input']): string {
  if (typeof input !== 'string') throw new UsageError('custom needs a module path, not stdin');
  return input;
}

/** Keeps the user's spelling of a path in an "already exists" error. */
function renameError(name: string) {
  return (error: unknown): never => {
    if (error instanceof UsageError && error.message.endsWith('already exists')) {
      throw new UsageError(`${name} already exists`, error.hint);
    }
    throw error;
  };
}
