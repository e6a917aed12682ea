import { createHash } from 'node:crypto';
import { estimateTokens, mediaTokens, promptTexts, toolTokens } from '../core/cost/tokens.js';
import { isRecord } from '../core/is-record.js';
import { inputFromSchema } from './tool-input.js';
import { checkFeatures, checkParams, checkShape } from './validate.js';

/** What the emulator keeps of one request: enough to answer it, not the whole prompt. */
export interface StoredRequest {
  customId: string;
  model: string;
  maxTokens: number;
  outcome: 'succeeded' | 'errored' | 'expired';
  errorType?: string;
  errorMessage?: string;
  /** The start of the prompt, quoted in the answer. */
  excerpt: string;
  /** A short hash of the whole prompt, so that every prompt gets its own answer. */
  digest: string;
  inputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  /** The part of `cacheWriteTokens` written with a 1-hour ttl (the rest is 5 minutes). */
  cacheWrite1hTokens: number;
  /** The request's `stop_sequences`, if any. */
  stopSequences?: string[];
  /** Appended to the answer when a stop sequence occurs in the last user text: that text from the sequence on. */
  echo?: string;
  /** A forced tool call: the answer is this `tool_use` block. */
  toolUse?: { name: string; input: unknown };
  /** Extended thinking is on: a `thinking` block comes first. */
  thinking?: boolean;
  /**
   * Structured outputs (`output_config.format`): the answer's text, JSON conforming to the schema;
   * with `EMULATE_INVALID_OUTPUT` in the prompt, JSON that does not conform.
   */
  jsonOutput?: string;
  /** `EMULATE_TRUNCATED_OUTPUT`: the JSON is cut in the middle, with stop_reason max_tokens. */
  truncatedOutput?: boolean;
}

/** The text of the last user message (its text blocks joined), or ''. */
function lastUserText(params: Record<string, unknown>): string {
  if (!Array.isArray(params.messages)) return '';
  for (let i = params.messages.length - 1; i >= 0; i--) {
    const m = params.messages[i];
    if (!isRecord(m) || m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (!Array.isArray(m.content)) return '';
    return m.content
      .filter((b): b is { text: string } => isRecord(b) && typeof b.text === 'string')
      .map((b) => b.text)
      .join('\n');
  }
  return '';
}

/** The features of the request that change its answer (stop sequences, a forced tool, thinking). */
function featuresOf(params: Record<string, unknown>, digest: string, prompt: string): Partial<StoredRequest> {
  const out: Partial<StoredRequest> = {};
  const format = isRecord(params.output_config) ? params.output_config.format : undefined;
  if (isRecord(format) && format.type === 'json_schema' && isRecord(format.schema)) {
    let value = inputFromSchema(format.schema, `${digest}/output`);
    if (prompt.includes(INVALID_OUTPUT_TRIGGER)) value = nonConforming(value);
    out.jsonOutput = Buffer.from(JSON.stringify(value)).toString();
    if (prompt.includes(TRUNCATED_OUTPUT_TRIGGER)) out.truncatedOutput = true;
  }
  const stops = Array.isArray(params.stop_sequences)
    ? params.stop_sequences.filter((x): x is string => typeof x === 'string' && x.length > 0)
    : [];
  if (stops.length > 0) {
    out.stopSequences = stops.map((x) => Buffer.from(x).toString());
    const last = lastUserText(params);
    let at = -1;
    for (const x of stops) {
      const i = last.indexOf(x);
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at >= 0) out.echo = Buffer.from(last.slice(at, at + 200)).toString();
  }
  const choice = params.tool_choice;
  if (isRecord(choice) && (choice.type === 'any' || choice.type === 'tool') && Array.isArray(params.tools)) {
    const tools = params.tools.filter(isRecord);
    const tool = choice.type === 'tool' ? tools.find((t) => t.name === choice.name) : tools[0];
    if (tool && typeof tool.name === 'string') {
      out.toolUse = { name: tool.name, input: inputFromSchema(tool.input_schema, `${digest}/${tool.name}`) };
    }
  }
  const thinking = params.thinking;
  if (isRecord(thinking) && (thinking.type === 'enabled' || thinking.type === 'adaptive'))
    out.thinking = true;
  return out;
}

/** The end of the prompt (where the item to work on usually is), on one line, at most 60 characters. */
function excerptOf(prompt: string): string {
  const flat = prompt.slice(-400).replace(/\s+/g, ' ').trim();
  const excerpt = flat.length <= 60 && prompt.length <= 400 ? flat : `…${flat.slice(-59)}`;
  // A copy: a slice would keep the whole prompt alive for as long as the batch is kept.
  return Buffer.from(excerpt).toString();
}

const ERROR_TRIGGER = /EMULATE_ERROR=([a-z_]+)/;

/** The error types the API answers with: the only ones `EMULATE_ERROR=` takes. */
export const API_ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'api_error',
  'overloaded_error',
  'timeout_error',
  'billing_error',
] as const;
const EXPIRE_TRIGGER = 'EMULATE_EXPIRE';
const INVALID_OUTPUT_TRIGGER = 'EMULATE_INVALID_OUTPUT';
const TRUNCATED_OUTPUT_TRIGGER = 'EMULATE_TRUNCATED_OUTPUT';

