import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Env } from '../api/client.js';
import { toolTokens } from '../cost/tokens.js';
import { UsageError } from '../errors.js';
import { type BatchRequest, checkRequest } from '../requests/schema.js';
import { DEFAULT_MAX_TOKENS, DEFAULT_MODEL, EFFORT_LEVELS, MODEL_ENV } from './defaults.js';
import { readSchemaFile, withOutputFormat } from './output-format.js';
import { parseExtraParams } from './params.js';

export { DEFAULT_MAX_TOKENS, DEFAULT_MODEL, MODEL_ENV } from './defaults.js';

/** Prompt-caching lifetime for the system prompt: 5 minutes (the API's default) or 1 hour. */
export type CacheTtl = '5m' | '1h';

/** The flags that shape every request of a build (csv, json, text). */
export interface RequestOptions {
  model?: string | undefined;
  maxTokens?: number | undefined;
  /** The system prompt, or `@FILE` to read it from a file. */
  system?: string | undefined;
  /** Mark the system prompt for prompt caching; `true` means the default lifetime (5m). */
  cacheSystem?: CacheTtl | boolean | undefined;
  /** `--params`: a JSON object of other Messages parameters. */
  params?: string | undefined;
  /** `--param key=json`, repeatable. */
  param?: string[] | undefined;
  /** `--stop SEQ`, repeatable: `stop_sequences`. */
  stop?: string[] | undefined;
  /** `--tools FILE`: a JSON array of tool definitions (`{name, description, input_schema}`). */
  tools?: string | undefined;
  /** `--tool-choice auto|any|none|NAME`. */
  toolChoice?: string | undefined;
  /** `--thinking BUDGET|adaptive`: extended thinking with a token budget, or adaptive. */
  thinking?: string | undefined;
  /** `--effort LEVEL`: `output_config.effort` (low, medium, high, xhigh, max). */
  effort?: string | undefined;
  /** `--schema FILE`: a JSON Schema the answers follow (structured outputs: `output_config.format`). */
  schema?: string | undefined;
}

/** Turns a prompt and an id into one request line; every line has the same shape. */
export interface RequestShape {
  model: string;
  maxTokens: number;
  /** Characters of system prompt in each request (for the token estimate). */
  systemChars: number;
  /** The `params` object without its messages (for display and for custom modules). */
  params: Record<string, unknown>;
  /** Estimated tokens every request carries besides its text and media: the tools and their overhead. */
  fixedTokens: number;
  /** The JSON line (no newline) of the request with this id and prompt (after `blocks`, when given). */
  line(customId: string, prompt: string, blocks?: readonly object[]): string;
  /** The JSON line of the request with this id and these messages, as given (`--messages-field`). */
  messagesLine(customId: string, messages: readonly unknown[]): string;
}

/** The model to use: the flag, else $CLAUDE_BATCH_MODEL, else {@link DEFAULT_MODEL}. */
export function chooseModel(flag: string | undefined, env: Env): string {
  const model = flag ?? env[MODEL_ENV] ?? DEFAULT_MODEL;
  if (!model.trim()) throw new UsageError('--model must not be empty');
  return model;
}

/**
 * Reads `--system`: the text itself, or `@FILE` (relative to `cwd`) without the one final line
 * break (`\n` or `\r\n`) every text file ends with.
 */
