import Anthropic from '@anthropic-ai/sdk';
import type { MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { request } from '../helpers/files.js';

// The request features the emulator understands (stop sequences, forced tools, thinking), through
// the official SDK over HTTP. The clock stands still: a batch ends when the test ends it.
const ctx = useEmulator({ processingTimeMs: 150, stoppedClock: true });

async function run(requests: unknown[]): Promise<Map<string, MessageBatchIndividualResponse['result']>> {
  const client = new Anthropic({ apiKey: 'k', baseURL: ctx.emulator.url, maxRetries: 0 });
  const batch = await client.messages.batches.create({ requests: requests as never });
  ctx.endBatches();
  const out = new Map<string, MessageBatchIndividualResponse['result']>();
  for await (const line of await client.messages.batches.results(batch.id))
    out.set(line.custom_id, line.result);
  return out;
}

function message(result: MessageBatchIndividualResponse['result'] | undefined) {
  if (result?.type !== 'succeeded') throw new Error(`not succeeded: ${JSON.stringify(result)}`);
  return result.message;
}

function error(result: MessageBatchIndividualResponse['result'] | undefined) {
  if (result?.type !== 'errored') throw new Error(`not errored: ${JSON.stringify(result)}`);
  return result.error.error;
}

const weather = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: {
    type: 'object',
    required: ['city', 'unit'],
    properties: {
      city: { type: 'string', minLength: 2 },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      days: { type: 'integer', minimum: 1, maximum: 7 },
    },
  },
};
const review = {
  name: 'record_review',
  input_schema: {
    type: 'object',
    properties: { stars: { type: 'integer', minimum: 1, maximum: 5 }, kind: { const: 'review' } },
  },
};

describe('emulator: stop_sequences', () => {
  it('stops at the first stop sequence the answer would contain (the last user text echoed from it)', async () => {
    const results = await run([
      request('stop', 'Count: one two STOP three ### four', { stop_sequences: ['###', 'STOP'] }),
      request('later', 'Write until END is reached', { stop_sequences: ['END'] }),
      request('none', 'Nothing to stop here', { stop_sequences: ['ZZZ'] }),
      request('plain', 'Nothing to stop here'),
    ]);
    const stop = message(results.get('stop'));
    expect(stop.stop_reason).toBe('stop_sequence');
    expect(stop.stop_sequence).toBe('STOP');
    const text = (stop.content[0] as { text: string }).text;
    expect(text).toMatch(/^Emulated answer [0-9a-f]{8} to: "Count: one two $/);
    expect(text).not.toContain('STOP');
    expect(stop.usage.output_tokens).toBe(Math.ceil(text.length / 4));

    const later = message(results.get('later'));
    expect(later).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'END' });
    expect((later.content[0] as { text: string }).text).toMatch(
      /^Emulated answer [0-9a-f]{8} to: "Write until $/,
    );

    // No sequence in the answer: the same answer as without stop_sequences.
    const none = message(results.get('none'));
    const plain = message(results.get('plain'));
    expect(none).toMatchObject({ stop_reason: 'end_turn', stop_sequence: null });
    expect(none.content).toEqual(plain.content);
  });

  it('echoes the last user text past a sequence that is not in the answer’s excerpt', async () => {
    const long = `Please answer: MARK then ${'much more text '.repeat(20)}`;
    const results = await run([request('echo', long, { stop_sequences: ['MARK'] })]);
    const m = message(results.get('echo'));
    expect(m).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'MARK' });
    expect((m.content[0] as { text: string }).text).toMatch(/ Echo: $/);
  });

  it('max_tokens wins when it comes before the stop sequence', async () => {
    const prompt = `${'x'.repeat(50)} HALT`;
    const results = await run([request('short', prompt, { max_tokens: 5, stop_sequences: ['HALT'] })]);
    const m = message(results.get('short'));
    expect(m).toMatchObject({ stop_reason: 'max_tokens', stop_sequence: null });
    expect((m.content[0] as { text: string }).text).toHaveLength(20);
  });
});

