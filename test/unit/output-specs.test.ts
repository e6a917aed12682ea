import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResultFacts } from '../../src/core/results/line.js';
import { OutputSpecs, outputFieldNames } from '../../src/core/results/output.js';
import { request, tempDir } from '../helpers/files.js';

const dir = tempDir();
const closed = (properties: Record<string, unknown>) => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});
const A = closed({ a: { type: 'string' }, shared: { type: 'integer' } });
const B = closed({ b: { type: 'boolean' }, shared: { type: 'integer' } });
const format = (schema: unknown) => ({ output_config: { format: { type: 'json_schema', schema } } });
const facts = (id: string, extra: Partial<ResultFacts>): ResultFacts => ({
  custom_id: id,
  type: 'succeeded',
  model: 'm',
  text: null,
  stop_reason: 'end_turn',
  input_tokens: 1,
  output_tokens: 1,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
  cache_write_1h_tokens: 0,
  error_type: null,
  error_message: null,
  ...extra,
});

describe('OutputSpecs from a request file', () => {
  it('knows each request: two schemas, a forced tool, a plain one; the columns are their union in order', async () => {
    const tool = {
      name: 'rec',
      input_schema: {
        type: 'object',
        properties: { t: { type: 'number' }, output_config: { type: 'string' } },
      },
    };
    const lines = [
      request('x1', 'a', format(A)),
      request('x2', 'b', format(B)),
      request('x3', 'plain'),
      request('x4', 'tool', { tools: [tool], tool_choice: { type: 'tool', name: 'rec' } }),
      // "output_config" twice in the line (a prompt quoting it is escaped; a key is not): parsed whole.
      request('x5', 'a', { ...format(A), tools: [tool] }),
    ];
    const path = join(dir, 'mixed.jsonl');
    writeFileSync(path, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const specs = await OutputSpecs.fromRequests(path);
    expect(specs.columns()).toEqual({ tool: true, fields: ['a', 'shared', 'b', 't', 'output_config'] });
    expect(specs.forId('x3')).toBeUndefined();
    expect(specs.check(facts('x1', { text: '{"a":"y","shared":2}' }))).toEqual({
      tool_name: null,
      value: { a: 'y', shared: 2 },
      output_error: null,
    });
    expect(specs.check(facts('x2', { text: '{"a":"y","shared":2}' }))?.output_error).toMatch(
      /must have required property 'b'/,
    );
    expect(specs.check(facts('x4', { tool_use: { name: 'rec', input: { t: 'no' } } }))).toMatchObject({
      tool_name: 'rec',
      output_error: expect.stringMatching(/^does not match the schema: t: must be number/),
    });
    expect(specs.check(facts('x4', { text: 'hi' }))?.output_error).toBe('no tool call in the answer');
    expect(specs.check(facts('x5', { text: '{"a":"y","shared":2}' }))?.output_error).toBeNull();
    expect(specs.check(facts('x1', { type: 'errored' }))).toEqual({
      tool_name: null,
      value: null,
      output_error: null,
    });
    expect(specs.check(facts('x3', { text: 'free text' }))).toBeUndefined();
  });

  it('a file where every request asks the same keeps no ids', async () => {
    const path = join(dir, 'same.jsonl');
    writeFileSync(
      path,
      `${['q1', 'q2'].map((id) => JSON.stringify(request(id, 'x', format(A)))).join('\n')}\n`,
    );
    const specs = await OutputSpecs.fromRequests(path);
    expect((specs as unknown as { byId: Map<string, number> }).byId.size).toBe(0);
    expect(specs.check(facts('q2', { text: '{"a":"1","shared":1}' }))?.output_error).toBeNull();
  });

  it('output field names never take a name already used', () => {
    expect(outputFieldNames(['score', 'x'], ['out_score', 'out_out_score'])).toEqual([
      'out_out_out_score',
      'out_x',
    ]);
  });
});
