/**
 * The JSON Schema subset structured outputs (`output_config.format`) accept. The API compiles a
 * schema into a grammar that constrains decoding, so only what a grammar can express is taken;
 * anything else is refused by the API (`invalid_request_error`) a day later in a batch. The rules
 * follow the SDK's own `transformJSONSchema` (lib/transform-json-schema.ts), which keeps exactly
 * these keywords and moves every other one into the description:
 *
 * - `type` (object, array, string, integer, number, boolean, null), `enum` and `const` of
 *   primitives, `anyOf`, `allOf`, local `$ref` (`#/…`) with `$defs` / `definitions`;
 * - objects: `properties`, `required`, and `additionalProperties: false` (required: structured
 *   outputs are closed objects);
 * - strings: `format` among date-time, time, date, duration, email, hostname, uri, ipv4, ipv6,
 *   uuid; `pattern` without backreferences, lookaround or word boundaries;
 * - arrays: `items`, `minItems` of 0 or 1;
 * - `title`, `description`, `$comment`, `$schema`.
 *
 * Refused, with the reason: numerical constraints (minimum, maximum, multipleOf…), string
 * lengths, other array and object constraints, `oneOf` (use anyOf), `not`, `if`/`then`/`else`,
 * external `$ref`, recursive schemas, and any other keyword.
 */
import { isRecord } from '../is-record.js';

/** One problem with a schema: where (a dotted path inside it, `` for the root) and why. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** The string formats structured outputs support. */
export const SUPPORTED_FORMATS = [
  'date-time',
  'time',
  'date',
  'duration',
  'email',
  'hostname',
  'uri',
  'ipv4',
  'ipv6',
  'uuid',
] as const;

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean', 'null']);
const ANNOTATIONS = new Set(['title', 'description', '$comment', '$schema']);
const KNOWN = new Set([
  ...ANNOTATIONS,
  'type',
  'enum',
  'const',
  'anyOf',
  'allOf',
  '$ref',
  '$defs',
  'definitions',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'format',
  'pattern',
]);

const NUMBERS = 'numerical constraints are not supported by structured outputs';
const LENGTHS = 'string length constraints are not supported by structured outputs';
const ARRAYS =
  'array constraints other than items and minItems (0 or 1) are not supported by structured outputs';
const OBJECTS =
  'object constraints other than properties, required and additionalProperties: false are not supported by structured outputs';
const WHY = new Map<string, string>(
  Object.entries({
    minimum: NUMBERS,
    maximum: NUMBERS,
    exclusiveMinimum: NUMBERS,
    exclusiveMaximum: NUMBERS,
    multipleOf: NUMBERS,
    minLength: LENGTHS,
    maxLength: LENGTHS,
    maxItems: ARRAYS,
    uniqueItems: ARRAYS,
    contains: ARRAYS,
    minContains: ARRAYS,
    maxContains: ARRAYS,
    prefixItems: ARRAYS,
    additionalItems: ARRAYS,
    unevaluatedItems: ARRAYS,
    minProperties: OBJECTS,
    maxProperties: OBJECTS,
    patternProperties: OBJECTS,
    propertyNames: OBJECTS,
    dependentRequired: OBJECTS,
    dependentSchemas: OBJECTS,
    dependencies: OBJECTS,
    unevaluatedProperties: OBJECTS,
    oneOf: 'not supported by structured outputs: use anyOf',
    not: 'not supported by structured outputs',
    if: 'conditional schemas (if/then/else) are not supported by structured outputs',
    ['then' as string]: 'conditional schemas (if/then/else) are not supported by structured outputs',
    else: 'conditional schemas (if/then/else) are not supported by structured outputs',
    $id: 'not supported by structured outputs: refer to definitions with a local $ref ("#/$defs/NAME")',
    $anchor: 'not supported by structured outputs: refer to definitions with a local $ref ("#/$defs/NAME")',
    $dynamicRef: 'not supported by structured outputs: use a local $ref ("#/$defs/NAME")',
    nullable:
      'not JSON Schema (an OpenAPI keyword): use "type": ["string", "null"] or anyOf with {"type": "null"}',
  }),
);

const isPrimitive = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** `a.b` + `c` → `a.b.c`. */
const at = (path: string, key: string | number) => (path === '' ? String(key) : `${path}.${key}`);

/** A JSON pointer (`#/$defs/name`) inside `root`, or undefined. */
function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isRecord(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A regular expression a grammar cannot follow: backreferences, lookaround, word boundaries. */
function patternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'u');
  } catch (error) {
    return `not a valid regular expression (${(error as Error).message})`;
  }
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences are not supported by structured outputs';
  if (/\(\?<?[=!]/.test(pattern)) return 'lookahead and lookbehind are not supported by structured outputs';
  if (/\\[bB]/.test(pattern)) return 'word boundaries (\\b) are not supported by structured outputs';
  return undefined;
}

/**
 * Checks a JSON Schema against the subset structured outputs accept; returns every problem (an
 * empty list when it is accepted), each with its dotted path inside the schema.
 */
