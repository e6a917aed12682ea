import { documentBlockTokens, imageBlockTokens } from './images.js';

/** Rough token arithmetic shared by estimates and the emulator: about four characters a token. */

/** Characters per token assumed when no exact count is available. */
export const CHARS_PER_TOKEN = 4;

/** Tokens a text of this many characters is estimated to take (at least 1 for non-empty text). */
export function estimateTokens(characters: number): number {
  return characters <= 0 ? 0 : Math.max(1, Math.ceil(characters / CHARS_PER_TOKEN));
}

function textOfContent(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  for (const block of content) {
    if (block && typeof block === 'object') {
      const b = block as Record<string, unknown>;
      if (typeof b.text === 'string') out.push(b.text);
      else if (b.type === 'tool_result') out.push(...textOfContent(b.content));
    }
  }
  return out;
}

/** Every piece of prompt text in a request's params: the system prompt and each message's text. */
export function promptTexts(params: { messages?: unknown; system?: unknown }): string[] {
  const out = textOfContent(params.system);
  if (Array.isArray(params.messages)) {
    for (const m of params.messages) {
      if (m && typeof m === 'object') out.push(...textOfContent((m as Record<string, unknown>).content));
    }
  }
  return out;
}

/** Total characters of prompt text in a request's params. */
export function promptCharacters(params: { messages?: unknown; system?: unknown }): number {
  let n = 0;
  for (const t of promptTexts(params)) n += t.length;
  return n;
}

/**
 * The tokens of the system prompt the API adds when a request has tools, by tool_choice (the
 * docs' figures for current models): `auto` (the default) and `none` 346, `any` and a named tool 313.
 */
export const TOOL_SYSTEM_TOKENS = { auto: 346, forced: 313 } as const;

/**
 * Estimated tokens of a request's tools: their definitions (the JSON's characters ÷ 4) plus the
 * tool-use system prompt ({@link TOOL_SYSTEM_TOKENS}); 0 without tools.
 */
export function toolTokens(params: { tools?: unknown; tool_choice?: unknown }): number {
  const tools = params.tools;
  if (!Array.isArray(tools) || tools.length === 0) return 0;
  const choice = (params.tool_choice as { type?: unknown } | null | undefined)?.type;
  const overhead =
    choice === 'any' || choice === 'tool' ? TOOL_SYSTEM_TOKENS.forced : TOOL_SYSTEM_TOKENS.auto;
  return estimateTokens(JSON.stringify(tools).length) + overhead;
}

/**
 * The estimated input tokens of one request: its prompt characters ÷ 4, rounded up, plus its
 * images (width × height / 750 each, or 1,600 when the size is unknown), documents and tools
 * ({@link toolTokens}). The one estimator of `build`'s summary, `estimate`, `submit --dry-run`
 * and the context-window check: totals are sums of this, request by request.
 */
export function requestTokens(params: {
  messages?: unknown;
  system?: unknown;
  tools?: unknown;
  tool_choice?: unknown;
}): number {
  return estimateTokens(promptCharacters(params)) + mediaTokens(params) + toolTokens(params);
}

/** Estimated tokens of the images and documents in a request's messages (see `imageBlockTokens`, `documentBlockTokens`). */
export function mediaTokens(params: { messages?: unknown }): number {
  if (!Array.isArray(params.messages)) return 0;
  let n = 0;
  for (const m of params.messages) {
    const content = (m as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) continue;
    for (const block of content) {
      const b = block as { type?: unknown; source?: unknown } | null;
      if (b?.type === 'image') n += imageBlockTokens(b.source);
      else if (b?.type === 'document') n += documentBlockTokens(b.source);
    }
  }
  return n;
}
