/**
 * `build openai`: an OpenAI Batch API file (one `{"custom_id","method":"POST","url":"/v1/chat/completions","body":{…}}`
 * a line) turned into Claude requests. Each line is converted on its own (memory holds one line):
 *
 * - `system` / `developer` messages → `system`; `user` / `assistant` → messages, consecutive
 *   messages of one role merged; assistant `tool_calls` → `tool_use` blocks; `tool` messages →
 *   `tool_result` blocks in a user turn;
 * - content parts: `text` → text blocks; `image_url` → an image block (a `data:` URL → base64
 *   with its media type, an http(s) URL → a url source);
 * - `max_completion_tokens` / `max_tokens` → `max_tokens` (else the default); `stop` →
 *   `stop_sequences`; `tools` / `tool_choice` → Claude's shapes; `parallel_tool_calls: false` →
 *   `tool_choice.disable_parallel_tool_use`; `user` → `metadata.user_id`;
 * - `response_format: {type: "json_schema", json_schema: {schema}}` → structured outputs,
 *   `output_config.format` (the schema checked against the subset the API accepts);
 * - the model from `--model-map` (the line's model), else `--model`.
 *
 * Whatever has no Claude equivalent (`n` > 1, `logprobs`, penalties, `temperature`…) is a
 * problem on its line (`body.KEY`), or, with `dropUnsupported`, dropped and counted by key.
 * Values that change nothing (`n: 1`, `logprobs: false`, a penalty of 0, `stream: false`,
 * `response_format: {type: "text"}`) are taken as they are.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { isRecord } from '../is-record.js';
import { API_VERSION } from '../requests/api-version.js';
import { checkOutputSchema } from '../requests/output-schema.js';
import { checkRequest } from '../requests/schema.js';
import { LineSample } from '../requests/warnings.js';
import type { IdRegistry } from './ids.js';
import { jsonLinesItems } from './json.js';
import { checkSignal, Problems, type RowCounts, type RunHooks } from './pipeline.js';
import { mapLine } from './sidecar.js';
import type { RequestWriter } from './writer.js';

/** The one endpoint whose requests have a Claude equivalent. */
export const CHAT_COMPLETIONS_URL = '/v1/chat/completions';

/** OpenAI model name → Claude model (`--model-map FILE`). */
export type ModelMap = Record<string, string>;

/** How lines are converted. */
export interface OpenAiOptions {
  /** The Claude model of lines the map does not name (`--model`). */
  model?: string | undefined;
  modelMap?: ModelMap | undefined;
  /** max_tokens of a line that sets neither max_tokens nor max_completion_tokens. */
  maxTokens: number;
  /** Drop options with no Claude equivalent (counted) instead of refusing the line. */
  dropUnsupported?: boolean | undefined;
  /** `--schema`: the JSON Schema every request's answer follows (output_config.format). */
  schema?: Record<string, unknown> | undefined;
}

/** One problem of a line: the field at fault (`body.…`) and what is wrong. */
export interface LineProblem {
  field: string;
  message: string;
}

/** One converted line: the request (when there is no problem), its problems, and what was dropped. */
export interface Converted {
  customId: string | undefined;
  params: Record<string, unknown> | undefined;
  problems: LineProblem[];
  /** Keys of unsupported options dropped (`body.logprobs`, `body.messages[].name`…), one per drop. */
  dropped: string[];
}

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

const TEMPERATURE_WHY = `no Claude equivalent under API version ${API_VERSION} (the version this tool's SDK sends refuses temperature and top_p)`;

/**
 * Options with no Claude equivalent, and the value (if any) that changes nothing and so is taken.
 * Any key not here and not converted is unsupported too.
 */
const NEUTRAL: Record<string, (value: unknown) => boolean> = {
  n: (v) => v === 1 || v === null,
  logprobs: (v) => v === false || v === null,
  top_logprobs: (v) => v === null,
  presence_penalty: (v) => v === 0 || v === null,
  frequency_penalty: (v) => v === 0 || v === null,
  logit_bias: (v) => v === null || (isRecord(v) && Object.keys(v).length === 0),
  seed: (v) => v === null,
  response_format: (v) => v === null || (isRecord(v) && v.type === 'text'),
  stream: (v) => v === false || v === null,
  stream_options: (v) => v === null,
  temperature: () => false,
  top_p: () => false,
};