/** A structured answer's JSON text made not to match its schema (the `invalid-output` fault). */
export function spoilOutput(json: string): string {
  return JSON.stringify(nonConforming(JSON.parse(json)));
}

/**
 * A value that breaks its schema, whatever the schema: an object loses its first property and
 * gains one no closed schema allows; anything else becomes such an object.
 */
function nonConforming(value: unknown): unknown {
  const out: Record<string, unknown> = isRecord(value) ? { ...value } : {};
  const first = Object.keys(out)[0];
  if (first !== undefined) delete out[first];
  out.emulated_invalid_output = INVALID_OUTPUT_TRIGGER;
  return out;
}

/**
 * The minimum cacheable prefix, in tokens, by model (the API's table, matched on the model name,
 * first match wins): a breakpoint whose prefix is shorter caches nothing.
 */
export const MIN_CACHEABLE_TOKENS: ReadonlyArray<readonly [RegExp, number]> = [
  [/opus-4-[56]|haiku-4-5/, 4096],
  [/sonnet-4-6|haiku/, 2048], // Sonnet 4.6; Haiku 3 and 3.5
  [/./, 1024], // every other model (Sonnet 4.5, Opus 4.1, Opus 4, Sonnet 4, Sonnet 3.7, …)
];

export function minCacheableTokens(model: string): number {
  return MIN_CACHEABLE_TOKENS.find(([re]) => re.test(model))?.[1] ?? 1024;
}

/** A `cache_control` breakpoint: the tokens of the prefix up to it, a hash of that prefix, its ttl. */
interface Breakpoint {
  tokens: number;
  key: string;
  ttl: '5m' | '1h';
}

/**
 * The request's cache breakpoints, in prompt order (tools, system blocks, then messages). A
 * prefix's tokens are its text characters ÷ 4 plus its images' and documents' tokens; its key
 * hashes the model, the tools and every block up to the breakpoint.
 */
function breakpointsOf(params: Record<string, unknown>, model: string): Breakpoint[] {
  const marked = (content: unknown) =>
    Array.isArray(content) && content.some((b) => isRecord(b) && b.cache_control);
  const messages = Array.isArray(params.messages) ? params.messages : [];
  if (!marked(params.system) && !messages.some((m) => isRecord(m) && marked(m.content))) return [];
  const hash = createHash('sha256').update(`${model}\u0000${JSON.stringify(params.tools ?? null)}`);
  let chars = 0;
  let media = 0;
  const out: Breakpoint[] = [];
  const visit = (content: unknown, role: string) => {
    hash.update(`\u0000${role}`);
    if (typeof content === 'string') {
      chars += content.length;
      hash.update(content);
      return;
    }
    if (!Array.isArray(content)) return;
    for (const block of content) {
      if (!isRecord(block)) continue;
      if (typeof block.text === 'string') chars += block.text.length;
      else media += mediaTokens({ messages: [{ content: [block] }] });
      const { cache_control: control, ...rest } = block;
      hash.update(JSON.stringify(rest));
      if (isRecord(control)) {
        out.push({
          tokens: estimateTokens(chars) + media,
          key: hash.copy().digest('hex'),
          ttl: control.ttl === '1h' ? '1h' : '5m',
        });
      }
    }
  };
  visit(params.system, 'system');
  if (Array.isArray(params.messages)) {
    for (const m of params.messages) if (isRecord(m)) visit(m.content, String(m.role));
  }
  return out;
}

