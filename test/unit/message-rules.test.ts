import { describe, expect, it } from 'vitest';
import { TOOL_SYSTEM_TOKENS, toolTokens } from '../../src/core/cost/tokens.js';
import { checkRequest } from '../../src/core/requests/schema.js';

const check = (messages: unknown[], extra: Record<string, unknown> = {}) =>
  checkRequest({
    custom_id: 'r',
    params: { model: 'claude-haiku-4-5', max_tokens: 4096, messages, ...extra },
  });

const use = (id: string) => ({ type: 'tool_use', id, name: 'lookup', input: {} });
const result = (id: string) => ({ type: 'tool_result', tool_use_id: id, content: 'ok' });

describe('the conversation rules the API enforces', () => {
  it('allows what the API allows: an assistant first, repeated roles, a prefill, a full tool round', () => {
    expect(
      check([
        { role: 'assistant', content: 'Hi.' },
        { role: 'user', content: 'Hello' },
      ]),
    ).toEqual([]);
    expect(
      check([
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ]),
    ).toEqual([]);
    expect(
      check([
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'The answer is (' },
      ]),
    ).toEqual([]);
    expect(
      check([
        { role: 'user', content: 'a' },
        { role: 'assistant', content: '' },
      ]),
    ).toEqual([]);
    expect(
      check([
        { role: 'user', content: 'a' },
        { role: 'assistant', content: [{ type: 'text', text: 'Looking.' }, use('t1'), use('t2')] },
        { role: 'user', content: [result('t2'), result('t1'), { type: 'text', text: 'and?' }] },
      ]),
    ).toEqual([]);
  });

  it('empty or blank content, and white space at the end of a prefill', () => {
    expect(check([{ role: 'user', content: '' }])).toEqual([
      {
        field: 'params.messages.0.content',
        message: 'must not be empty (only a final assistant message may be)',
      },
    ]);
    expect(check([{ role: 'user', content: [] }])[0]?.field).toBe('params.messages.0.content');
    expect(check([{ role: 'user', content: '  ' }])[0]?.message).toBe('must contain non-white-space text');
    expect(check([{ role: 'user', content: [{ type: 'text', text: ' ' }] }])[0]?.field).toBe(
      'params.messages.0.content.0.text',
    );
    expect(
      check([
        { role: 'user', content: 'a' },
        { role: 'assistant', content: [{ type: 'text', text: 'So ' }] },
      ]),
    ).toEqual([
      {
        field: 'params.messages.1.content.0.text',
        message: 'a final assistant message cannot end with white space',
      },
    ]);
  });

  it('a tool_result answers a tool_use of the message just before, first in its message', () => {
    expect(check([{ role: 'user', content: [result('t1')] }])[0]?.field).toBe(
      'params.messages.0.content.0.tool_use_id',
    );
    const wrongId = check([
      { role: 'user', content: 'a' },
      { role: 'assistant', content: [use('t1')] },
      { role: 'user', content: [result('t1'), result('t9')] },
    ]);
    expect(wrongId).toHaveLength(1);
    expect(wrongId[0]?.field).toBe('params.messages.2.content.1.tool_use_id');
    expect(wrongId[0]?.message).toContain('its tool_use ids: t1');
    expect(
      check([
        { role: 'user', content: 'a' },
        { role: 'assistant', content: [use('t1')] },
        { role: 'user', content: [{ type: 'text', text: 'here' }, result('t1')] },
      ]),
    ).toEqual([
      {
        field: 'params.messages.2.content.1',
        message: 'tool_result blocks must come first in their message, before any text or other block',
      },
    ]);
  });

  it('every tool_use before the last message is answered in the next one', () => {
    expect(
      check([
        { role: 'user', content: 'a' },
        { role: 'assistant', content: [use('t1'), use('t2')] },
        { role: 'user', content: [result('t1')] },
      ]),
    ).toEqual([
      {
        field: 'params.messages.2',
        message: 'must answer every tool_use of the message before with a tool_result; missing: t2',
      },
    ]);
  });

  it('thinking: no prefill (a final assistant message must start with thinking), no forced tool', () => {
    const thinking = { thinking: { type: 'enabled', budget_tokens: 1024 } };
    expect(
      check(
        [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'Sure' },
        ],
        thinking,
      )[0]?.field,
    ).toBe('params.messages.1');
    expect(
      check(
        [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: 's' }, use('t1')] },
        ],
        thinking,
      ),
    ).toEqual([]);
    const forced = check([{ role: 'user', content: 'a' }], {
      ...thinking,
      tools: [{ name: 'lookup', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any' },
    });
    expect(forced.map((i) => i.field)).toEqual(['params.tool_choice.type']);
  });

  it('a request carrying betas is told to use --beta', () => {
    const issues = checkRequest({
      custom_id: 'r',
      params: { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }], betas: ['x'] },
    });
    expect(issues[0]?.field).toBe('params.betas');
    expect(issues[0]?.message).toContain('pass --beta NAME to submit or run');
  });
});

describe('toolTokens', () => {
  const tools = [{ name: 'lookup', input_schema: { type: 'object' } }];
  const chars = JSON.stringify(tools).length;
  it('the definitions (characters ÷ 4) plus the tool-use system prompt, by tool_choice', () => {
    expect(toolTokens({})).toBe(0);
    expect(toolTokens({ tools: [] })).toBe(0);
    expect(toolTokens({ tools })).toBe(Math.ceil(chars / 4) + TOOL_SYSTEM_TOKENS.auto);
    expect(toolTokens({ tools, tool_choice: { type: 'none' } })).toBe(Math.ceil(chars / 4) + 346);
    expect(toolTokens({ tools, tool_choice: { type: 'any' } })).toBe(Math.ceil(chars / 4) + 313);
    expect(toolTokens({ tools, tool_choice: { type: 'tool', name: 'lookup' } })).toBe(
      Math.ceil(chars / 4) + 313,
    );
  });
});

describe('consecutive assistant messages are one turn', () => {
  it('the user message after the turn answers every tool_use in it', () => {
    const turn = [
      { role: 'user', content: 'a' },
      { role: 'assistant', content: [use('t1')] },
      { role: 'assistant', content: [use('t2')] },
    ];
    expect(check([...turn, { role: 'user', content: [result('t1'), result('t2')] }])).toEqual([]);
    expect(check([...turn, { role: 'user', content: [result('t2')] }])).toEqual([
      {
        field: 'params.messages.3',
        message: 'must answer every tool_use of the message before with a tool_result; missing: t1',
      },
    ]);
  });
});