/** Why an unsupported option is refused, for the keys that deserve more than the default words. */
const WHY: Record<string, string> = {
  n: 'n > 1 has no Claude equivalent (one response per request)',
  temperature: TEMPERATURE_WHY,
  top_p: TEMPERATURE_WHY,
  stream: 'batch requests never stream',
  response_format:
    'only {"type": "text"} and {"type": "json_schema"} have a Claude equivalent (json_object has no schema: pass one with --schema FILE)',
};

/** The body keys this converter turns into Claude parameters. */
const CONVERTED = new Set([
  'response_format',
  'model',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'user',
]);

const TOP_KEYS = new Set(['custom_id', 'method', 'url', 'body']);

/** Reads `--model-map FILE`: a JSON object of OpenAI model → Claude model. */
export async function readModelMap(file: string, cwd: string): Promise<ModelMap> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new UsageError(
      `--model-map ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      'check the path',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--model-map ${file}: not valid JSON (${(error as Error).message})`,
      'write an object, e.g. {"gpt-4o": "claude-sonnet-4-6"}',
    );
  }
  if (!isRecord(value)) {
    throw new UsageError(
      `--model-map ${file}: not a JSON object`,
      'write an object, e.g. {"gpt-4o": "claude-sonnet-4-6"}',
    );
  }
  for (const [from, to] of Object.entries(value)) {
    if (typeof to !== 'string' || !to.trim()) {
      throw new UsageError(
        `--model-map ${file}: ${JSON.stringify(from)} must map to a Claude model name (a non-empty string)`,
      );
    }
  }
  return value as ModelMap;
}

