import { describe, expect, it } from 'vitest';
import { convertOpenAiLine, type OpenAiOptions } from '../../src/core/builder/openai.js';
import { checkRequest } from '../../src/core/requests/schema.js';

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const OPTIONS: OpenAiOptions = { model: 'claude-haiku-4-5', maxTokens: 1024 };

/** One OpenAI batch line with this body (and the usual model and a user message unless given). */
const line = (body: Record<string, unknown>) => ({
  custom_id: 'r1',
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], ...body },
});

/** The params of a line that converts without a problem (and passes the request schema). */
function params(body: Record<string, unknown>, options: OpenAiOptions = OPTIONS) {
  const converted = convertOpenAiLine(line(body), options);
  expect(converted.problems).toEqual([]);
  expect(converted.customId).toBe('r1');
  expect(checkRequest({ custom_id: 'r1', params: converted.params })).toEqual([]);
  return converted.params as Record<string, unknown>;
}

const problems = (value: unknown, options: OpenAiOptions = OPTIONS) =>
  convertOpenAiLine(value, options).problems;

describe('convertOpenAiLine: each mapping', () => {
  it('a plain line: --model and the default max_tokens, the user message as it is', () => {
    expect(params({})).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'Hi' }],
    });
  });

  it('system and developer messages become system (one string, or text blocks for several)', () => {
    expect(
      params({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      }).system,
    ).toBe('Be brief.');
    const two = params({
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 'Rule one.' }] },
        { role: 'system', content: 'Rule two.' },
        { role: 'user', content: 'Hi' },
      ],
    });
    expect(two.system).toEqual([
      { type: 'text', text: 'Rule one.' },
      { type: 'text', text: 'Rule two.' },
    ]);
    expect(two.messages).toEqual([{ role: 'user', content: 'Hi' }]);
  });

  it('image_url parts: a data: URL → a base64 image block with its media type; https → a url source', () => {
    const p = params({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare:' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'auto' } },
          ],
        },
      ],
    });
    expect(p.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare:' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
  });

  it('an image of a type Claude does not take, or a data: URL not in base64, is a problem', () => {
    expect(
      problems(
        line({
          messages: [
            {
              role: 'user',
              content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,AAAA' } }],
            },
          ],
        }),
      ),
    ).toEqual([
      {
        field: 'body.messages[0].content[0].image_url.url',
        message: 'image type "image/bmp": Claude takes image/jpeg, image/png, image/gif, image/webp',
      },
    ]);
    expect(
      problems(
        line({
          messages: [
            { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,xyz' } }] },
          ],
        }),
      )[0]?.message,
    ).toBe('a data: URL must be base64 (data:image/png;base64,…)');
  });

  it('max_completion_tokens, else max_tokens, else the default', () => {
    expect(params({ max_tokens: 50 }).max_tokens).toBe(50);
    expect(params({ max_completion_tokens: 70, max_tokens: 50 }).max_tokens).toBe(70);
    expect(params({}, { ...OPTIONS, maxTokens: 9 }).max_tokens).toBe(9);
    expect(problems(line({ max_tokens: 0 }))).toEqual([
      { field: 'body.max_tokens', message: 'must be a whole number of at least 1, got 0' },
    ]);
  });

  it('stop → stop_sequences (a string or an array)', () => {
    expect(params({ stop: 'END' }).stop_sequences).toEqual(['END']);
    expect(params({ stop: ['a', 'b'] }).stop_sequences).toEqual(['a', 'b']);
  });

  it('tools and tool_choice in OpenAI shape → Claude shape', () => {
    const fn = {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Weather',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
        strict: true,
      },
    };
    const tool = {
      name: 'get_weather',
      description: 'Weather',
      input_schema: { type: 'object', properties: { city: { type: 'string' } } },
      strict: true,
    };
    expect(params({ tools: [fn] }).tools).toEqual([tool]);
    expect(params({ tools: [fn], tool_choice: 'auto' }).tool_choice).toEqual({ type: 'auto' });
    expect(params({ tools: [fn], tool_choice: 'required' }).tool_choice).toEqual({ type: 'any' });
    expect(params({ tools: [fn], tool_choice: 'none' }).tool_choice).toEqual({ type: 'none' });
    expect(
      params({ tools: [fn], tool_choice: { type: 'function', function: { name: 'get_weather' } } })
        .tool_choice,
    ).toEqual({ type: 'tool', name: 'get_weather' });
    expect(params({ tools: [fn], parallel_tool_calls: false }).tool_choice).toEqual({
      type: 'auto',
      disable_parallel_tool_use: true,
    });
    // A function without parameters takes no input.
    expect(params({ tools: [{ type: 'function', function: { name: 'now' } }] }).tools).toEqual([
      { name: 'now', input_schema: { type: 'object', properties: {} } },
    ]);
    expect(problems(line({ tool_choice: 'required' }))).toEqual([
      { field: 'body.tool_choice', message: 'asks for a tool but the request has no tools' },
    ]);
  });

  it('assistant tool_calls → tool_use blocks; tool messages → tool_result blocks in one user turn', () => {
    const p = params({
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'w', arguments: '{"city":"Paris"}' } },
            { id: 'c2', type: 'function', function: { name: 'w', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'rain' }] },
        { role: 'user', content: 'Thanks; summarise.' },
      ],
    });
    expect(p.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'c1', name: 'w', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'c2', name: 'w', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'c1', content: 'sunny' },
          { type: 'tool_result', tool_use_id: 'c2', content: 'rain' },
          { type: 'text', text: 'Thanks; summarise.' },
        ],
      },
    ]);
  });

  it('consecutive messages of one role are merged', () => {
    expect(
      params({
        messages: [
          { role: 'user', content: 'One.' },
          { role: 'user', content: 'Two.' },
        ],
      }).messages,
    ).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'One.' },
          { type: 'text', text: 'Two.' },
        ],
      },
    ]);
  });

  it('user → metadata.user_id; neutral values (n: 1, logprobs: false, penalties 0, text format) pass', () => {
    const p = params({
      user: 'u-7',
      n: 1,
      logprobs: false,
      presence_penalty: 0,
      frequency_penalty: 0,
      response_format: { type: 'text' },
      stream: false,
    });
    expect(p.metadata).toEqual({ user_id: 'u-7' });
    expect(Object.keys(p)).toEqual(['model', 'max_tokens', 'messages', 'metadata']);
  });

  it("--model-map picks the model by the line's model; --model covers the others; a gap is a problem", () => {
    const modelMap = { 'gpt-4o': 'claude-sonnet-4-6' };
    expect(params({}, { modelMap, maxTokens: 10 }).model).toBe('claude-sonnet-4-6');
    expect(
      params({ model: 'gpt-4o-mini' }, { modelMap, model: 'claude-haiku-4-5', maxTokens: 10 }).model,
    ).toBe('claude-haiku-4-5');
    expect(problems(line({ model: 'gpt-4o-mini' }), { modelMap, maxTokens: 10 })).toEqual([
      { field: 'body.model', message: '"gpt-4o-mini" is not in --model-map (add it, or pass --model)' },
    ]);
  });
});