export function checkOutputSchema(schema: unknown): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  if (!isRecord(schema)) {
    return [{ path: '', message: 'must be a JSON Schema object' }];
  }
  const add = (path: string, message: string) => issues.push({ path, message });

  // $refs: local only, to something that exists, and never back into themselves.
  const refTargets = (node: unknown, path: string, seen: Set<string>) => {
    if (issues.length > 50) return;
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        refTargets(item, at(path, i), seen);
      });
      return;
    }
    if (!isRecord(node)) return;
    const ref = node.$ref;
    if (typeof ref === 'string' && ref.startsWith('#')) {
      if (seen.has(ref)) {
        add(
          at(path, '$ref'),
          `${JSON.stringify(ref)}: recursive schemas are not supported by structured outputs`,
        );
        return;
      }
      const target = resolvePointer(schema, ref);
      if (target !== undefined) refTargets(target, path, new Set([...seen, ref]));
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === '$defs' || key === 'definitions' || key === 'enum' || key === 'const') continue;
      refTargets(value, at(path, key), seen);
    }
  };

  const visit = (node: unknown, path: string) => {
    if (issues.length > 50) return;
    if (!isRecord(node)) {
      add(path, `must be a JSON Schema object, got ${JSON.stringify(node)}`);
      return;
    }
    for (const key of Object.keys(node)) {
      const why = WHY.get(key);
      if (why) add(at(path, key), why);
      else if (!KNOWN.has(key))
        add(at(path, key), 'not a keyword structured outputs take (the API would refuse it)');
    }
    for (const defs of ['$defs', 'definitions'] as const) {
      const value = node[defs];
      if (value === undefined) continue;
      if (!isRecord(value)) add(at(path, defs), 'must be an object of schemas');
      else for (const [name, def] of Object.entries(value)) visit(def, at(at(path, defs), name));
    }
    const ref = node.$ref;
    if (ref !== undefined) {
      if (typeof ref !== 'string') add(at(path, '$ref'), 'must be a string');
      else if (!ref.startsWith('#'))
        add(
          at(path, '$ref'),
          `${JSON.stringify(ref)}: external references are not supported by structured outputs: put the definition in "$defs" and refer to it as "#/$defs/NAME"`,
        );
      else if (resolvePointer(schema, ref) === undefined)
        add(at(path, '$ref'), `${JSON.stringify(ref)} points to nothing in this schema`);
      return;
    }
    const hasLiterals = node.enum !== undefined || node.const !== undefined;
    if (node.enum !== undefined) {
      if (!Array.isArray(node.enum) || node.enum.length === 0)
        add(at(path, 'enum'), 'must be a non-empty array');
      else if (!node.enum.every(isPrimitive))
        add(at(path, 'enum'), 'values must be strings, numbers, booleans or null (no objects or arrays)');
    }
    if (node.const !== undefined && !isPrimitive(node.const))
      add(at(path, 'const'), 'must be a string, a number, a boolean or null');
    for (const list of ['anyOf', 'allOf'] as const) {
      const value = node[list];
      if (value === undefined) continue;
      if (!Array.isArray(value) || value.length === 0)
        add(at(path, list), 'must be a non-empty array of schemas');
      else
        value.forEach((item, i) => {
          visit(item, at(at(path, list), i));
        });
    }
    const type = node.type;
    const types = typeof type === 'string' ? [type] : Array.isArray(type) ? type : [];
    if (type === undefined) {
      if (!hasLiterals && node.anyOf === undefined && node.allOf === undefined)
        add(path, '"type" is required (unless the schema is an anyOf, allOf, enum or const)');
    } else if (types.length === 0 || !types.every((t) => typeof t === 'string' && TYPES.has(t))) {
      add(
        at(path, 'type'),
        `${JSON.stringify(type)}: use object, array, string, integer, number, boolean or null (or a list of them)`,
      );
    }
    if (types.includes('object')) {
      if (node.additionalProperties !== false)
        add(
          at(path, 'additionalProperties'),
          node.additionalProperties === undefined
            ? 'is required and must be false: structured outputs take closed objects (add "additionalProperties": false)'
            : 'must be false: structured outputs take closed objects',
        );
      const props = node.properties;
      if (props !== undefined && !isRecord(props))
        add(at(path, 'properties'), 'must be an object of schemas');
      else if (isRecord(props))
        for (const [name, prop] of Object.entries(props)) visit(prop, at(at(path, 'properties'), name));
      const required = node.required;
      if (required !== undefined) {
        if (!Array.isArray(required) || !required.every((r) => typeof r === 'string'))
          add(at(path, 'required'), 'must be an array of property names');
        else
          for (const name of required)
            if (!isRecord(props) || !Object.hasOwn(props, name))
              add(at(path, 'required'), `${JSON.stringify(name)} is not one of the properties`);
      }
    } else {
      if (node.properties !== undefined)
        add(at(path, 'properties'), 'only an object schema ("type": "object") has properties');
      if (node.additionalProperties !== undefined && node.additionalProperties !== false)
        add(at(path, 'additionalProperties'), 'must be false');
    }
    if (types.includes('array')) {
      if (node.items !== undefined) visit(node.items, at(path, 'items'));
    } else if (node.items !== undefined)
      add(at(path, 'items'), 'only an array schema ("type": "array") has items');
    if (node.minItems !== undefined && node.minItems !== 0 && node.minItems !== 1)
      add(
        at(path, 'minItems'),
        `${JSON.stringify(node.minItems)}: only 0 or 1 is supported by structured outputs`,
      );
    if (node.format !== undefined) {
      if (typeof node.format !== 'string' || !(SUPPORTED_FORMATS as readonly string[]).includes(node.format))
        add(
          at(path, 'format'),
          `${JSON.stringify(node.format)} is not a format structured outputs support (they do: ${SUPPORTED_FORMATS.join(', ')})`,
        );
    }
    if (node.pattern !== undefined) {
      const problem = typeof node.pattern === 'string' ? patternProblem(node.pattern) : 'must be a string';
      if (problem) add(at(path, 'pattern'), problem);
    }
  };

  visit(schema, '');
  if (issues.length === 0) refTargets(schema, '', new Set());
  return issues;
}