/** Converts one parsed line of an OpenAI batch file. */
export function convertOpenAiLine(line: unknown, options: OpenAiOptions): Converted {
  const problems: LineProblem[] = [];
  const dropped: string[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });
  /** An option with no Claude equivalent: dropped (counted under `key`) or a problem. */
  const unsupported = (field: string, message: string, key = field) => {
    if (options.dropUnsupported) dropped.push(key);
    else problem(field, `${message} (or pass --drop-unsupported)`);
  };
  const result = (params?: Record<string, unknown>, customId?: string): Converted => ({
    customId,
    params: problems.length === 0 ? params : undefined,
    problems,
    dropped,
  });
  if (!isRecord(line)) {
    problem('line', 'must be a JSON object {"custom_id", "method", "url", "body"}');
    return result();
  }
  for (const key of Object.keys(line))
    if (!TOP_KEYS.has(key)) problem(key, 'not a key of an OpenAI batch line');
  const customId = typeof line.custom_id === 'string' ? line.custom_id : undefined;
  if (customId === undefined)
    problem('custom_id', line.custom_id === undefined ? 'is required' : 'must be a string');
  if (line.method !== 'POST') problem('method', `must be "POST", got ${JSON.stringify(line.method ?? null)}`);
  if (line.url !== CHAT_COMPLETIONS_URL) {
    problem(
      'url',
      `must be "${CHAT_COMPLETIONS_URL}", got ${JSON.stringify(line.url ?? null)}: only chat completions have a Claude equivalent`,
    );
  }
  const body = line.body;
  if (!isRecord(body)) {
    problem('body', body === undefined ? 'is required' : 'must be a JSON object');
    return result(undefined, customId);
  }

  const params: Record<string, unknown> = {};
  // model
  const openAiModel = body.model;
  if (typeof openAiModel !== 'string' || !openAiModel) problem('body.model', 'is required (a string)');
  else {
    const mapped =
      options.modelMap && Object.hasOwn(options.modelMap, openAiModel)
        ? options.modelMap[openAiModel]
        : undefined;
    const model = mapped ?? options.model;
    if (model === undefined) {
      problem('body.model', `${JSON.stringify(openAiModel)} is not in --model-map (add it, or pass --model)`);
    } else params.model = model;
  }
  // max_tokens
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (max === undefined || max === null) params.max_tokens = options.maxTokens;
  else if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
    problem(
      body.max_completion_tokens == null ? 'body.max_tokens' : 'body.max_completion_tokens',
      `must be a whole number of at least 1, got ${JSON.stringify(max)}`,
    );
  } else params.max_tokens = max;

  // messages
  const converted = convertMessages(body.messages, problem, unsupported);
  if (converted.system !== undefined) params.system = converted.system;
  if (converted.messages) params.messages = converted.messages;

  // stop
  if (body.stop !== undefined && body.stop !== null) {
    const stops = typeof body.stop === 'string' ? [body.stop] : body.stop;
    if (!Array.isArray(stops) || !stops.every((s) => typeof s === 'string')) {
      problem('body.stop', 'must be a string or an array of strings');
    } else if (stops.length > 0) params.stop_sequences = stops;
  }
  // tools and tool_choice
  if (body.tools !== undefined && body.tools !== null) {
    const tools = convertTools(body.tools, problem);
    if (tools && tools.length > 0) params.tools = tools;
  }
  let toolChoice: Record<string, unknown> | undefined;
  if (body.tool_choice !== undefined && body.tool_choice !== null) {
    toolChoice = convertToolChoice(body.tool_choice, problem);
  }
  if (body.parallel_tool_calls === false && toolChoice?.type !== 'none') {
    toolChoice = { ...(toolChoice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  } else if (![undefined, null, true, false].includes(body.parallel_tool_calls as never)) {
    problem('body.parallel_tool_calls', 'must be true or false');
  }
  // Without tools, "auto" and "none" change nothing; "required" or a named function cannot be.
  if (toolChoice && params.tools !== undefined) params.tool_choice = toolChoice;
  else if (toolChoice && toolChoice.type !== 'auto' && toolChoice.type !== 'none') {
    problem('body.tool_choice', 'asks for a tool but the request has no tools');
  }
  // response_format: a JSON schema → structured outputs (output_config.format)
  const format = body.response_format;
  if (isRecord(format) && format.type === 'json_schema') {
    const schema = isRecord(format.json_schema) ? format.json_schema.schema : undefined;
    if (!isRecord(schema))
      problem('body.response_format.json_schema.schema', 'is required (a JSON Schema object)');
    else if (options.schema) {
      problem('body.response_format', 'asks for a JSON schema, and so does --schema: drop one of them');
    } else {
      for (const issue of checkOutputSchema(schema).slice(0, 5)) {
        const path = issue.path === '' ? '' : `.${issue.path}`;
        problem(`body.response_format.json_schema.schema${path}`, issue.message);
      }
      params.output_config = { format: { type: 'json_schema', schema } };
    }
  } else if (format !== undefined && format !== null && !NEUTRAL.response_format?.(format)) {
    unsupported('body.response_format', WHY.response_format as string);
  }
  // user
  if (body.user !== undefined && body.user !== null) {
    if (typeof body.user !== 'string') problem('body.user', 'must be a string');
    else params.metadata = { user_id: body.user };
  }

  // everything else
  for (const [key, value] of Object.entries(body)) {
    if (CONVERTED.has(key) || key === 'messages') continue;
    const neutral = NEUTRAL[key];
    if (neutral?.(value)) continue;
    if (key === 'stream' && value === true) {
      problem('body.stream', 'must not be true: batch requests never stream');
      continue;
    }
    unsupported(`body.${key}`, WHY[key] ?? 'no Claude equivalent');
  }
  if (problems.length > 0) return result(undefined, customId);
  const ordered: Record<string, unknown> = {
    model: params.model,
    max_tokens: params.max_tokens,
    ...params,
  };
  return result(ordered, customId);
}

type Report = (field: string, message: string) => void;
type Unsupported = (field: string, message: string, key?: string) => void;
type Block = Record<string, unknown>;

/** Messages → `system` and Claude's user/assistant turns (consecutive turns of one role merged). */
function convertMessages(
  messages: unknown,
  problem: Report,
  unsupported: Unsupported,
): { system?: string | Block[]; messages?: Array<{ role: string; content: string | Block[] }> } {
  if (!Array.isArray(messages) || messages.length === 0) {
    problem(
      'body.messages',
      messages === undefined ? 'is required' : 'must be a non-empty array of messages',
    );
    return {};
  }
  let reported = false;
  const report: Report = (field, message) => {
    reported = true;
    problem(field, message);
  };
  const system: string[] = [];
  const turns: Array<{ role: 'user' | 'assistant'; content: string | Block[] }> = [];
  const push = (role: 'user' | 'assistant', content: string | Block[]) => {
    const last = turns[turns.length - 1];
    if (last && last.role === role) {
      last.content = [...asBlocks(last.content), ...asBlocks(content)];
    } else turns.push({ role, content });
  };
  messages.forEach((message, i) => {
    const at = `body.messages[${i}]`;
    if (!isRecord(message)) {
      report(at, 'must be an object');
      return;
    }
    const role = message.role;
    for (const key of Object.keys(message)) {
      if (key === 'role' || key === 'content') continue;
      if (key === 'tool_calls' && role === 'assistant') continue;
      if (key === 'tool_call_id' && role === 'tool') continue;
      if ((key === 'tool_calls' || key === 'tool_call_id') && message[key] != null) {
        report(`${at}.${key}`, `a ${JSON.stringify(role)} message has no ${key}`);
        continue;
      }
      if (key === 'refusal' && message.refusal == null) continue;
      if (key === 'name')
        unsupported(`${at}.name`, 'message names have no Claude equivalent', 'body.messages[].name');
      else unsupported(`${at}.${key}`, 'no Claude equivalent', `body.messages[].${key}`);
    }
    switch (role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content, `${at}.content`, report);
        if (text !== undefined) system.push(text);
        return;
      }
      case 'user': {
        const content = userContent(message.content, `${at}.content`, report, unsupported);
        if (content !== undefined) push('user', content);
        return;
      }
      case 'assistant': {
        const blocks: Block[] = [];
        if (message.content !== undefined && message.content !== null) {
          const text = textOf(message.content, `${at}.content`, report);
          if (text) blocks.push({ type: 'text', text });
        }
        if (message.tool_calls !== undefined && message.tool_calls !== null) {
          if (!Array.isArray(message.tool_calls)) report(`${at}.tool_calls`, 'must be an array');
          else {
            message.tool_calls.forEach((call, j) => {
              const use = toolUse(call, `${at}.tool_calls[${j}]`, report);
              if (use) blocks.push(use);
            });
          }
        }
        if (blocks.length === 0) {
          report(`${at}`, 'an assistant message needs content or tool_calls');
          return;
        }
        const only = blocks[0];
        push('assistant', blocks.length === 1 && only?.type === 'text' ? (only.text as string) : blocks);
        return;
      }
      case 'tool': {
        if (typeof message.tool_call_id !== 'string' || !message.tool_call_id) {
          report(`${at}.tool_call_id`, 'is required (the id of the tool call answered)');
          return;
        }
        const text = textOf(message.content, `${at}.content`, report);
        if (text === undefined) return;
        push('user', [{ type: 'tool_result', tool_use_id: message.tool_call_id, content: text }]);
        return;
      }
      default:
        report(
          `${at}.role`,
          role === 'function'
            ? '"function" messages (the old function-calling API) have no conversion: use tools and "tool" messages'
            : `must be system, developer, user, assistant or tool, got ${JSON.stringify(role ?? null)}`,
        );
    }
  });
  if (turns.length === 0) {
    if (!reported) problem('body.messages', 'has no user or assistant message');
    return {};
  }
  const out: { system?: string | Block[]; messages: typeof turns } = { messages: turns };
  if (system.length === 1) out.system = system[0] as string;
  else if (system.length > 1) out.system = system.map((text) => ({ type: 'text', text }));
  return out;
}