describe('convertOpenAiLine: what has no Claude equivalent', () => {
  it('one problem per unsupported option, temperature and top_p included (the API version refuses them)', () => {
    const found = problems(
      line({
        n: 2,
        logprobs: true,
        top_logprobs: 3,
        presence_penalty: 0.5,
        seed: 7,
        temperature: 0.2,
        top_p: 0.9,
      }),
    );
    expect(found.map((p) => p.field)).toEqual([
      'body.n',
      'body.logprobs',
      'body.top_logprobs',
      'body.presence_penalty',
      'body.seed',
      'body.temperature',
      'body.top_p',
    ]);
    expect(found[0]?.message).toBe(
      'n > 1 has no Claude equivalent (one response per request) (or pass --drop-unsupported)',
    );
    expect(found[5]?.message).toContain('API version 2026-10-21');
    expect(found.every((p) => p.message.endsWith('(or pass --drop-unsupported)'))).toBe(true);
  });

  it('--drop-unsupported drops them and says which, by key', () => {
    const converted = convertOpenAiLine(
      line({ response_format: { type: 'json_object' }, frequency_penalty: 1, temperature: 0 }),
      { ...OPTIONS, dropUnsupported: true },
    );
    expect(converted.problems).toEqual([]);
    expect(converted.dropped).toEqual(['body.response_format', 'body.frequency_penalty', 'body.temperature']);
    expect(Object.keys(converted.params ?? {})).toEqual(['model', 'max_tokens', 'messages']);
  });

  it('another url or method, a missing custom_id, a stream, a function message: problems', () => {
    expect(problems({ ...line({}), url: '/v1/embeddings', method: 'GET', custom_id: undefined })).toEqual([
      { field: 'custom_id', message: 'is required' },
      { field: 'method', message: 'must be "POST", got "GET"' },
      {
        field: 'url',
        message:
          'must be "/v1/chat/completions", got "/v1/embeddings": only chat completions have a Claude equivalent',
      },
    ]);
    expect(problems(line({ stream: true }))).toEqual([
      { field: 'body.stream', message: 'must not be true: batch requests never stream' },
    ]);
    expect(
      problems(line({ messages: [{ role: 'function', name: 'f', content: 'x' }] })).map((p) => p.field),
    ).toEqual(['body.messages[0].name', 'body.messages[0].role']);
    expect(problems('text')).toEqual([
      { field: 'line', message: 'must be a JSON object {"custom_id", "method", "url", "body"}' },
    ]);
  });

  it('tool_calls outside an assistant message, tool_call_id outside a tool message: problems', () => {
    expect(
      problems(line({ messages: [{ role: 'user', content: 'x', tool_calls: [], tool_call_id: 'c' }] })),
    ).toEqual([
      { field: 'body.messages[0].tool_calls', message: 'a "user" message has no tool_calls' },
      { field: 'body.messages[0].tool_call_id', message: 'a "user" message has no tool_call_id' },
    ]);
  });

  it('tool call arguments that are not JSON are a problem on their path', () => {
    expect(
      problems(
        line({
          messages: [
            { role: 'user', content: 'x' },
            {
              role: 'assistant',
              tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{bad' } }],
            },
          ],
        }),
      )[0]?.field,
    ).toBe('body.messages[1].tool_calls[0].function.arguments');
  });
});
