import { describe, expect, it } from 'vitest';
import { checkOutputSchema } from '../../src/core/requests/output-schema.js';
import { checkRequest } from '../../src/core/requests/schema.js';
import { request } from '../helpers/files.js';

const closed = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
  ...extra,
});

describe('the JSON Schema subset structured outputs accept', () => {
  it('accepts types, primitive enums and const, anyOf/allOf, local $refs, formats, minItems 0/1, annotations', () => {
    const schema = closed(
      {
        name: { type: 'string', description: 'the name', title: 'Name' },
        kind: { enum: ['a', 'b', null] },
        fixed: { const: 3 },
        when: { type: 'string', format: 'date-time' },
        code: { type: 'string', pattern: '^[A-Z]{3}-\\d+$' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
        maybe: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        both: { allOf: [{ $ref: '#/$defs/point' }] },
        point: { $ref: '#/$defs/point' },
        nullable: { type: ['integer', 'null'] },
      },
      {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $defs: { point: closed({ x: { type: 'number' }, y: { type: 'number' } }) },
      },
    );
    expect(checkOutputSchema(schema)).toEqual([]);
  });

  it('refuses what a grammar cannot express, each with its path and why', () => {
    const issues = checkOutputSchema({
      type: 'object',
      properties: {
        score: { type: 'integer', minimum: 1, maximum: 5 },
        name: { type: 'string', maxLength: 10 },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2, uniqueItems: true },
        kind: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
        when: { type: 'string', format: 'iso-date' },
        ref: { $ref: 'https://example.com/other.json' },
        open: { type: 'object', properties: {}, additionalProperties: true },
        bad: { enum: [{ a: 1 }] },
        re: { type: 'string', pattern: '(a)\\1' },
        odd: { type: 'string', nullable: true },
      },
      additionalProperties: false,
    });
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(byPath['properties.score.minimum']).toMatch(/numerical constraints/);
    expect(byPath['properties.score.maximum']).toMatch(/numerical constraints/);
    expect(byPath['properties.name.maxLength']).toMatch(/string length/);
    expect(byPath['properties.tags.minItems']).toMatch(/only 0 or 1/);
    expect(byPath['properties.tags.uniqueItems']).toMatch(/array constraints/);
    expect(byPath['properties.kind.oneOf']).toMatch(/use anyOf/);
    expect(byPath['properties.when.format']).toMatch(/"iso-date" is not a format/);
    expect(byPath['properties.ref.$ref']).toMatch(/external references/);
    expect(byPath['properties.open.additionalProperties']).toMatch(/must be false/);
    expect(byPath['properties.bad.enum']).toMatch(/strings, numbers, booleans or null/);
    expect(byPath['properties.re.pattern']).toMatch(/backreferences/);
    expect(byPath['properties.odd.nullable']).toMatch(/OpenAPI/);
  });

  it('an object must say additionalProperties: false; a missing type is refused', () => {
    expect(checkOutputSchema({ type: 'object', properties: { a: { type: 'string' } } })).toEqual([
      { path: 'additionalProperties', message: expect.stringMatching(/is required and must be false/) },
    ]);
    expect(checkOutputSchema(closed({ a: { description: 'no type' } }))[0]?.path).toBe('properties.a');
  });

  it('refuses recursive schemas and $refs to nothing', () => {
    const recursive = {
      $defs: {
        node: closed({ children: { type: 'array', items: { $ref: '#/$defs/node' } } }),
      },
      ...closed({ root: { $ref: '#/$defs/node' } }),
    };
    expect(checkOutputSchema(recursive).map((i) => i.message)).toEqual([
      expect.stringMatching(/recursive schemas are not supported/),
    ]);
    expect(checkOutputSchema(closed({ a: { $ref: '#/$defs/missing' } }))[0]?.message).toMatch(
      /points to nothing/,
    );
  });

  it("submit's request check applies the same rules to output_config.format.schema", () => {
    const bad = request('q1', 'Hi', {
      output_config: {
        effort: 'low',
        format: { type: 'json_schema', schema: closed({ n: { type: 'number', multipleOf: 2 } }) },
      },
    });
    expect(checkRequest(bad)).toEqual([
      {
        field: 'params.output_config.format.schema.properties.n.multipleOf',
        message: expect.stringMatching(/numerical constraints/),
      },
    ]);
    const good = request('q2', 'Hi', {
      output_config: { format: { type: 'json_schema', schema: closed({ n: { type: 'number' } }) } },
    });
    expect(checkRequest(good)).toEqual([]);
    const shape = request('q3', 'Hi', { output_config: { format: { type: 'json', schema: {} } } });
    expect(checkRequest(shape)[0]?.field).toBe('params.output_config.format.type');
  });
});