function asBlocks(content: string | Block[]): Block[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

/** Text content: a string, or an array of `text` parts (joined with a blank line). */
function textOf(content: unknown, at: string, problem: Report): string | undefined {
  if (typeof content === 'string') {
    if (!content) problem(at, 'must not be empty');
    return content || undefined;
  }
  if (!Array.isArray(content)) {
    problem(at, 'must be a string or an array of text parts');
    return undefined;
  }
  const texts: string[] = [];
  content.forEach((part, j) => {
    if (isRecord(part) && part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else problem(`${at}[${j}]`, 'must be a text part {"type": "text", "text"}');
  });
  const text = texts.join('\n\n');
  if (!text && texts.length === content.length) problem(at, 'must not be empty');
  return text || undefined;
}

/** A user message's content: a string, or text and image parts as Claude blocks. */
function userContent(
  content: unknown,
  at: string,
  problem: Report,
  unsupported: Unsupported,
): string | Block[] | undefined {
  if (typeof content === 'string') {
    if (!content) problem(at, 'must not be empty');
    return content || undefined;
  }
  if (!Array.isArray(content) || content.length === 0) {
    problem(at, 'must be a string or a non-empty array of content parts');
    return undefined;
  }
  const blocks: Block[] = [];
  content.forEach((part, j) => {
    const where = `${at}[${j}]`;
    if (!isRecord(part)) {
      problem(where, 'must be a content part object');
      return;
    }
    if (part.type === 'text') {
      if (typeof part.text !== 'string' || !part.text) problem(`${where}.text`, 'must be a non-empty string');
      else blocks.push({ type: 'text', text: part.text });
      return;
    }
    if (part.type === 'image_url') {
      const image = isRecord(part.image_url) ? part.image_url : undefined;
      if (!image || typeof image.url !== 'string') {
        problem(`${where}.image_url.url`, 'is required (a data: or https URL)');
        return;
      }
      const detail = image.detail;
      if (detail !== undefined && detail !== null && detail !== 'auto') {
        unsupported(
          `${where}.image_url.detail`,
          `detail ${JSON.stringify(detail)} has no Claude equivalent`,
          'body.messages[].content[].image_url.detail',
        );
      }
      const block = imageBlock(image.url, `${where}.image_url.url`, problem);
      if (block) blocks.push(block);
      return;
    }
    problem(
      `${where}.type`,
      `${JSON.stringify(part.type ?? null)} parts have no conversion: use text or image_url`,
    );
  });
  return blocks.length > 0 ? blocks : undefined;
}

/** An image_url URL → a Claude image block: a data: URL (base64) or an http(s) URL. */
export function imageBlock(url: string, at: string, problem: Report): Block | undefined {
  if (url.startsWith('data:')) {
    const match = /^data:([^;,]+)((?:;[^;,]*)*?);base64,(.*)$/s.exec(url);
    if (!match) {
      problem(at, 'a data: URL must be base64 (data:image/png;base64,…)');
      return undefined;
    }
    const mediaType = (match[1] ?? '').toLowerCase();
    if (!IMAGE_TYPES.includes(mediaType)) {
      problem(at, `image type ${JSON.stringify(mediaType)}: Claude takes ${IMAGE_TYPES.join(', ')}`);
      return undefined;
    }
    const data = match[3] ?? '';
    if (!data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) {
      problem(at, 'the data: URL holds no valid base64 data');
      return undefined;
    }
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data } };
  }
  if (/^https?:\/\/\S+$/i.test(url)) return { type: 'image', source: { type: 'url', url } };
  problem(at, 'must be a data: URL or an http(s) URL');
  return undefined;
}

