import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { type Emulator, startEmulator } from '../../src/emulator/server.js';
import {
  BetaMessage,
  BetaModelInfo,
  BetaTokensCount,
  DeletedBatch,
  ErrorBody,
  MessageBatch,
  ModelInfo,
  pageOf,
  resultLineOf,
  TokensCount,
} from '../helpers/api-shapes.js';
import { useEmulator } from '../helpers/emulator.js';

// The contract: every endpoint, driven through the official TypeScript SDK, answers JSON that
// parses with the strict shapes the project keeps from the SDK's types (test/helpers/api-shapes.ts),
// in the plain and the beta shapes. A field added, missing or of the wrong type fails it.
const ctx = useEmulator({
  processingTimeMs: 1000,
  maxBodyBytes: 100_000,
  minCacheTokens: 0,
  stoppedClock: true,
});
const BETA = { betas: ['message-batches-2024-09-24'] as Anthropic.Beta.AnthropicBeta[] };
const sdk = (options: Partial<ConstructorParameters<typeof Anthropic>[0]> = {}, url = ctx.emulator.url) =>
  new Anthropic({ apiKey: 'k', baseURL: url, maxRetries: 0, ...options });

/** Parses `value` with `schema` strictly; on a mismatch, fails with zod's issues. */
function conforms<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new Error(
      `${what} does not match the API's shape:\n${JSON.stringify(parsed.error.issues, null, 2)}`,
    );
  }
  return parsed.data;
}

/** The body of the error an SDK call throws, checked against the API's error shape. */
async function errorBody(
  call: Promise<unknown>,
  status: number,
  what: string,
): Promise<z.infer<typeof ErrorBody>> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, what).toBeInstanceOf(APIError);
  expect((error as APIError).status, what).toBe(status);
  return conforms(ErrorBody, (error as APIError).error, what);
}

const params = (prompt: string, extra: Record<string, unknown> = {}) => ({
  model: 'claude-haiku-4-5',
  max_tokens: 200,
  messages: [{ role: 'user' as const, content: prompt }],
  ...extra,
});

/** Requests that give every kind of answer: text, a stop sequence, a tool call, thinking, a cache write, errors, an expiry. */
const REQUESTS = [
  { custom_id: 'text', params: params('Hello') },
  { custom_id: 'stop', params: params('Say STOP now', { stop_sequences: ['STOP'] }) },
  {
    custom_id: 'tool',
    params: params('Use the tool', {
      tools: [
        {
          name: 'get',
          description: 'd',
          input_schema: { type: 'object', properties: { q: { type: 'string' } } },
        },
      ],
      tool_choice: { type: 'tool', name: 'get' },
    }),
  },
  {
    custom_id: 'think',
    params: params('Think', { max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 } }),
  },
  {
    custom_id: 'cache',
    params: {
      ...params('Cached'),
      system: [
        { type: 'text', text: 'A long system prompt. '.repeat(20), cache_control: { type: 'ephemeral' } },
      ],
    },
  },
  { custom_id: 'error', params: params('EMULATE_ERROR=overloaded_error') },
  { custom_id: 'model', params: { ...params('x'), model: 'claude-hiaku-4-5' } },
  { custom_id: 'expire', params: params('EMULATE_EXPIRE') },
];