export async function readSystem(value: string, cwd: string): Promise<string> {
  if (!value.startsWith('@')) return value;
  const file = value.slice(1);
  try {
    return (await readFile(resolve(cwd, file), 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new UsageError(
      `--system ${value}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      'pass the text itself, or @FILE naming a readable file',
    );
  }
}

/**
 * Resolves the request flags into a {@link RequestShape}: model, max_tokens, the system prompt
 * (a string, or one text block with `cache_control` when caching), and the extra parameters.
 * temperature, top_p and top_k are refused (the API version the SDK sends has none). A sample request is checked
 * against the same schema `submit` uses, so a bad flag fails before any input is read.
 */
export async function requestShape(
  options: RequestOptions,
  context: { env: Env; cwd: string },
): Promise<RequestShape> {
  const model = chooseModel(options.model, context.env);
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new UsageError(`--max-tokens must be a whole number of at least 1, got ${maxTokens}`);
  }
  const params: Record<string, unknown> = { model, max_tokens: maxTokens };
  let systemChars = 0;
  if (options.system !== undefined) {
    const text = await readSystem(options.system, context.cwd);
    if (!text.trim()) throw new UsageError('--system is empty');
    systemChars = text.length;
    if (options.cacheSystem) {
      const ttl = options.cacheSystem === true ? '5m' : options.cacheSystem;
      params.system = [
        {
          type: 'text',
          text,
          cache_control: ttl === '1h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' },
        },
      ];
    } else {
      params.system = text;
    }
  } else if (options.cacheSystem) {
    throw new UsageError('--cache-system needs a system prompt', 'add --system TEXT or --system @FILE');
  }
  Object.assign(params, await featureParams(options, maxTokens, context.cwd));
  const extra = parseExtraParams(options.params, options.param);
  for (const key of Object.keys(extra)) {
    if (key in params) {
      throw new UsageError(
        `params.${key} is set twice: by its own flag and by --params / --param`,
        `keep one of them (${OWN_FLAG[key] ?? 'its flag'} or --params)`,
      );
    }
  }
  Object.assign(params, extra);
  if (options.schema !== undefined) {
    // Merged into output_config (effort, from --effort or --params, is kept).
    const merged = withOutputFormat(params, await readSchemaFile(options.schema, context.cwd));
    if ('problem' in merged) throw new UsageError(`--params ${merged.problem}`);
    Object.assign(params, merged.params);
  }

  // Every line is `{"custom_id":ID,"params":{…,"messages":[{"role":"user","content":PROMPT}]}}`:
  // the parts around ID and PROMPT are serialised once, so each row costs two JSON.stringify of strings.
  const mark = '\u0000PROMPT\u0000';
  const full = JSON.stringify({ ...params, messages: [{ role: 'user', content: mark }] });
  const at = full.lastIndexOf(JSON.stringify(mark));
  const head = full.slice(0, at);
  const tail = full.slice(at + JSON.stringify(mark).length);
  const line = (customId: string, prompt: string, blocks?: readonly object[]) => {
    const content =
      blocks && blocks.length > 0
        ? JSON.stringify([...blocks, { type: 'text', text: prompt }])
        : JSON.stringify(prompt);
    return `{"custom_id":${JSON.stringify(customId)},"params":${head}${content}${tail}}`;
  };

  const sample = JSON.parse(line('sample', 'sample')) as BatchRequest;
  const issues = checkRequest(sample);
  if (issues.length > 0) {
    const first = issues[0];
    throw new UsageError(`${first?.field}: ${first?.message}`, 'check --model, --max-tokens and --params');
  }
  const messagesLine = (customId: string, messages: readonly unknown[]) =>
    JSON.stringify({ custom_id: customId, params: { ...params, messages } });
  return { model, maxTokens, systemChars, params, fixedTokens: toolTokens(params), line, messagesLine };
}

/** The flag that sets each key featureParams makes. */
const OWN_FLAG: Record<string, string> = {
  stop_sequences: '--stop',
  tools: '--tools',
  tool_choice: '--tool-choice',
  thinking: '--thinking',
  output_config: '--effort',
};

/** Reads `--tools FILE`: a JSON array of tool definitions, each with a name. */
async function readTools(file: string, cwd: string): Promise<Array<Record<string, unknown>>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(resolve(cwd, file), 'utf8'));
  } catch (error) {
    const why =
      error instanceof SyntaxError
        ? `not JSON (${error.message})`
        : ((error as NodeJS.ErrnoException).code ?? String(error));
    throw new UsageError(
      `--tools ${file}: cannot read it: ${why}`,
      'give a JSON file holding an array of tool definitions',
    );
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new UsageError(
      `--tools ${file}: must hold a non-empty JSON array of tool definitions`,
      'e.g. [{"name": "record", "description": "…", "input_schema": {"type": "object", "properties": {…}}}]',
    );
  }
  parsed.forEach((tool, i) => {
    const t = tool as Record<string, unknown>;
    if (typeof tool !== 'object' || tool === null || typeof t.name !== 'string' || !t.name) {
      throw new UsageError(
        `--tools ${file}: tool ${i + 1} has no name`,
        'each tool is {"name", "description", "input_schema"}',
      );
    }
    const schema = t.input_schema as Record<string, unknown> | undefined;
    if (t.type === undefined && (typeof schema !== 'object' || schema === null || schema.type !== 'object')) {
      throw new UsageError(
        `--tools ${file}: tool ${t.name}: input_schema must be a JSON Schema with "type": "object"`,
      );
    }
  });
  return parsed as Array<Record<string, unknown>>;
}

/** `stop_sequences`, `tools`, `tool_choice` and `thinking` from their flags, checked as the API would. */
async function featureParams(
  options: RequestOptions,
  maxTokens: number,
  cwd: string,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  if (options.stop && options.stop.length > 0) {
    if (options.stop.some((s) => s.length === 0)) throw new UsageError('--stop must not be empty');
    out.stop_sequences = options.stop;
  }
  const tools = options.tools === undefined ? undefined : await readTools(options.tools, cwd);
  if (tools) out.tools = tools;
  if (options.toolChoice !== undefined) {
    const choice = options.toolChoice;
    if (choice === 'auto' || choice === 'any' || choice === 'none') out.tool_choice = { type: choice };
    else out.tool_choice = { type: 'tool', name: choice };
    if (choice !== 'none' && !tools) {
      throw new UsageError(
        `--tool-choice ${choice} needs --tools FILE`,
        'define the tools the model may call',
      );
    }
    if (
      tools &&
      choice !== 'auto' &&
      choice !== 'any' &&
      choice !== 'none' &&
      !tools.some((t) => t.name === choice)
    ) {
      throw new UsageError(
        `--tool-choice ${choice}: no tool of that name in --tools (${tools.map((t) => t.name).join(', ')})`,
        'name one of the tools, or use auto, any or none',
      );
    }
  }
  if (options.thinking !== undefined) {
    if (options.thinking === 'adaptive') out.thinking = { type: 'adaptive' };
    else {
      const budget = Number(options.thinking);
      if (!/^\d+$/.test(options.thinking) || budget < 1024 || budget >= maxTokens) {
        throw new UsageError(
          `--thinking ${options.thinking}: the budget must be a whole number of tokens, at least 1,024 and under --max-tokens (${maxTokens.toLocaleString('en-US')})`,
          'e.g. --thinking 2048 --max-tokens 4096, or --thinking adaptive',
        );
      }
      out.thinking = { type: 'enabled', budget_tokens: budget };
    }
    const forced = out.tool_choice as { type: string } | undefined;
    if (forced && (forced.type === 'any' || forced.type === 'tool')) {
      throw new UsageError(
        '--thinking cannot be used with a forced --tool-choice (any or a tool name)',
        'use --tool-choice auto with thinking',
      );
    }
  }
  if (options.effort !== undefined) {
    if (!(EFFORT_LEVELS as readonly string[]).includes(options.effort)) {
      throw new UsageError(
        `--effort ${options.effort}: not an effort level`,
        `use one of ${EFFORT_LEVELS.join(', ')}`,
      );
    }
    out.output_config = { effort: options.effort };
  }
  return out;
}