/** An assistant tool call → a `tool_use` block (its arguments parsed from JSON). */
function toolUse(call: unknown, at: string, problem: Report): Block | undefined {
  if (!isRecord(call) || call.type !== 'function' || !isRecord(call.function)) {
    problem(at, 'must be {"id", "type": "function", "function": {"name", "arguments"}}');
    return undefined;
  }
  if (typeof call.id !== 'string' || !call.id) {
    problem(`${at}.id`, 'is required');
    return undefined;
  }
  const { name, arguments: args } = call.function;
  if (typeof name !== 'string' || !name) {
    problem(`${at}.function.name`, 'is required');
    return undefined;
  }
  let input: unknown = {};
  if (typeof args === 'string' && args.trim()) {
    try {
      input = JSON.parse(args);
    } catch (error) {
      problem(`${at}.function.arguments`, `not valid JSON (${(error as Error).message})`);
      return undefined;
    }
  } else if (args !== undefined && typeof args !== 'string') {
    problem(`${at}.function.arguments`, 'must be a JSON string');
    return undefined;
  }
  if (!isRecord(input)) {
    problem(`${at}.function.arguments`, 'must hold a JSON object');
    return undefined;
  }
  return { type: 'tool_use', id: call.id, name, input };
}

/** OpenAI `tools` (functions) → Claude tools `{name, description, input_schema}`. */
function convertTools(tools: unknown, problem: Report): Block[] | undefined {
  if (!Array.isArray(tools)) {
    problem('body.tools', 'must be an array');
    return undefined;
  }
  const out: Block[] = [];
  tools.forEach((tool, i) => {
    const at = `body.tools[${i}]`;
    if (!isRecord(tool) || tool.type !== 'function' || !isRecord(tool.function)) {
      problem(at, 'only {"type": "function", "function": {…}} tools have a Claude equivalent');
      return;
    }
    const fn = tool.function;
    if (typeof fn.name !== 'string' || !fn.name) {
      problem(`${at}.function.name`, 'is required');
      return;
    }
    const schema = fn.parameters ?? { type: 'object', properties: {} };
    if (!isRecord(schema)) {
      problem(`${at}.function.parameters`, 'must be a JSON Schema object');
      return;
    }
    const converted: Block = { name: fn.name };
    if (typeof fn.description === 'string') converted.description = fn.description;
    converted.input_schema = schema.type === undefined ? { type: 'object', ...schema } : schema;
    if (typeof fn.strict === 'boolean') converted.strict = fn.strict;
    out.push(converted);
  });
  return out;
}

