/**
 * The API's JSON shapes, written by the project from the SDK's types (`@anthropic-ai/sdk` 1.12:
 * resources/messages/batches.ts, messages.ts, models.ts, shared.ts and their beta twins), as strict
 * zod schemas: a field added, missing or of the wrong type fails a parse. The contract test
 * (test/unit/emulator-contract.test.ts) checks every answer of the emulator against them.
 * Objects whose inside the emulator never fills (server tool use, containers, diagnostics…) are
 * kept as "an object or null".
 */
import { z } from 'zod';

const int = z.number().int().nonnegative();
const timestamp = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
const someObject = z.record(z.string(), z.unknown());
const base62Id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}01[0-9A-Za-z]{22}$`));

/** The SDK's ErrorType, with `request_too_large` (413). */
export const ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'billing_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'timeout_error',
  'api_error',
  'overloaded_error',
  'conflict_error',
] as const;

const errorObject = z.strictObject({ type: z.enum(ERROR_TYPES), message: z.string().min(1) });

/** An HTTP error's body (ErrorResponse). */
export const ErrorBody = z.strictObject({
  type: z.literal('error'),
  error: errorObject,
  request_id: z.string().regex(/^req_/),
});

export const MessageBatch = z.strictObject({
  id: base62Id('msgbatch_'),
  type: z.literal('message_batch'),
  processing_status: z.enum(['in_progress', 'canceling', 'ended']),
  request_counts: z.strictObject({
    processing: int,
    succeeded: int,
    errored: int,
    canceled: int,
    expired: int,
  }),
  created_at: timestamp,
  expires_at: timestamp,
  ended_at: timestamp.nullable(),
  cancel_initiated_at: timestamp.nullable(),
  archived_at: timestamp.nullable(),
  results_url: z.string().url().nullable(),
});

/** A list page (`ListResponse`), of batches or models. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    data: z.array(item),
    has_more: z.boolean(),
    first_id: z.string().nullable(),
    last_id: z.string().nullable(),
  });

export const DeletedBatch = z.strictObject({
  id: base62Id('msgbatch_'),
  type: z.literal('message_batch_deleted'),
});

const textBlock = z.strictObject({
  type: z.literal('text'),
  text: z.string(),
  citations: z.array(someObject).nullable(),
});
const thinkingBlock = z.strictObject({
  type: z.literal('thinking'),
  thinking: z.string(),
  signature: z.string(),
});
const caller = z.strictObject({ type: z.literal('direct') });

function messageOf(beta: boolean) {
  const toolUse = z.strictObject({
    type: z.literal('tool_use'),
    id: base62Id('toolu_'),
    caller: beta ? caller.optional() : caller,
    name: z.string(),
    input: z.unknown(),
    toolset_name: z.string().nullable().optional(),
  });
  const usage = {
    cache_creation: z
      .strictObject({ ephemeral_1h_input_tokens: int, ephemeral_5m_input_tokens: int })
      .nullable(),
    cache_creation_input_tokens: int.nullable(),
    cache_read_input_tokens: int.nullable(),
    inference_geo: z.string().nullable(),
    input_tokens: int,
    output_tokens: int,
    output_tokens_details: z.strictObject({ thinking_tokens: int }).nullable(),
    server_tool_use: someObject.nullable(),
    service_tier: z.enum(['standard', 'priority', 'batch']).nullable(),
    speed: z.enum(['standard', 'fast']).nullable(),
  };
  const message = {
    id: base62Id('msg_'),
    type: z.literal('message'),
    role: z.literal('assistant'),
    model: z.string(),
    content: z.array(z.discriminatedUnion('type', [textBlock, thinkingBlock, toolUse])),
    stop_reason: z
      .enum([
        'end_turn',
        'max_tokens',
        'stop_sequence',
        'tool_use',
        'pause_turn',
        'refusal',
        'model_context_window_exceeded',
      ])
      .nullable(),
    stop_sequence: z.string().nullable(),
    stop_details: someObject.nullable(),
    container: someObject.nullable(),
    diagnostics: z.strictObject({ cache_miss_reason: someObject.nullable() }).nullable(),
  };
  if (!beta) return z.strictObject({ ...message, usage: z.strictObject(usage) });
  return z.strictObject({
    ...message,
    context_management: z.strictObject({ applied_edits: z.array(someObject) }).nullable(),
    usage: z.strictObject({
      ...usage,
      fallback_credit: z.strictObject({ status: someObject }).nullable(),
      iterations: z.array(someObject).nullable(),
    }),
  });
}

export const Message = messageOf(false);
export const BetaMessage = messageOf(true);

/** One line of a batch's results (MessageBatchIndividualResponse, or the beta one). */
export const resultLineOf = (beta: boolean) =>
  z.strictObject({
    custom_id: z.string(),
    result: z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('succeeded'), message: beta ? BetaMessage : Message }),
      z.strictObject({
        type: z.literal('errored'),
        error: z.strictObject({
          type: z.literal('error'),
          error: errorObject,
          request_id: z.string().nullable(),
        }),
      }),
      z.strictObject({ type: z.literal('canceled') }),
      z.strictObject({ type: z.literal('expired') }),
    ]),
  });

export const TokensCount = z.strictObject({ input_tokens: int });
export const BetaTokensCount = z.strictObject({
  context_management: z.strictObject({ original_input_tokens: int }).nullable(),
  input_tokens: int,
});

const modelInfo = {
  id: z.string(),
  type: z.literal('model'),
  display_name: z.string().min(1),
  created_at: timestamp,
  capabilities: someObject.nullable(),
  deprecated_at: timestamp.nullable(),
  lifecycle: z.enum(['active', 'deprecated', 'retired']),
  line: z.enum(['haiku', 'sonnet', 'opus', 'fable', 'mythos']).nullable(),
  max_input_tokens: int.nullable(),
  max_tokens: int.nullable(),
  retires_at: timestamp.nullable(),
};
export const ModelInfo = z.strictObject(modelInfo);
export const BetaModelInfo = z.strictObject({
  ...modelInfo,
  allowed_fallback_models: z.array(z.string()).nullable(),
});
