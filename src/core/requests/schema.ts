import { z } from 'zod';
import { API_VERSION, REMOVED_PARAMS, removedParamIssues } from './api-version.js';
import { CUSTOM_ID_PATTERN } from './limits.js';
import { checkOutputSchema, type SchemaIssue } from './output-schema.js';
import {
  CacheControlSchema,
  MessageSchema,
  OutputConfigSchema,
  requiredOr,
  TextBlockSchema,
  ThinkingSchema,
  ToolChoiceSchema,
  ToolSchema,
} from './params-shape.js';

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

export { MessageSchema };

/**
 * The Messages parameters of one request, as `MessageCreateParamsBase` of the SDK lists them
 * (strict: an unknown key is refused, as the API refuses it). Checks that span fields (a forced
 * tool that is defined, the thinking budget, message order, per-model max_tokens) are in
 * `crossIssues`.
 */
export const ParamsSchema = z.strictObject(
  {
    model: z.string({ error: requiredOr('a string') }).min(1, { error: 'must not be empty' }),
    max_tokens: z
      .number({ error: requiredOr('an integer') })
      .int({ error: (issue) => `must be an integer, got ${String(issue.input)}` })
      .min(1, { error: (issue) => `must be at least 1, got ${String(issue.input)}` }),
    messages: z
      .array(MessageSchema, { error: requiredOr('an array of messages') })
      .min(1, { error: 'must hold at least one message' }),
    cache_control: CacheControlSchema,
    container: z
      .union([
        z.string(),
        z.strictObject({ id: z.string().nullish(), skills: z.array(z.unknown()).nullish() }),
      ])
      .nullish(),
    diagnostics: z.strictObject({ previous_message_id: z.string().nullish() }).nullish(),
    inference_geo: z.string().nullish(),
    metadata: z.strictObject({ user_id: z.string().nullish() }).optional(),
    output_config: OutputConfigSchema.optional(),
    service_tier: z.enum(['auto', 'standard_only']).optional(),
    /** Checked in crossIssues: a batch request cannot ask for a speed. */
    speed: z.enum(['standard', 'fast']).nullish(),
    stop_sequences: z.array(z.string()).optional(),
    stream: z.literal(false, { error: 'must not be true: batch requests do not stream' }).optional(),
    system: z
      .union([z.string(), z.array(TextBlockSchema)], {
        error: requiredOr('a string or an array of text blocks'),
      })
      .optional(),
    thinking: ThinkingSchema.optional(),
    tool_choice: ToolChoiceSchema.optional(),
    tools: z.array(ToolSchema, { error: requiredOr('an array of tools') }).optional(),
    user_profile_id: z.string().optional(),
    workspace_id: z.string().optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : requiredOr('an object')(issue)) },
);