/** OpenAI `tool_choice` → Claude's: auto → auto, required → any, none → none, a function → tool. */
function convertToolChoice(choice: unknown, problem: Report): Block | undefined {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  if (isRecord(choice) && choice.type === 'function' && isRecord(choice.function)) {
    const name = choice.function.name;
    if (typeof name === 'string' && name) return { type: 'tool', name };
  }
  problem(
    'body.tool_choice',
    'must be "auto", "required", "none" or {"type": "function", "function": {"name"}}',
  );
  return undefined;
}

/** What writeOpenAi adds to the counts of other sources: the options dropped, by key. */
export interface OpenAiCounts extends RowCounts {
  dropped: Record<string, number>;
}

/**
 * Streams an OpenAI batch file into request lines (one line in memory at a time): each line
 * converted, its custom_id kept (checked; hashed with --hash-ids), checked with the schema
 * `submit` uses, and mapped in the sidecar (row = the request's number, line = its line).
 * Problems are gathered (first 20, then a count) and thrown at the end; nothing is written then.
 */
export async function writeOpenAi(
  input: AsyncIterable<Uint8Array>,
  writer: RequestWriter,
  options: { file: string; ids: IdRegistry } & OpenAiOptions & RunHooks,
): Promise<OpenAiCounts> {
  const { file, ids, signal, onProgress } = options;
  const problems = new Problems();
  const overContext = new LineSample();
  const dropped: Record<string, number> = {};
  let hashedIds = 0;
  let row = 0;
  for await (const item of jsonLinesItems(input, file)) {
    row += 1;
    if (row % 10_000 === 0) {
      checkSignal(signal);
      onProgress?.(row);
    }
    const line = item.line;
    const converted = convertOpenAiLine(item.value, options);
    for (const p of converted.problems) problems.add({ file, line, field: p.field, message: p.message });
    for (const key of converted.dropped) dropped[key] = (dropped[key] ?? 0) + 1;
    if (converted.customId === undefined) continue;
    const outcome = ids.fromValue(converted.customId, line, 'line');
    if ('problem' in outcome) {
      problems.add({ file, line, field: 'custom_id', message: outcome.problem });
      continue;
    }
    if (outcome.hashed) hashedIds += 1;
    if (!converted.params || problems.count > 0) continue;
    if (options.schema)
      converted.params = {
        ...converted.params,
        output_config: { format: { type: 'json_schema', schema: options.schema } },
      };
    const request = { custom_id: outcome.id, params: converted.params };
    const issues = checkRequest(request);
    if (issues.length > 0) {
      for (const issue of issues) problems.add({ file, line, field: issue.field, message: issue.message });
      continue;
    }
    const mapped = mapLine(outcome.id, row, line, outcome.hashed ? converted.customId : undefined);
    if (writer.addRequest(request, mapped, overContext, line)) await writer.flush();
  }
  checkSignal(signal);
  problems.throwIfAny();
  return { skipped: {}, hashedIds, emptyFields: {}, overContext: overContext.toJSON(), dropped };
}