/**
 * Reduces one request to what its result needs. `cachedPrefixes` is shared by the batch's
 * requests: the first request with a cached prefix writes the cache, later ones read it.
 */
export function storeRequest(
  request: { custom_id: string; params: Record<string, unknown> },
  apiVersion: string,
  cachedPrefixes: Set<string>,
  minCacheTokens?: number,
  models?: ReadonlySet<string>,
): StoredRequest {
  const params = request.params;
  const texts = promptTexts(params);
  const joined = texts.join('\n');
  const digest = createHash('sha256').update(joined).digest('hex').slice(0, 8);
  const base = {
    customId: request.custom_id,
    model: typeof params.model === 'string' ? params.model : 'unknown',
    maxTokens: typeof params.max_tokens === 'number' ? params.max_tokens : 1,
    excerpt: excerptOf(joined),
    digest,
    inputTokens: estimateTokens(joined.length) + mediaTokens(params) + toolTokens(params),
    cacheWriteTokens: 0,
    cacheReadTokens: 0,
    cacheWrite1hTokens: 0,
  };
  const invalid =
    checkParams(params, apiVersion) ?? checkFeatures(params) ?? checkShape(request.custom_id, params);
  if (invalid) {
    return { ...base, outcome: 'errored', errorType: 'invalid_request_error', errorMessage: invalid };
  }
  if (models && !models.has(base.model)) {
    return {
      ...base,
      outcome: 'errored',
      errorType: 'not_found_error',
      errorMessage: `model: ${base.model}`,
    };
  }
  const trigger = ERROR_TRIGGER.exec(joined);
  if (trigger?.[1] && !(API_ERROR_TYPES as readonly string[]).includes(trigger[1])) {
    return {
      ...base,
      outcome: 'errored',
      errorType: 'invalid_request_error',
      errorMessage: `EMULATE_ERROR=${trigger[1]}: not an error type of the API (one of ${API_ERROR_TYPES.join(', ')})`,
    };
  }
  if (trigger?.[1]) {
    return {
      ...base,
      outcome: 'errored',
      errorType: trigger[1],
      errorMessage: `Emulated ${trigger[1]} (EMULATE_ERROR)`,
    };
  }
  if (joined.includes(EXPIRE_TRIGGER)) return { ...base, outcome: 'expired' };
  const min = minCacheTokens ?? minCacheableTokens(base.model);
  const breakpoints = breakpointsOf(params, base.model).filter((p) => p.tokens >= min && p.tokens > 0);
  const last = breakpoints.at(-1);
  if (last) {
    // The longest prefix an earlier request of the batch wrote is read; the rest up to the last
    // breakpoint is written, as 1h up to the last 1h breakpoint and 5m after it.
    const hit = breakpoints.filter((p) => cachedPrefixes.has(p.key)).at(-1);
    const read = hit?.tokens ?? 0;
    const last1h = breakpoints.filter((p) => p.ttl === '1h').at(-1);
    base.cacheReadTokens = read;
    base.cacheWrite1hTokens = Math.max(0, (last1h?.tokens ?? 0) - read);
    base.cacheWriteTokens = last.tokens - read;
    for (const p of breakpoints) cachedPrefixes.add(p.key);
    base.inputTokens = Math.max(0, base.inputTokens - last.tokens);
  }
  return { ...base, ...featuresOf(params, digest, joined), outcome: 'succeeded' };
}

const FILLER =
  ' The emulator writes this sentence to give the answer the length that was asked for, and it repeats it as needed.';

