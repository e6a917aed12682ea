import { z } from 'zod';

/**
 * The request shape of the Messages API under the version this tool's SDK sends (2026-10-21),
 * written from the SDK's own types (`MessageCreateParamsBase`, `MessageParam`, `ContentBlockParam`
 * and its block params). Objects are strict: a key the SDK does not have is an error, as the API
 * refuses it ("Extra inputs are not permitted"). A type test pins these schemas to the SDK's types.
 */

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** `is required` when missing, otherwise `must be WHAT, got TYPE`. */
export const requiredOr = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : `must be ${what}, got ${typeName(issue.input)}`;

const str = () => z.string({ error: requiredOr('a string') });
const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (issue) =>
      issue.input === undefined
        ? 'is required'
        : `must be ${values.map((v) => JSON.stringify(v)).join(', ')}; got ${JSON.stringify(issue.input)}`,
  });
const lit = <T extends string>(value: T) => z.literal(value);
const obj = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.strictObject(shape, { error: requiredOr('an object') });
const byType = <T extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]]>(
  what: string,
  options: T,
) =>
  z.discriminatedUnion('type', options, {
    error: (issue) => {
      const input = issue.input as { type?: unknown } | undefined;
      if (input === undefined) return 'is required';
      if (input === null || typeof input !== 'object' || Array.isArray(input))
        return `must be ${what}, got ${typeName(input)}`;
      return input.type === undefined
        ? `must be ${what}: "type" is required`
        : `${JSON.stringify(input.type)} is not a type of ${what}`;
    },
  });

export const CacheControlSchema = obj({
  type: lit('ephemeral'),
  ttl: oneOf(['5m', '1h'] as const).optional(),
}).nullish();

const caller = byType('a caller', [
  obj({ type: lit('direct') }),
  obj({ type: lit('code_execution_20250825'), tool_id: str() }),
  obj({ type: lit('code_execution_20260120'), tool_id: str() }),
]).optional();

const int = () => z.number({ error: requiredOr('an integer') }).int();
const documentCitation = { cited_text: str(), document_index: int(), document_title: z.string().nullable() };
const citation = byType('a citation', [
  obj({ type: lit('char_location'), ...documentCitation, start_char_index: int(), end_char_index: int() }),
  obj({ type: lit('page_location'), ...documentCitation, start_page_number: int(), end_page_number: int() }),
  obj({
    type: lit('content_block_location'),
    ...documentCitation,
    start_block_index: int(),
    end_block_index: int(),
  }),
  obj({
    type: lit('web_search_result_location'),
    cited_text: str(),
    encrypted_index: str(),
    title: z.string().nullable(),
    url: str(),
  }),
  obj({
    type: lit('search_result_location'),
    cited_text: str(),
    search_result_index: int(),
    source: str(),
    title: z.string().nullable(),
    start_block_index: int(),
    end_block_index: int(),
  }),
]);

export const TextBlockSchema = obj({
  type: lit('text'),
  text: str(),
  cache_control: CacheControlSchema,
  citations: z.array(citation).nullish(),
});