describe('emulator: forced tool_choice', () => {
  it('answers with one tool_use block whose input fits the tool’s schema', async () => {
    const results = await run([
      request('tool', 'Weather in Paris?', {
        tools: [review, weather],
        tool_choice: { type: 'tool', name: 'get_weather' },
      }),
      request('any', 'Rate it', { tools: [review, weather], tool_choice: { type: 'any' } }),
      request('auto', 'Rate it', { tools: [review, weather], tool_choice: { type: 'auto' } }),
    ]);
    const m = message(results.get('tool'));
    expect(m.stop_reason).toBe('tool_use');
    expect(m.stop_sequence).toBeNull();
    expect(m.content).toHaveLength(1);
    const block = m.content[0];
    if (block?.type !== 'tool_use') throw new Error('not tool_use');
    expect(block.id).toMatch(/^toolu_01[0-9A-Za-z_-]{22}$/);
    expect(block.name).toBe('get_weather');
    const input = block.input as { city: string; unit: string; days: number };
    expect(input.city.length).toBeGreaterThanOrEqual(2);
    expect(['celsius', 'fahrenheit']).toContain(input.unit);
    expect(Number.isInteger(input.days) && input.days >= 1 && input.days <= 7).toBe(true);
    expect(m.usage.output_tokens).toBe(Math.ceil(('get_weather'.length + JSON.stringify(input).length) / 4));

    // `any`: the first tool.
    const any = message(results.get('any'));
    expect(any.stop_reason).toBe('tool_use');
    expect(any.content).toEqual([
      {
        type: 'tool_use',
        id: expect.stringMatching(/^toolu_01[0-9A-Za-z]{22}$/),
        caller: { type: 'direct' },
        name: 'record_review',
        input: expect.any(Object),
      },
    ]);
    const rated = (any.content[0] as { input: { stars: number; kind: string } }).input;
    expect(rated.kind).toBe('review');
    expect(rated.stars).toBeGreaterThanOrEqual(1);
    expect(rated.stars).toBeLessThanOrEqual(5);

    // `auto` is not forced: the usual text answer.
    expect(message(results.get('auto'))).toMatchObject({
      stop_reason: 'end_turn',
      content: [{ type: 'text' }],
    });
  });

  it('is deterministic: the same request gets the same input, and the id depends on the batch', async () => {
    const params = { tools: [weather], tool_choice: { type: 'tool', name: 'get_weather' } };
    const a = message((await run([request('t', 'Weather in Oslo?', params)])).get('t'));
    const b = message((await run([request('t', 'Weather in Oslo?', params)])).get('t'));
    const blockA = a.content[0] as { id: string; input: unknown };
    const blockB = b.content[0] as { id: string; input: unknown };
    expect(blockA.input).toEqual(blockB.input);
    expect(blockA.id).not.toBe(blockB.id);
    // Another prompt, another seed: the generated city differs.
    const other = message((await run([request('t', 'Weather in Rome?', params)])).get('t'));
    const city = (block: unknown) => (block as { input: { city: string } }).input.city;
    expect(city(other.content[0])).not.toBe(city(blockA));
  });

  it('errors a request whose tool_choice names no defined tool, or forces a tool without tools', async () => {
    const results = await run([
      request('missing', 'x', { tools: [weather], tool_choice: { type: 'tool', name: 'get_time' } }),
      request('no-tools', 'x', { tool_choice: { type: 'any' } }),
      request('fine', 'x', { tools: [weather], tool_choice: { type: 'tool', name: 'get_weather' } }),
    ]);
    expect(error(results.get('missing'))).toEqual({
      type: 'invalid_request_error',
      message: "tool_choice.name: Tool 'get_time' not found in the provided tools",
    });
    expect(error(results.get('no-tools'))).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringContaining('tool_choice may only be specified while providing tools'),
    });
    expect(results.get('fine')?.type).toBe('succeeded');
  });
});

describe('emulator: extended thinking', () => {
  it('puts a thinking block with a signature before the answer, and counts it in output tokens', async () => {
    const results = await run([
      request('think', 'Why is the sky blue?', {
        max_tokens: 2048,
        thinking: { type: 'enabled', budget_tokens: 1024 },
      }),
      request('adaptive', 'Why is the sky blue?', { max_tokens: 2048, thinking: { type: 'adaptive' } }),
      request('plain', 'Why is the sky blue?', { max_tokens: 2048 }),
    ]);
    const m = message(results.get('think'));
    const plain = message(results.get('plain'));
    expect(m.content).toHaveLength(2);
    const [thinking, text] = m.content;
    if (thinking?.type !== 'thinking' || text?.type !== 'text') throw new Error('wrong blocks');
    expect(thinking.thinking).toMatch(/^Emulated thinking [0-9a-f]{8}: /);
    expect(thinking.signature).toMatch(/^EmuSig[0-9A-Za-z_-]{22}$/);
    expect(text).toEqual(plain.content[0]);
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage.output_tokens).toBe(Math.ceil((thinking.thinking.length + text.text.length) / 4));
    expect(m.usage.output_tokens).toBeGreaterThan(plain.usage.output_tokens);
    expect(message(results.get('adaptive')).content.map((b) => b.type)).toEqual(['thinking', 'text']);
  });

  it('errors a budget below 1,024 or not below max_tokens, and thinking with a forced tool', async () => {
    const results = await run([
      request('small', 'x', { max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 1000 } }),
      request('big', 'x', { max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 2000 } }),
      request('tool', 'x', {
        max_tokens: 4096,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [weather],
        tool_choice: { type: 'any' },
      }),
    ]);
    expect(error(results.get('small'))).toEqual({
      type: 'invalid_request_error',
      message: 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024',
    });
    expect(error(results.get('big'))).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringMatching(/^`max_tokens` must be greater than `thinking.budget_tokens`/),
    });
    expect(error(results.get('tool'))).toMatchObject({
      type: 'invalid_request_error',
      message: 'Thinking may not be enabled when tool_choice forces tool use.',
    });
  });
});
