import { describe, expect, it } from 'vitest';
import { inputFromSchema } from '../../src/emulator/tool-input.js';

type Schema = Record<string, unknown>;

/** A tiny JSON Schema check of the keywords the generator knows: the list of problems, empty when valid. */
function problems(value: unknown, schema: Schema, path = '$'): string[] {
  const out: string[] = [];
  if ('const' in schema) {
    if (JSON.stringify(value) !== JSON.stringify(schema.const)) out.push(`${path}: not the const`);
    return out;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    out.push(`${path}: not in enum`);
  }
  const types = schema.type === undefined ? [] : ([] as unknown[]).concat(schema.type);
  const kind =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'array'
        : Number.isInteger(value)
          ? 'integer'
          : typeof value;
  if (types.length > 0 && !types.includes(kind) && !(kind === 'integer' && types.includes('number'))) {
    out.push(`${path}: ${kind} is not ${types.join('|')}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) out.push(`${path}: below minimum`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) out.push(`${path}: above maximum`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum)
      out.push(`${path}: not above exclusiveMinimum`);
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum)
      out.push(`${path}: not below exclusiveMaximum`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength)
      out.push(`${path}: too short`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      out.push(`${path}: too long`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      out.push(`${path}: too few items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      out.push(`${path}: too many items`);
    if (schema.items) {
      for (const [i, v] of value.entries()) out.push(...problems(v, schema.items as Schema, `${path}[${i}]`));
    }
  }
  if (kind === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    for (const r of (schema.required as string[] | undefined) ?? []) {
      if (!(r in obj)) out.push(`${path}.${r}: required`);
    }
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [k, s] of Object.entries(props))
      if (k in obj) out.push(...problems(obj[k], s, `${path}.${k}`));
    if (schema.additionalProperties === false) {
      for (const k of Object.keys(obj)) if (!(k in props)) out.push(`${path}.${k}: not allowed`);
    }
  }
  return out;
}

const schema: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'rating', 'tags'],
  properties: {
    name: { type: 'string', minLength: 3, maxLength: 5 },
    long: { type: 'string', minLength: 40 },
    rating: { type: 'integer', minimum: 1, maximum: 5 },
    score: { type: 'number', minimum: 0.5, maximum: 0.75 },
    above: { type: 'integer', exclusiveMinimum: 10, exclusiveMaximum: 12 },
    ok: { type: 'boolean' },
    nothing: { type: 'null' },
    maybe: { type: ['string', 'null'] },
    mood: { type: 'string', enum: ['happy', 'sad', 'neutral'] },
    kind: { const: 'review' },
    tags: { type: 'array', items: { type: 'string', maxLength: 4 }, minItems: 3, maxItems: 4 },
    nested: {
      type: 'object',
      required: ['points'],
      properties: {
        points: {
          type: 'array',
          minItems: 2,
          items: {
            type: 'object',
            properties: { x: { type: 'number' }, y: { type: 'integer', maximum: -5 } },
          },
        },
      },
    },
  },
};

describe('inputFromSchema (the emulator’s forced tool input)', () => {
  it('gives a value that validates against the schema, with every property', () => {
    for (const seed of ['a', 'b', 'c', 'seed-42', '']) {
      const value = inputFromSchema(schema, seed) as Record<string, unknown>;
      expect(problems(value, schema)).toEqual([]);
      expect(Object.keys(value).sort()).toEqual(Object.keys(schema.properties as object).sort());
    }
  });

  it('honours each keyword', () => {
    type Points = Array<{ x: number; y: number }>;
    const v = inputFromSchema(schema, 'x') as {
      [k: string]: unknown;
      name: string;
      long: string;
      rating: number;
      score: number;
      tags: string[];
      nested: { points: Points };
    };
    expect(v.kind).toBe('review');
    expect(['happy', 'sad', 'neutral']).toContain(v.mood);
    expect(v.name.length).toBeGreaterThanOrEqual(3);
    expect(v.name.length).toBeLessThanOrEqual(5);
    expect(v.long.length).toBeGreaterThanOrEqual(40);
    expect(Number.isInteger(v.rating) && v.rating >= 1 && v.rating <= 5).toBe(true);
    expect(v.score).toBeGreaterThanOrEqual(0.5);
    expect(v.score).toBeLessThanOrEqual(0.75);
    expect(v.above).toBe(11);
    expect(typeof v.ok).toBe('boolean');
    expect(v.nothing).toBeNull();
    expect(typeof v.maybe).toBe('string');
    expect(v.tags).toHaveLength(3);
    expect(v.nested.points).toHaveLength(2);
    expect(v.nested.points[0]?.y).toBeLessThanOrEqual(-5);
    expect(typeof v.nested.points[1]?.x).toBe('number');
  });

  it('is deterministic per seed, and the seed changes the picks', () => {
    expect(inputFromSchema(schema, 'same')).toEqual(inputFromSchema(schema, 'same'));
    const names = new Set(
      ['s1', 's2', 's3', 's4'].map((s) => (inputFromSchema(schema, s) as { name: string }).name),
    );
    expect(names.size).toBeGreaterThan(1);
  });

  it('adds required properties that are not described, and copes with no schema', () => {
    expect(inputFromSchema({ type: 'object', required: ['q'] }, 's')).toEqual({ q: expect.any(String) });
    expect(typeof inputFromSchema(undefined, 's')).toBe('string');
    expect(inputFromSchema({ type: 'object', properties: {} }, 's')).toEqual({});
    expect(inputFromSchema({ type: 'array', items: { enum: [7] }, maxItems: 0 }, 's')).toEqual([]);
  });
});
