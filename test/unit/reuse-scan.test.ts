import { describe, expect, it } from 'vitest';
import { scanResult } from '../../src/core/reuse/index.js';

const scan = (value: unknown) =>
  scanResult(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));

describe('scanResult: a result line read without parsing it', () => {
  it('finds the custom_id and a succeeded result, in any key order, with escapes', () => {
    const message = { content: [{ type: 'text', text: 'x' }], usage: { input_tokens: 1 } };
    expect(scan({ custom_id: 'a-1', result: { type: 'succeeded', message } })).toEqual({
      customId: 'a-1',
      succeeded: true,
    });
    expect(scan({ result: { message, type: 'succeeded' }, custom_id: 'q"\\é' })).toEqual({
      customId: 'q"\\é',
      succeeded: true,
    });
    expect(scan('{ "custom_id" : "s" , "result" : { "type" : "succeeded" } }')).toEqual({
      customId: 's',
      succeeded: true,
    });
  });

  it('never takes a key from inside the answer or another field', () => {
    const decoy = {
      custom_id: 'real',
      note: { custom_id: 'fake', type: 'succeeded' },
      list: ['"type":"succeeded"', { result: { type: 'succeeded' } }],
      result: {
        error: { type: 'invalid_request', message: { type: 'succeeded', custom_id: 'x' } },
        type: 'errored',
      },
    };
    expect(scan(decoy)).toEqual({ customId: 'real', succeeded: false });
    expect(scan({ custom_id: 'e', result: { type: 'errored' } })).toEqual({
      customId: 'e',
      succeeded: false,
    });
    expect(scan({ custom_id: 'n', result: { message: { type: 'succeeded' } } })).toEqual({
      customId: 'n',
      succeeded: false,
    });
  });

  it('agrees with JSON.parse on what a parse would find', () => {
    const lines = [
      { custom_id: 'a', result: { type: 'succeeded', message: { content: [{ text: '{"type":"x"}' }] } } },
      { custom_id: 'b', result: { type: 'canceled' } },
      { result: { type: 'succeeded' }, custom_id: 'c', extra: [[1, [2, { type: 'no' }]], null, true] },
    ];
    for (const line of lines)
      expect(scan(line)).toEqual({ customId: line.custom_id, succeeded: line.result.type === 'succeeded' });
  });

  it('is undefined for a line that is not an object with a string custom_id', () => {
    for (const bad of [
      '',
      '[]',
      '"x"',
      '{"custom_id":3,"result":{"type":"succeeded"}}',
      '{"result":{"type":"succeeded"}}',
      '{"custom_id":"unclosed',
    ])
      expect(scan(bad)).toBeUndefined();
  });
});
