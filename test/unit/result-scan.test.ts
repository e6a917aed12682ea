import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resultFacts } from '../../src/core/results/line.js';
import { scanSucceeded } from '../../src/core/results/scan.js';

function succeeded(
  id: string,
  extra: { content?: unknown[]; usage?: Record<string, unknown>; model?: string } = {},
) {
  return {
    custom_id: id,
    result: {
      type: 'succeeded',
      message: {
        id: 'msg_01',
        type: 'message',
        role: 'assistant',
        model: extra.model ?? 'claude-haiku-4-5',
        content: extra.content ?? [{ type: 'text', text: 'He said "hi" \\ "model":"x" {"input_tokens":9}' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: {
          cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 4 },
          cache_creation_input_tokens: 7,
          cache_read_input_tokens: 11,
          input_tokens: 120,
          output_tokens: 35,
          service_tier: 'batch',
          ...extra.usage,
        },
      },
    },
  };
}

/** What the scan must agree with: a full parse, less the text (which the scan does not read). */
// The scan reads neither the text nor a tool call (the jsonl format needs neither).
const expected = (value: unknown) => ({ ...resultFacts(value), text: null, tool_use: undefined });

describe('scanSucceeded', () => {
  it('reads the same facts as a full parse, without parsing', () => {
    const value = succeeded('row-1');
    expect(scanSucceeded(Buffer.from(JSON.stringify(value)))).toEqual(expected(value));
  });

  it('reads missing cache fields as null and a null stop reason', () => {
    const value = succeeded('a', { usage: { cache_creation: null, cache_read_input_tokens: null } });
    (value.result.message as Record<string, unknown>).stop_reason = null;
    expect(scanSucceeded(Buffer.from(JSON.stringify(value)))).toEqual(expected(value));
  });

  it('reads only the message’s own keys: a tool input holding "model" or "input_tokens" changes nothing', () => {
    const tool = succeeded('t', {
      content: [{ type: 'tool_use', id: 'x', name: 'f', input: { input_tokens: 5, model: 'm', usage: {} } }],
    });
    expect(scanSucceeded(Buffer.from(JSON.stringify(tool)))).toEqual(expected(tool));
  });

  it('gives up (so the caller parses) when a key appears twice, on other types, or on other layouts', () => {
    const twice = JSON.stringify(succeeded('t')).replace('"model":', '"model":"claude-x","model":');
    expect(scanSucceeded(Buffer.from(twice))).toBeUndefined();
    const trailing = `${JSON.stringify(succeeded('t')).slice(0, -2)},"x":1}}`;
    expect(scanSucceeded(Buffer.from(trailing))).toBeUndefined();
    expect(scanSucceeded(Buffer.from(JSON.stringify(succeeded('t')).slice(0, -1)))).toBeUndefined();
    expect(
      scanSucceeded(Buffer.from(JSON.stringify({ custom_id: 'e', result: { type: 'errored', error: {} } }))),
    ).toBeUndefined();
    expect(scanSucceeded(Buffer.from(JSON.stringify(succeeded('s'), null, 1)))).toBeUndefined();
    expect(scanSucceeded(Buffer.from('{"result":{"type":"succeeded"},"custom_id":"x"}'))).toBeUndefined();
  });

  it('never disagrees with a full parse, whatever the text, ids and numbers', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-zA-Z0-9_-]{1,64}$/),
        fc.string(),
        fc.nat(),
        fc.nat(),
        fc.option(fc.nat()),
        (id, text, input, output, cacheRead) => {
          const value = succeeded(id, {
            content: [{ type: 'text', text }],
            usage: { input_tokens: input, output_tokens: output, cache_read_input_tokens: cacheRead },
          });
          const facts = scanSucceeded(Buffer.from(JSON.stringify(value)));
          if (facts) expect(facts).toEqual(expected(value));
        },
      ),
    );
  });
});

describe('scanSucceeded against JSON.parse on any content', () => {
  it('agrees with a full parse whenever it answers, whatever the blocks, usage extras and ids', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.array(fc.jsonValue(), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue(), { maxKeys: 4 }),
        (id, content, extras) => {
          const value = succeeded(id, { content, usage: { ...extras, input_tokens: 3, output_tokens: 4 } });
          const line = Buffer.from(JSON.stringify(value));
          const facts = scanSucceeded(line);
          if (facts) expect(facts).toEqual(expected(JSON.parse(line.toString())));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on a cut or corrupted line', () => {
    const whole = JSON.stringify(succeeded('cut'));
    fc.assert(
      fc.property(
        fc.nat({ max: whole.length }),
        fc.nat({ max: whole.length }),
        fc.integer({ min: 0, max: 255 }),
        (cut, at, byte) => {
          const bytes = Buffer.from(whole.slice(0, cut));
          if (at < bytes.length) bytes[at] = byte;
          expect(() => scanSucceeded(bytes)).not.toThrow();
        },
      ),
    );
  });
});

describe('scanSucceeded on the emulator’s lines', () => {
  it('takes the fast path (the layout the API and the emulator write)', async () => {
    const { storeRequest, resultLine } = await import('../../src/emulator/answers.js');
    const stored = storeRequest(
      {
        custom_id: 'csv-row-1',
        params: {
          model: 'claude-haiku-4-5',
          max_tokens: 50,
          messages: [{ role: 'user', content: 'Hello there' }],
        },
      },
      '2026-10-21',
      new Set(),
    );
    const line = resultLine(stored, 'succeeded', 'msgbatch_1', 500);
    const facts = scanSucceeded(Buffer.from(line));
    expect(facts).toBeDefined();
    expect(facts).toEqual(expected(JSON.parse(line)));
  });
});
