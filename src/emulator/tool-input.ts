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
  return generate(schema, seed, '$', 0, schema);
}

/** A local `$ref` (`#/$defs/name`) inside `root`, or undefined. */
function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    if (!isRecord(node)) return undefined;
    node = node[decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return node;
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

/** A string of a structured-outputs format, from an 8-hex-digit hash. */
const FORMATS: Record<string, (hex: string) => string> = {
  'date-time': (h) =>
    `2026-0${(Number.parseInt(h[0] ?? '0', 16) % 9) + 1}-1${Number.parseInt(h[1] ?? '0', 16) % 9}T12:00:00Z`,
  date: (h) => `2026-0${(Number.parseInt(h[0] ?? '0', 16) % 9) + 1}-1${Number.parseInt(h[1] ?? '0', 16) % 9}`,
  time: (h) => `1${Number.parseInt(h[0] ?? '0', 16) % 9}:30:00Z`,
  duration: (h) => `P${(Number.parseInt(h[0] ?? '0', 16) % 9) + 1}D`,
  email: (h) => `emulated-${h}@example.com`,
  hostname: (h) => `emulated-${h}.example.com`,
  uri: (h) => `https://example.com/emulated-${h}`,
  ipv4: (h) => `192.0.2.${Number.parseInt(h.slice(0, 2), 16)}`,
  ipv6: (h) => `2001:db8::${h.slice(0, 4)}`,
  uuid: (h) => `${h}-0000-4000-8000-${h}0000`,
};

function str(s: Record<string, unknown>, seed: string, path: string): string {
  const format = typeof s.format === 'string' ? FORMATS[s.format] : undefined;
  if (format) return format(createHash('sha256').update(`${seed}\u0000${path}`).digest('hex').slice(0, 8));
  const min = typeof s.minLength === 'number' ? s.minLength : 1;
  const max = typeof s.maxLength === 'number' ? s.maxLength : Number.POSITIVE_INFINITY;
  const hex = createHash('sha256').update(`${seed}\u0000${path}`).digest('hex').slice(0, 8);
  const base = max >= 17 ? `emulated-${hex}` : hex;
  let out = base;
  while (out.length < min) out += base;
  return out.slice(0, Math.max(min, Math.min(max, base.length)));
}

function generate(schema: unknown, seed: string, path: string, depth: number, root: unknown): unknown {
  if (!isRecord(schema)) return str({}, seed, path);
  if (typeof schema.$ref === 'string' && depth <= 16) {
    return generate(resolveRef(root, schema.$ref), seed, path, depth + 1, root);
  }
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    return schema.enum[pick(seed, path, schema.enum.length)];
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[key];
    if (Array.isArray(list) && list.length > 0 && !schema.type) {
      if (key !== 'allOf') return generate(list[0], seed, path, depth, root);
      // allOf: the parts' objects merged (a part that is not an object gives the value).
      let merged: unknown;
      for (const part of list) {
        const value = generate(part, seed, path, depth + 1, root);
        merged = isRecord(value) && isRecord(merged) ? { ...merged, ...value } : (merged ?? value);
      }
      return merged;
    }
  }
  switch (typeOf(schema)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      if (depth > 16) return out;
      const props = isRecord(schema.properties) ? schema.properties : {};
      for (const [k, v] of Object.entries(props)) out[k] = generate(v, seed, `${path}.${k}`, depth + 1, root);
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
      return Array.from({ length: n }, (_, i) =>
        generate(schema.items, seed, `${path}[${i}]`, depth + 1, root),
      );
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