/** One line of a request file: exactly `custom_id` and `params`. */
export const BatchRequestSchema = z.strictObject(
  {
    custom_id: z.string({ error: requiredOr('a string') }).regex(CUSTOM_ID_PATTERN, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a valid custom_id: use 1 to 64 letters, digits, "_" or "-"`,
    }),
    params: ParamsSchema,
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'must be a JSON object') },
);

/** A request as the API takes it. */
export interface BatchRequest {
  custom_id: string;
  params: z.infer<typeof ParamsSchema>;
}

/** One problem with one request: the dotted path of the field and what is wrong. */
export interface RequestIssue {
  field: string;
  message: string;
}

/** Largest max_tokens of the models whose output limit is known (others are left to the API). */
export const MAX_OUTPUT_TOKENS: Readonly<Record<string, number>> = {
  'claude-haiku-4-5': 64_000,
  'claude-sonnet-4-5': 64_000,
  'claude-opus-4-5': 64_000,
  'claude-sonnet-4-6': 64_000,
  'claude-opus-4-6': 128_000,
};

const UNKNOWN_PARAM = `unknown key: not a parameter of the Messages API under version ${API_VERSION} (the version this tool's SDK sends); the API would refuse it ("Extra inputs are not permitted")`;
const BETAS =
  'not allowed in a batch request: betas go in the anthropic-beta header of the whole batch, not in one request; remove it and pass --beta NAME to submit or run';
const SPEED = 'not allowed in a batch request: batches run at standard speed; remove it';

function unknownKeyMessage(path: readonly PropertyKey[], key: string): string | undefined {
  if (path.length === 0)
    return 'unknown key: a request has only custom_id and params (keep other data out of the request)';
  if (path.length === 1 && path[0] === 'params') {
    if ((REMOVED_PARAMS as readonly string[]).includes(key)) return undefined; // reported by removedParamIssues
    if (key === 'betas') return BETAS;
    return UNKNOWN_PARAM;
  }
  return 'unknown key: the API does not take it here ("Extra inputs are not permitted")';
}

type Issue = z.core.$ZodIssue;

/** The issues of a failed union, from the branch that got furthest (deepest path). */
function flatten(issue: Issue, out: Issue[]): void {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    let best = issue.errors[0] ?? [];
    let depth = -1;
    for (const branch of issue.errors) {
      const d = Math.max(
        ...branch.map((i) => (i.code === 'invalid_type' && i.path.length === 0 ? -1 : i.path.length)),
      );
      if (d > depth) {
        depth = d;
        best = branch;
      }
    }
    if (depth <= 0) {
      out.push(issue);
      return;
    }
    for (const inner of best) flatten({ ...inner, path: [...issue.path, ...inner.path] } as Issue, out);
    return;
  }
  out.push(issue);
}

/** The last output schema checked and its issues: the requests of a file mostly share one. */
let lastSchema: { key: string; issues: SchemaIssue[] } | undefined;

function schemaIssues(schema: unknown): SchemaIssue[] {
  const key = JSON.stringify(schema);
  if (lastSchema?.key !== key) lastSchema = { key, issues: checkOutputSchema(schema) };
  return lastSchema.issues;
}

/** Checks that span fields of params that passed the schema. */
function crossIssues(params: BatchRequest['params']): RequestIssue[] {
  const issues: RequestIssue[] = [];
  if (params.speed != null) issues.push({ field: 'params.speed', message: SPEED });
  const choice = params.tool_choice;
  if (choice?.type === 'tool') {
    const names = new Set((params.tools ?? []).map((t) => t.name));
    if (!names.has(choice.name)) {
      issues.push({
        field: 'params.tool_choice.name',
        message: `${JSON.stringify(choice.name)} is not a tool of this request (${names.size ? `its tools: ${[...names].join(', ')}` : 'it has no tools'})`,
      });
    }
  }
  const thinking = params.thinking;
  if (thinking?.type === 'enabled') {
    if (thinking.budget_tokens < 1024) {
      issues.push({
        field: 'params.thinking.budget_tokens',
        message: `must be at least 1024, got ${thinking.budget_tokens}`,
      });
    } else if (thinking.budget_tokens >= params.max_tokens) {
      issues.push({
        field: 'params.thinking.budget_tokens',
        message: `must be less than max_tokens (${params.max_tokens}), got ${thinking.budget_tokens}`,
      });
    }
  }
  const thinks = thinking?.type === 'enabled' || thinking?.type === 'adaptive';
  if (thinks && (choice?.type === 'any' || choice?.type === 'tool')) {
    issues.push({
      field: 'params.tool_choice.type',
      message: `thinking cannot be used when tool_choice forces tool use (${JSON.stringify(choice.type)}): use "auto" or "none", or turn thinking off`,
    });
  }
  messageOrderIssues(params, issues);
  const format = params.output_config?.format;
  if (format) {
    for (const issue of schemaIssues(format.schema).slice(0, 5)) {
      const path = issue.path === '' ? '' : `.${issue.path}`;
      issues.push({ field: `params.output_config.format.schema${path}`, message: issue.message });
    }
  }
  // every known limit is at least 64,000: most requests skip the lookup
  const limit =
    params.max_tokens > 64_000 ? MAX_OUTPUT_TOKENS[params.model.replace(/-\d{8}$/, '')] : undefined;
  if (limit !== undefined && params.max_tokens > limit) {
    issues.push({
      field: 'params.max_tokens',
      message: `${params.model} writes at most ${limit.toLocaleString('en-US')} tokens, got ${params.max_tokens.toLocaleString('en-US')}`,
    });
  }
  return issues;
}

/** The most messages one request may hold. */
export const MAX_MESSAGES = 100_000;

type Message = BatchRequest['params']['messages'][number];
type Block = Exclude<Message['content'], string>[number];

/** The ids of a message's blocks of one type (`tool_use` ids, or the `tool_use_id` of `tool_result`s). */
function idsOf(message: Message | undefined, type: 'tool_use' | 'tool_result'): Set<string> {
  const ids = new Set<string>();
  if (!message || typeof message.content === 'string') return ids;
  for (const block of message.content) {
    if (block.type === type)
      ids.add(block.type === 'tool_use' ? block.id : (block as { tool_use_id: string }).tool_use_id);
  }
  return ids;
}

const blank = (text: string) => text.trim().length === 0;

/** The tool_use ids of the assistant turn just before message `i` (consecutive assistant messages are one turn). */
function turnToolUses(messages: readonly Message[], i: number): Set<string> {
  const ids = new Set<string>();
  for (let k = i - 1; k >= 0 && messages[k]?.role === 'assistant'; k -= 1) {
    for (const id of idsOf(messages[k], 'tool_use')) ids.add(id);
  }
  return ids;
}

/**
 * The rules the API enforces on a conversation (and nothing it does not: roles may repeat, as
 * consecutive turns are combined, and the first message may be the assistant's): content is not
 * empty but in a final assistant message (a prefill), which may not end with white space; text is
 * not blank; each `tool_result` answers a `tool_use` of the message just before, they come first
 * in their message, and every `tool_use` before the last message is answered in the next one;
 * with thinking on, a final assistant message starts with a thinking block.
 */
function messageOrderIssues(params: BatchRequest['params'], issues: RequestIssue[]): void {
  const messages = params.messages;
  const last = messages.length - 1;
  if (messages.length > MAX_MESSAGES) {
    issues.push({
      field: 'params.messages',
      message: `holds ${messages.length.toLocaleString('en-US')} messages, more than the ${MAX_MESSAGES.toLocaleString('en-US')} a request may have`,
    });
    return;
  }
  messages.forEach((message, i) => {
    const at = `params.messages.${i}`;
    const prefill = i === last && message.role === 'assistant';
    const content = message.content;
    if (typeof content === 'string') {
      if (!prefill && blank(content)) {
        issues.push({
          field: `${at}.content`,
          message: content
            ? 'must contain non-white-space text'
            : 'must not be empty (only a final assistant message may be)',
        });
      } else if (prefill && /\s$/.test(content)) {
        issues.push({
          field: `${at}.content`,
          message: 'a final assistant message cannot end with white space',
        });
      }
    } else {
      if (content.length === 0 && !prefill) {
        issues.push({
          field: `${at}.content`,
          message: 'must not be empty (only a final assistant message may be)',
        });
      }
      let seenOther = false;
      const previousUses = message.role === 'user' ? turnToolUses(messages, i) : new Set<string>();
      content.forEach((block: Block, j) => {
        if (block.type === 'text' && blank(block.text)) {
          issues.push({
            field: `${at}.content.${j}.text`,
            message: 'text blocks must contain non-white-space text',
          });
        }
        if (block.type !== 'tool_result') {
          seenOther = true;
          return;
        }
        if (!previousUses.has(block.tool_use_id)) {
          issues.push({
            field: `${at}.content.${j}.tool_use_id`,
            message: `${JSON.stringify(block.tool_use_id)} answers no tool_use of the message before (${i === 0 ? 'there is none' : previousUses.size ? `its tool_use ids: ${[...previousUses].join(', ')}` : 'it has no tool_use block'}): each tool_result follows the assistant message with its tool_use`,
          });
        } else if (seenOther) {
          issues.push({
            field: `${at}.content.${j}`,
            message: 'tool_result blocks must come first in their message, before any text or other block',
          });
        }
      });
      const final = content.at(-1);
      if (prefill && final?.type === 'text' && /\s$/.test(final.text)) {
        issues.push({
          field: `${at}.content.${content.length - 1}.text`,
          message: 'a final assistant message cannot end with white space',
        });
      }
    }
    // Consecutive assistant messages are one turn: the user message after the turn answers it.
    let next = i + 1;
    while (message.role === 'assistant' && messages[next]?.role === 'assistant') next += 1;
    if (message.role === 'assistant' && next <= last) {
      const answered = idsOf(messages[next], 'tool_result');
      const missing = [...idsOf(message, 'tool_use')].filter((id) => !answered.has(id));
      if (missing.length > 0) {
        issues.push({
          field: `params.messages.${next}`,
          message: `must answer every tool_use of the message before with a tool_result; missing: ${missing.join(', ')}`,
        });
      }
    }
  });
  const thinking = params.thinking?.type;
  const final = messages[last];
  if ((thinking === 'enabled' || thinking === 'adaptive') && final?.role === 'assistant') {
    const first = typeof final.content === 'string' ? 'text' : final.content[0]?.type;
    if (first !== 'thinking' && first !== 'redacted_thinking') {
      issues.push({
        field: `params.messages.${last}`,
        message:
          'with thinking on, a final assistant message must start with a thinking block: a prefill cannot be used with thinking (end with a user message, or turn thinking off)',
      });
    }
  }
}

/**
 * Checks one parsed request against the request shape of the API version the SDK sends; returns
 * its problems (empty when valid). Parameters that version no longer takes (temperature, top_p,
 * top_k) are problems: the API would refuse them.
 */
export function checkRequest(value: unknown): RequestIssue[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [
      {
        field: 'request',
        message: `must be a JSON object with custom_id and params, got ${typeName(value)}`,
      },
    ];
  }
  const removed = removedParamIssues((value as { params?: unknown }).params);
  const result = BatchRequestSchema.safeParse(value);
  if (result.success) {
    const cross = crossIssues(result.data.params);
    return cross.length === 0 ? removed : [...cross, ...removed];
  }
  const issues: RequestIssue[] = [];
  const flat: Issue[] = [];
  for (const issue of result.error.issues) flatten(issue, flat);
  for (const issue of flat) {
    if (issue.code === 'unrecognized_keys') {
      const prefix = issue.path.length ? `${issue.path.join('.')}.` : '';
      for (const key of issue.keys) {
        const message = unknownKeyMessage(issue.path, key);
        if (message) issues.push({ field: `${prefix}${key}`, message });
      }
      continue;
    }
    issues.push({ field: issue.path.join('.') || 'request', message: issue.message });
  }
  return [...issues, ...removed];
}
