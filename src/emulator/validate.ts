import { isRecord } from '../core/is-record.js';
import { CUSTOM_ID_PATTERN } from '../core/requests/limits.js';
import { checkRequest } from '../core/requests/schema.js';

/** A create-time problem, worded as the API words it: `path: message`. */
export class CreateError extends Error {}

/**
 * The checks the API makes when a batch is created (HTTP 400 on the first failure). Params are
 * not checked here: like the API, the emulator checks them later and reports an `errored` result.
 */
export function checkCreateBody(
  body: unknown,
  maxRequests: number,
): Array<{ custom_id: string; params: Record<string, unknown> }> {
  if (!isRecord(body)) throw new CreateError('body: Input should be a valid dictionary');
  for (const key of Object.keys(body)) {
    if (key !== 'requests') throw new CreateError(`${key}: Extra inputs are not permitted`);
  }
  const requests = body.requests;
  if (requests === undefined) throw new CreateError('requests: Field required');
  if (!Array.isArray(requests)) throw new CreateError('requests: Input should be a valid list');
  if (requests.length === 0)
    throw new CreateError('requests: List should have at least 1 item after validation, not 0');
  if (requests.length > maxRequests) {
    throw new CreateError(
      `requests: List should have at most ${maxRequests} items after validation, not ${requests.length}`,
    );
  }
  const seen = new Set<string>();
  requests.forEach((item: unknown, i: number) => {
    const at = `requests.${i}`;
    if (!isRecord(item)) throw new CreateError(`${at}: Input should be a valid dictionary`);
    for (const key of Object.keys(item)) {
      if (key !== 'custom_id' && key !== 'params')
        throw new CreateError(`${at}.${key}: Extra inputs are not permitted`);
    }
    const id = item.custom_id;
    if (id === undefined) throw new CreateError(`${at}.custom_id: Field required`);
    if (typeof id !== 'string') throw new CreateError(`${at}.custom_id: Input should be a valid string`);
    if (id.length > 64) throw new CreateError(`${at}.custom_id: String should have at most 64 characters`);
    if (!CUSTOM_ID_PATTERN.test(id)) {
      throw new CreateError(`${at}.custom_id: String should match pattern '${CUSTOM_ID_PATTERN.source}'`);
    }
    if (seen.has(id)) throw new CreateError(`${at}.custom_id: Duplicate custom_id '${id}' in this batch`);
    seen.add(id);
    if (item.params === undefined) throw new CreateError(`${at}.params: Field required`);
    if (!isRecord(item.params)) throw new CreateError(`${at}.params: Input should be a valid dictionary`);
  });
  return requests as Array<{ custom_id: string; params: Record<string, unknown> }>;
}

/** The API version that removed `temperature`, `top_p` and `top_k` from Messages params. */
export const SAMPLING_REMOVED_IN = '2026-10-21';

/**
 * The checks the API makes on one request's params while processing; undefined when they pass.
 * `apiVersion` is the `anthropic-version` header the batch was created with.
 */
export function checkParams(
  params: Record<string, unknown>,
  apiVersion = SAMPLING_REMOVED_IN,
): string | undefined {
  const { model, max_tokens: maxTokens, messages, stream } = params;
  if (model === undefined) return 'model: Field required';
  if (typeof model !== 'string' || model.length === 0) return 'model: Input should be a non-empty string';
  if (maxTokens === undefined) return 'max_tokens: Field required';
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens)) {
    return 'max_tokens: Input should be a valid integer';
  }
  if (maxTokens < 1) return 'max_tokens: Input should be greater than or equal to 1';
  if (messages === undefined) return 'messages: Field required';
  if (!Array.isArray(messages) || messages.length === 0) return 'messages: List should have at least 1 item';
  for (const [i, m] of messages.entries()) {
    if (!isRecord(m)) return `messages.${i}: Input should be a valid dictionary`;
    if (m.role !== 'user' && m.role !== 'assistant')
      return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (typeof m.content !== 'string' && !Array.isArray(m.content))
      return `messages.${i}.content: Field required`;
  }
  if (stream === true) return 'stream: streaming is not supported in the Message Batches API';
  if (apiVersion >= SAMPLING_REMOVED_IN) {
    for (const gone of ['temperature', 'top_p', 'top_k']) {
      if (gone in params) return `${gone}: Extra inputs are not permitted`;
    }
  }
  return undefined;
}

/**
 * The checks on the params the emulator acts on (stop sequences, tools, thinking), worded like
 * the API's messages; undefined when they pass.
 */
export function checkFeatures(params: Record<string, unknown>): string | undefined {
  const { stop_sequences: stops, tools, tool_choice: choice, thinking, max_tokens: maxTokens } = params;
  if (stops !== undefined) {
    if (!Array.isArray(stops)) return 'stop_sequences: Input should be a valid list';
    for (const [i, x] of stops.entries()) {
      if (typeof x !== 'string') return `stop_sequences.${i}: Input should be a valid string`;
    }
  }
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return 'tools: Input should be a valid list';
    for (const [i, t] of tools.entries()) {
      if (!isRecord(t)) return `tools.${i}: Input should be a valid dictionary`;
      if (typeof t.name !== 'string') return `tools.${i}.name: Field required`;
    }
  }
  let forced = false;
  if (choice !== undefined) {
    if (!isRecord(choice)) return 'tool_choice: Input should be a valid dictionary';
    const kinds = ['auto', 'any', 'tool', 'none'];
    if (typeof choice.type !== 'string' || !kinds.includes(choice.type)) {
      return `tool_choice: Input tag '${String(choice.type)}' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'`;
    }
    forced = choice.type === 'any' || choice.type === 'tool';
    const defined = Array.isArray(tools) ? tools : [];
    if (forced && defined.length === 0)
      return 'tool_choice: tool_choice may only be specified while providing tools.';
    if (choice.type === 'tool') {
      if (typeof choice.name !== 'string') return 'tool_choice.tool.name: Field required';
      if (!defined.some((t) => isRecord(t) && t.name === choice.name)) {
        return `tool_choice.name: Tool '${choice.name}' not found in the provided tools`;
      }
    }
  }
  if (thinking !== undefined) {
    if (!isRecord(thinking)) return 'thinking: Input should be a valid dictionary';
    if (thinking.type === 'enabled') {
      const budget = thinking.budget_tokens;
      if (budget === undefined) return 'thinking.enabled.budget_tokens: Field required';
      if (typeof budget !== 'number' || !Number.isInteger(budget))
        return 'thinking.enabled.budget_tokens: Input should be a valid integer';
      if (budget < 1024)
        return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
      if (typeof maxTokens === 'number' && budget >= maxTokens)
        return '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size';
    } else if (thinking.type !== 'adaptive' && thinking.type !== 'disabled') {
      return `thinking: Input tag '${String(thinking.type)}' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'`;
    }
    if (forced && thinking.type !== 'disabled')
      return 'Thinking may not be enabled when tool_choice forces tool use.';
  }
  return undefined;
}

/**
 * The rest of the Messages request shape (unknown keys, content blocks and their fields, tools,
 * tool_choice, thinking…), checked with the same schema the CLI validates with: a request that
 * got past a client that does not validate (curl, another SDK) comes back errored, as the API
 * reports per-request problems. Undefined when it passes.
 */
export function checkShape(customId: string, params: Record<string, unknown>): string | undefined {
  const [first] = checkRequest({ custom_id: customId, params });
  if (!first) return undefined;
  return `${first.field.replace(/^params\./, '')}: ${first.message}`;
}