describe('the emulator keeps the API contract, through the official SDK', () => {
  it('plain: batches (create, retrieve, list, results of every type, cancel, delete), count_tokens, models', async () => {
    const client = sdk();
    const created = conforms(
      MessageBatch,
      await client.messages.batches.create({ requests: REQUESTS as never }),
      'create',
    );
    conforms(MessageBatch, await client.messages.batches.retrieve(created.id), 'retrieve');
    const listed = await client.messages.batches.list({ limit: 2 }).asResponse();
    conforms(pageOf(MessageBatch), await listed.json(), 'list');
    ctx.endBatches();
    const ended = conforms(
      MessageBatch,
      await client.messages.batches.retrieve(created.id),
      'retrieve (ended)',
    );
    expect(ended.results_url).not.toBeNull();
    const types = new Set<string>();
    for await (const line of await client.messages.batches.results(created.id)) {
      const parsed = conforms(resultLineOf(false), line, `result ${line.custom_id}`);
      types.add(parsed.result.type);
    }
    expect([...types].sort()).toEqual(['errored', 'expired', 'succeeded']);

    const canceling = await client.messages.batches.create({ requests: [REQUESTS[0]] as never });
    conforms(MessageBatch, await client.messages.batches.cancel(canceling.id), 'cancel');
    ctx.endBatches();
    for await (const line of await client.messages.batches.results(canceling.id)) {
      expect(conforms(resultLineOf(false), line, 'canceled result').result.type).toBe('canceled');
    }
    conforms(DeletedBatch, await client.messages.batches.delete(canceling.id), 'delete');

    conforms(
      TokensCount,
      await client.messages.countTokens({
        model: 'claude-haiku-4-5',
        messages: REQUESTS[0]?.params.messages ?? [],
      }),
      'count_tokens',
    );
    const models = await client.models.list({ limit: 3 }).asResponse();
    const page = conforms(pageOf(ModelInfo), await models.json(), 'models list');
    expect(page.data).toHaveLength(3);
    conforms(ModelInfo, await client.models.retrieve('claude-haiku-4-5'), 'models retrieve');
  });

  it('beta: the same through client.beta, in the beta shapes', async () => {
    const client = sdk();
    const beta = client.beta.messages.batches;
    const created = conforms(
      MessageBatch,
      await beta.create({ requests: REQUESTS as never, ...BETA }),
      'beta create',
    );
    conforms(MessageBatch, await beta.retrieve(created.id, BETA), 'beta retrieve');
    conforms(
      pageOf(MessageBatch),
      await (await beta.list({ limit: 2, ...BETA }).asResponse()).json(),
      'beta list',
    );
    ctx.endBatches();
    const types = new Set<string>();
    for await (const line of await beta.results(created.id, BETA)) {
      types.add(conforms(resultLineOf(true), line, `beta result ${line.custom_id}`).result.type);
    }
    expect([...types].sort()).toEqual(['errored', 'expired', 'succeeded']);
    const canceling = await beta.create({ requests: [REQUESTS[0]] as never, ...BETA });
    conforms(MessageBatch, await beta.cancel(canceling.id, BETA), 'beta cancel');
    ctx.endBatches();
    for await (const line of await beta.results(canceling.id, BETA)) {
      expect(conforms(resultLineOf(true), line, 'beta canceled result').result.type).toBe('canceled');
    }
    conforms(DeletedBatch, await beta.delete(canceling.id, BETA), 'beta delete');
    const counted = await client.beta.messages.countTokens({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'hi' }],
    });
    conforms(BetaTokensCount, counted, 'beta count_tokens');
    const models = await client.beta.models.list({ limit: 2, ...BETA }).asResponse();
    conforms(pageOf(BetaModelInfo), await models.json(), 'beta models list');
    conforms(
      BetaModelInfo,
      await client.beta.models.retrieve('claude-haiku-4-5', BETA),
      'beta models retrieve',
    );
    // The beta message shape is not the plain one: a plain answer read as beta would miss fields.
    expect(BetaMessage.safeParse({}).success).toBe(false);
  });

  it('every error comes in the API error shape', async () => {
    const client = sdk();
    await errorBody(client.messages.batches.retrieve('msgbatch_01missing'), 404, 'not found');
    await errorBody(client.models.retrieve('gpt-4o'), 404, 'unknown model');
    await errorBody(
      client.messages.batches.create({ requests: [{ custom_id: 'bad id!', params: params('x') }] as never }),
      400,
      'invalid create',
    );
    await errorBody(
      client.messages.batches.create({
        requests: [{ custom_id: 'big', params: params('x'.repeat(200_000)) }] as never,
      }),
      413,
      'too large',
    );
    await errorBody(
      sdk({ apiKey: '', authToken: null, defaultHeaders: { 'x-api-key': null } }).messages.batches.list(),
      401,
      'no key',
    );
    await errorBody(
      sdk({ defaultHeaders: { 'anthropic-version': '1999-01-01' } }).messages.batches.list(),
      400,
      'version',
    );
    await errorBody(
      client.beta.messages.batches.list({ betas: ['not-a-real-beta-2099-01-01'] }),
      400,
      'unknown beta',
    );
    await errorBody(client.get('/v1/messages/count_tokens'), 405, 'wrong method');
    await errorBody(client.get('/v1/nothing'), 404, 'unknown path');
    await errorBody(client.messages.batches.list({ limit: 0 }), 400, 'bad query');
    const bodyless = await client.messages.batches.create({
      requests: [{ custom_id: 'a', params: params('x') }] as never,
    });
    await errorBody(client.messages.batches.delete(bodyless.id), 400, 'delete while processing');
    await errorBody(
      client.messages.countTokens({ model: 'claude-haiku-4-5', messages: [], bogus: 1 } as never),
      400,
      'count_tokens key',
    );

    for (const [status, type] of [
      [429, 'rate_limit_error'],
      [529, 'overloaded_error'],
      [500, 'api_error'],
    ] as const) {
      const faulty: Emulator = await startEmulator({ faults: `${status}=1` });
      try {
        const body = await errorBody(sdk({}, faulty.url).messages.batches.list(), status, `fault ${status}`);
        expect(body.error.type).toBe(type);
      } finally {
        await faulty.close();
      }
    }
  });
});
