import { describe, expect, it } from 'vitest';
import { compactLine, resultFacts } from '../../src/core/results/line.js';
import { SummaryBuilder } from '../../src/core/results/summary.js';

const succeeded = {
  custom_id: 'a',
  result: {
    type: 'succeeded',
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5',
      content: [
        { type: 'thinking', thinking: 'hmm' },
        { type: 'text', text: 'Hello, ' },
        { type: 'tool_use', id: 't', name: 'x', input: {} },
        { type: 'text', text: 'world' },
      ],
      stop_reason: 'end_turn',
      usage: {
        input_tokens: 10,
        output_tokens: 5,
        cache_read_input_tokens: 3,
        cache_creation_input_tokens: null,
      },
    },
  },
};
const errored = {
  custom_id: 'b',
  result: {
    type: 'errored',
    error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: null },
  },
};

describe('resultFacts', () => {
  it('joins every text block, whatever comes first, and reads the usage', () => {
    const f = resultFacts(succeeded);
    expect(f).toMatchObject({
      custom_id: 'a',
      type: 'succeeded',
      text: 'Hello, world',
      stop_reason: 'end_turn',
    });
    expect(f).toMatchObject({
      input_tokens: 10,
      output_tokens: 5,
      cache_read_input_tokens: 3,
      cache_creation_input_tokens: null,
    });
  });

  it('reads the error of an errored result from the double nesting', () => {
    expect(resultFacts(errored)).toMatchObject({
      type: 'errored',
      error_type: 'overloaded_error',
      error_message: 'Overloaded',
    });
  });

  it('keeps canceled and expired results, and survives junk', () => {
    expect(resultFacts({ custom_id: 'c', result: { type: 'canceled' } }).type).toBe('canceled');
    expect(resultFacts({ custom_id: 'd', result: { type: 'expired' } }).type).toBe('expired');
    expect(resultFacts(null)).toMatchObject({ custom_id: '', type: 'unknown', text: null });
  });

  it('writes compact lines with every key present', () => {
    expect(JSON.parse(compactLine(resultFacts(errored)))).toEqual({
      custom_id: 'b',
      type: 'errored',
      text: null,
      stop_reason: null,
      input_tokens: null,
      output_tokens: null,
      error_type: 'overloaded_error',
      error_message: 'Overloaded',
    });
  });
});

describe('SummaryBuilder', () => {
  it('counts by type, sums tokens and ranks errors', () => {
    const s = new SummaryBuilder();
    s.add(resultFacts(succeeded));
    s.add(resultFacts(errored));
    s.add(resultFacts({ ...errored, custom_id: 'e' }));
    s.add(resultFacts({ custom_id: 'c', result: { type: 'expired' } }));
    expect(s.build()).toEqual({
      total: 4,
      succeeded: 1,
      errored: 2,
      canceled: 0,
      expired: 1,
      successRate: 0.25,
      inputTokens: 10,
      outputTokens: 5,
      cacheReadTokens: 3,
      cacheWriteTokens: 0,
      byModel: {
        'claude-haiku-4-5': { input: 10, output: 5, cacheRead: 3, cacheWrite5m: 0, cacheWrite1h: 0 },
      },
      errorTypes: { overloaded_error: 2 },
      topErrors: [{ type: 'overloaded_error', message: 'Overloaded', count: 2 }],
    });
  });
});