const ImageSource = byType('an image source', [
  obj({
    type: lit('base64'),
    media_type: oneOf(['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const),
    data: str(),
  }),
  obj({ type: lit('url'), url: str() }),
  obj({ type: lit('file'), file_id: str() }),
]);

export const ImageBlockSchema = obj({
  type: lit('image'),
  source: ImageSource,
  cache_control: CacheControlSchema,
  transformations: obj({ oversized_image: oneOf(['downsize', 'error'] as const).optional() }).nullish(),
});

const DocumentSource = byType('a document source', [
  obj({ type: lit('base64'), media_type: lit('application/pdf'), data: str() }),
  obj({ type: lit('text'), media_type: lit('text/plain'), data: str() }),
  obj({
    type: lit('content'),
    content: z.union([str(), z.array(byType('a text or image block', [TextBlockSchema, ImageBlockSchema]))]),
  }),
  obj({ type: lit('url'), url: str() }),
  obj({ type: lit('file'), file_id: str() }),
]);

const citationsConfig = obj({ enabled: z.boolean().optional() });

export const DocumentBlockSchema = obj({
  type: lit('document'),
  source: DocumentSource,
  cache_control: CacheControlSchema,
  citations: citationsConfig.nullish(),
  context: z.string().nullish(),
  title: z.string().nullish(),
});

export const SearchResultBlockSchema = obj({
  type: lit('search_result'),
  content: z.array(TextBlockSchema, { error: requiredOr('an array of text blocks') }),
  source: str(),
  title: str(),
  cache_control: CacheControlSchema,
  citations: citationsConfig.optional(),
});

export const ThinkingBlockSchema = obj({ type: lit('thinking'), thinking: str(), signature: str() });
export const RedactedThinkingBlockSchema = obj({ type: lit('redacted_thinking'), data: str() });

export const ToolUseBlockSchema = obj({
  type: lit('tool_use'),
  id: str(),
  name: str(),
  input: z.unknown().refine((v) => v !== undefined, { error: 'is required' }),
  cache_control: CacheControlSchema,
  caller,
  toolset_name: z.string().nullish(),
});

const toolResultContent = byType('a tool result content block', [
  TextBlockSchema,
  ImageBlockSchema,
  SearchResultBlockSchema,
  DocumentBlockSchema,
  obj({ type: lit('tool_reference'), tool_name: str(), cache_control: CacheControlSchema }),
  obj({
    type: lit('browser_state'),
    tabs: z.array(z.record(z.string(), z.unknown()), { error: requiredOr('an array of tabs') }),
    state_changes: z.array(z.record(z.string(), z.unknown())).nullish(),
    cache_control: CacheControlSchema,
  }),
]);

export const ToolResultBlockSchema = obj({
  type: lit('tool_result'),
  tool_use_id: str(),
  content: z.union([z.string(), z.array(toolResultContent)]).optional(),
  is_error: z.boolean().optional(),
  cache_control: CacheControlSchema,
  toolset_name: z.string().nullish(),
});

export const SERVER_TOOL_NAMES = [
  'web_search',
  'web_fetch',
  'code_execution',
  'bash_code_execution',
  'text_editor_code_execution',
  'tool_search_tool_regex',
  'tool_search_tool_bm25',
] as const;

export const ServerToolUseBlockSchema = obj({
  type: lit('server_tool_use'),
  id: str(),
  name: oneOf(SERVER_TOOL_NAMES),
  input: z.unknown().refine((v) => v !== undefined, { error: 'is required' }),
  cache_control: CacheControlSchema,
  caller,
});

/** A server tool's result block: its content's inner shape is left to the API. */
const serverResult = <T extends string>(type: T, withCaller: boolean) =>
  obj({
    type: lit(type),
    tool_use_id: str(),
    content: z.unknown().refine((v) => v !== undefined, { error: 'is required' }),
    cache_control: CacheControlSchema,
    ...(withCaller ? { caller } : {}),
  });

export const ContainerUploadBlockSchema = obj({
  type: lit('container_upload'),
  file_id: str(),
  cache_control: CacheControlSchema,
});

export const ContentBlockSchema = byType('a content block', [
  TextBlockSchema,
  ImageBlockSchema,
  DocumentBlockSchema,
  SearchResultBlockSchema,
  ThinkingBlockSchema,
  RedactedThinkingBlockSchema,
  ToolUseBlockSchema,
  ToolResultBlockSchema,
  ServerToolUseBlockSchema,
  serverResult('web_search_tool_result', true),
  serverResult('web_fetch_tool_result', true),
  serverResult('code_execution_tool_result', false),
  serverResult('bash_code_execution_tool_result', false),
  serverResult('text_editor_code_execution_tool_result', false),
  serverResult('tool_search_tool_result', false),
  ContainerUploadBlockSchema,
]);

const contentError = (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : 'must be a string or an array of content blocks';

/**
 * One message: a user or assistant turn. The SDK also types a "system" turn (`SystemMessageParam`);
 * this tool keeps refusing it and points to params.system.
 */
export const MessageSchema = obj({
  role: z.enum(['user', 'assistant'], {
    error: (issue) => (issue.input === undefined ? 'is required' : 'must be "user" or "assistant"'),
  }),
  content: z.union([z.string(), z.array(ContentBlockSchema)], { error: contentError }),
});

/** A custom tool: a name and the JSON Schema of its input. */
export const CustomToolSchema = obj({
  type: z.literal('custom').nullish(),
  name: str().regex(/^[a-zA-Z0-9_-]{1,128}$/, { error: 'must be 1 to 128 letters, digits, "_" or "-"' }),
  input_schema: z.looseObject(
    {
      type: z.literal('object', { error: 'must be "object": a tool takes a JSON object' }),
      properties: z.record(z.string(), z.unknown()).nullish(),
      required: z.array(z.string()).nullish(),
    },
    { error: requiredOr('a JSON Schema object') },
  ),
  allowed_callers: z
    .array(
      oneOf([
        'direct',
        'code_execution_20250825',
        'code_execution_20260120',
        'code_execution_20260521',
      ] as const),
    )
    .optional(),
  cache_control: CacheControlSchema,
  defer_loading: z.boolean().optional(),
  description: z.string().optional(),
  eager_input_streaming: z.boolean().nullish(),
  input_examples: z.array(z.record(z.string(), z.unknown())).optional(),
  strict: z.boolean().optional(),
});

/** The types of the server tools the SDK lists (their options are left to the API). */
export const SERVER_TOOL_TYPES = [
  'bash_20250124',
  'code_execution_20250522',
  'code_execution_20250825',
  'code_execution_20260120',
  'code_execution_20260521',
  'browser_toolset_20260801',
  'memory_20250818',
  'computer_toolset_20260801',
  'text_editor_20250124',
  'text_editor_20250429',
  'text_editor_20250728',
  'web_search_20250305',
  'web_fetch_20250910',
  'web_search_20260209',
  'web_fetch_20260209',
  'web_fetch_20260309',
  'web_search_20260318',
  'web_fetch_20260318',
  'tool_search_tool_bm25_20251119',
  'tool_search_tool_bm25',
  'tool_search_tool_regex_20251119',
  'tool_search_tool_regex',
] as const;

export const ServerToolSchema = z.looseObject({
  type: z.enum(SERVER_TOOL_TYPES),
  name: z.string().optional(),
});

/** A tool: custom (no type, or "custom") or one of the server tools. */
export const ToolSchema = byType('a tool', [CustomToolSchema, ServerToolSchema]);

export const ToolChoiceSchema = byType('a tool_choice', [
  obj({ type: lit('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  obj({ type: lit('any'), disable_parallel_tool_use: z.boolean().optional() }),
  obj({ type: lit('tool'), name: str(), disable_parallel_tool_use: z.boolean().optional() }),
  obj({ type: lit('none') }),
]);

export const ThinkingSchema = byType('a thinking config', [
  obj({
    type: lit('enabled'),
    budget_tokens: z.number({ error: requiredOr('an integer') }).int(),
    display: oneOf(['summarized', 'omitted'] as const).nullish(),
  }),
  obj({ type: lit('disabled') }),
  obj({ type: lit('between_tools') }),
  obj({ type: lit('adaptive'), display: oneOf(['summarized', 'omitted'] as const).nullish() }),
]);

export const OutputConfigSchema = obj({
  effort: oneOf(['low', 'medium', 'high', 'xhigh', 'max'] as const).nullish(),
  format: obj({
    type: lit('json_schema'),
    schema: z.record(z.string(), z.unknown(), { error: requiredOr('a JSON Schema object') }),
  }).nullish(),
});