/** The answer text for a request: deterministic, quoting the prompt, padded to `answerSize` characters if set. */
export function answerText(r: StoredRequest, answerSize: number | undefined): string {
  let text = `Emulated answer ${r.digest} to: "${r.excerpt}"`;
  if (r.echo !== undefined) text += ` Echo: ${r.echo}`;
  if (answerSize !== undefined) {
    while (text.length < answerSize) text += FILLER;
    text = text.slice(0, answerSize);
  }
  return text;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` base-62 characters (letters and digits, as in the API's ids) from the bytes of a hash. */
function base62(bytes: Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += BASE62[(bytes[i % bytes.length] as number) % 62];
  return out;
}

/**
 * The result line of a request, as the API writes it; `beta`: a message in the beta shape
 * (`context_management`; `fallback_credit`, `iterations` in usage).
 */
export function resultLine(
  r: StoredRequest,
  state: 'succeeded' | 'errored' | 'expired' | 'canceled',
  batchId: string,
  answerSize: number | undefined,
  beta = false,
): string {
  if (state === 'canceled' || state === 'expired') {
    return JSON.stringify({ custom_id: r.customId, result: { type: state } });
  }
  if (state === 'errored') {
    return JSON.stringify({
      custom_id: r.customId,
      result: {
        type: 'errored',
        error: { type: 'error', error: { type: r.errorType, message: r.errorMessage }, request_id: null },
      },
    });
  }
  let text = r.jsonOutput ?? answerText(r, answerSize);
  let stopReason = 'end_turn';
  let stopSequence: string | null = null;
  let stopAt = -1;
  for (const x of r.stopSequences ?? []) {
    const i = text.indexOf(x);
    if (i >= 0 && (stopAt < 0 || i < stopAt)) {
      stopAt = i;
      stopSequence = x;
    }
  }
  if (stopSequence !== null) {
    text = text.slice(0, stopAt);
    stopReason = 'stop_sequence';
  }
  if (r.truncatedOutput && r.jsonOutput !== undefined) {
    text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    stopReason = 'max_tokens';
    stopSequence = null;
  }
  if (estimateTokens(text.length) > r.maxTokens) {
    text = text.slice(0, r.maxTokens * 4);
    stopReason = 'max_tokens';
    stopSequence = null;
  }
  const hash = (salt: string) =>
    base62(createHash('sha256').update(`${salt}${batchId}/${r.customId}`).digest(), 22);
  const content: unknown[] = [];
  let outputChars = 0;
  if (r.thinking) {
    const thinking = `Emulated thinking ${r.digest}: the request asks about "${r.excerpt}", so the answer quotes it.`;
    content.push({ type: 'thinking', thinking, signature: `EmuSig${hash('signature/')}` });
    outputChars += thinking.length;
  }
  if (r.toolUse) {
    const block = {
      type: 'tool_use',
      id: `toolu_01${hash('tool/')}`,
      caller: { type: 'direct' },
      name: r.toolUse.name,
      input: r.toolUse.input,
    };
    content.push(block);
    outputChars += r.toolUse.name.length + JSON.stringify(r.toolUse.input).length;
    stopReason = 'tool_use';
    stopSequence = null;
  } else {
    content.push({ type: 'text', text, citations: null });
    outputChars += text.length;
  }
  const id = `msg_01${base62(createHash('sha256').update(`${batchId}/${r.customId}`).digest(), 22)}`;
  return JSON.stringify({
    custom_id: r.customId,
    result: {
      type: 'succeeded',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model: r.model,
        content,
        stop_reason: stopReason,
        stop_sequence: stopSequence,
        stop_details: null,
        container: null,
        diagnostics: null,
        ...(beta ? { context_management: null } : {}),
        usage: {
          cache_creation:
            r.cacheWriteTokens > 0
              ? {
                  ephemeral_5m_input_tokens: r.cacheWriteTokens - r.cacheWrite1hTokens,
                  ephemeral_1h_input_tokens: r.cacheWrite1hTokens,
                }
              : null,
          cache_creation_input_tokens: r.cacheWriteTokens,
          cache_read_input_tokens: r.cacheReadTokens,
          inference_geo: null,
          input_tokens: r.inputTokens,
          output_tokens: Math.min(r.maxTokens, estimateTokens(outputChars)),
          output_tokens_details: null,
          server_tool_use: null,
          service_tier: 'batch',
          speed: 'standard',
          ...(beta ? { fallback_credit: null, iterations: null } : {}),
        },
      },
    },
  });
}
