import { createHash } from 'node:crypto';
import { isRecord } from '../core/is-record.js';

/**
 * A tool's `input`, generated deterministically from its `input_schema` (a JSON Schema subset):
 * `const` wins, then `enum` (a pick seeded by `seed` and the path), then the `type` (the first of
 * a list; inferred from `properties`/`items` when missing). Objects get every property (required
 * or not); arrays get `minItems` items (at least 1, at most `maxItems`); strings are
 * `emulated-` and 8 hex digits of a hash (just the digits when `maxLength` < 17), repeated or cut to
 * `minLength`..`maxLength`; numbers and integers lie in `minimum`..`maximum` (exclusive
 * bounds too). Unknown or empty schemas give a string.
 */
export function inputFromSchema(schema: unknown, seed: string): unknown {
  return generate(schema, seed, '$', 0);
}

function pick(seed: string, path: string, n: number): number {
  return createHash('sha256').update(`${seed}\u0000${path}`).digest().readUInt32BE(0) % n;
}

function typeOf(s: Record<string, unknown>): string | undefined {
  const t = s.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.find((x) => x !== 'null') ?? t[0];
  if (isRecord(s.properties)) return 'object';
  if (s.items !== undefined) return 'array';
  return undefined;
}

function num(s: Record<string, unknown>, integer: boolean, seed: string, path: string): number {
  let lo = typeof s.minimum === 'number' ? s.minimum : undefined;
  let hi = typeof s.maximum === 'number' ? s.maximum : undefined;
  const step = integer ? 1 : 0.5;
  if (typeof s.exclusiveMinimum === 'number') lo = s.exclusiveMinimum + step;
  if (typeof s.exclusiveMaximum === 'number') hi = s.exclusiveMaximum - step;
  if (integer) {
    if (lo !== undefined) lo = Math.ceil(lo);
    if (hi !== undefined) hi = Math.floor(hi);
  }
  if (lo === undefined && hi === undefined) return pick(seed, path, 100);
  if (lo === undefined) return (hi as number) - pick(seed, path, 10);
  if (hi === undefined) return lo + pick(seed, path, 10);
  if (hi <= lo) return lo;
  const span = integer ? hi - lo + 1 : hi - lo;
  const offset = pick(seed, path, Math.min(1000, Math.max(1, Math.floor(span))));
  return Math.min(hi, lo + offset);
}

function str(s: Record<string, unknown>, seed: string, path: string): string {
  const min = typeof s.minLength === 'number' ? s.minLength : 1;
  const max = typeof s.maxLength === 'number' ? s.maxLength : Number.POSITIVE_INFINITY;
  const hex = createHash('sha256').update(`${seed}\u0000${path}`).digest('hex').slice(0, 8);
  const base = max >= 17 ? `emulated-${hex}` : hex;
  let out = base;
  while (out.length < min) out += base;
  return out.slice(0, Math.max(min, Math.min(max, base.length)));
}

function generate(schema: unknown, seed: string, path: string, depth: number): unknown {
  if (!isRecord(schema)) return str({}, seed, path);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    return schema.enum[pick(seed, path, schema.enum.length)];
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list) && list.length > 0 && !schema.type) return generate(list[0], seed, path, depth);
  }
  switch (typeOf(schema)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      if (depth > 16) return out;
      const props = isRecord(schema.properties) ? schema.properties : {};
      for (const [k, v] of Object.entries(props)) out[k] = generate(v, seed, `${path}.${k}`, depth + 1);
      if (Array.isArray(schema.required)) {
        for (const k of schema.required)
          if (typeof k === 'string' && !(k in out)) out[k] = str({}, seed, `${path}.${k}`);
      }
      return out;
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
      const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, 1);
      const n = depth > 16 ? 0 : Math.min(Math.max(min, 1), max);
      return Array.from({ length: n }, (_, i) => generate(schema.items, seed, `${path}[${i}]`, depth + 1));
    }
    case 'integer':
      return num(schema, true, seed, path);
    case 'number':
      return num(schema, false, seed, path);
    case 'boolean':
      return pick(seed, path, 2) === 0;
    case 'null':
      return null;
    default:
      return str(schema, seed, path);
  }
}
