/** `--schema FILE`: structured outputs, `output_config: {format: {type: "json_schema", schema}}`. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { isRecord } from '../is-record.js';
import { checkOutputSchema } from '../requests/output-schema.js';

const HINT =
  'fix the schema: structured outputs take objects with "additionalProperties": false, primitive enums, anyOf, local $refs and a few string formats; no min/max, lengths or oneOf (see README, "Structured outputs")';

/**
 * Reads `--schema FILE` and checks it once: JSON, an object schema (`"type": "object"`: the
 * answer's fields become columns), and within the subset structured outputs accept. Every problem
 * is reported as `FILE: path.in.schema: reason` (exit 2); nothing is written.
 */
export async function readSchemaFile(file: string, cwd: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new UsageError(
      `--schema ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      'give the path of a JSON Schema file',
    );
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    throw new InputError(
      [{ file, field: 'json', message: `not valid JSON (${(error as Error).message})` }],
      1,
      HINT,
    );
  }
  if (!isRecord(schema)) {
    throw new InputError([{ file, field: '(root)', message: 'must be a JSON Schema object' }], 1, HINT);
  }
  const issues = checkOutputSchema(schema);
  if (schema.type !== 'object' && !issues.some((i) => i.path === '' || i.path === 'type')) {
    issues.unshift({
      path: 'type',
      message: `must be "object": each answer is one JSON object whose fields become columns, got ${JSON.stringify(schema.type ?? null)}`,
    });
  }
  if (issues.length > 0) {
    const shown = issues.slice(0, 20);
    const error = new InputError(
      shown.map((i) => ({ file, field: i.path === '' ? '(root)' : i.path, message: i.message })),
      issues.length,
      HINT,
    );
    error.message = error.message.replace('nothing was sent', 'nothing was done');
    throw error;
  }
  return schema;
}

/** The schema's identity for a job: its path and the sha256 of its bytes (an edited file is another job). */
export async function schemaIdentity(file: string, cwd: string): Promise<string> {
  try {
    const bytes = await readFile(resolve(cwd, file));
    return `${file} (sha256 ${createHash('sha256').update(bytes).digest('hex').slice(0, 16)})`;
  } catch {
    return file; // build reports the unreadable file
  }
}

/**
 * `params` with `output_config.format` set to the schema, keeping any other `output_config` key
 * (such as `effort`). Returns a problem message when the params already ask for a format.
 */
export function withOutputFormat(
  params: Record<string, unknown>,
  schema: Record<string, unknown>,
): { params: Record<string, unknown> } | { problem: string } {
  const existing = params.output_config;
  if (existing !== undefined && existing !== null && !isRecord(existing)) return { params };
  if (isRecord(existing) && existing.format !== undefined && existing.format !== null) {
    return { problem: 'already sets output_config.format; --schema would replace it (drop one of them)' };
  }
  return {
    params: {
      ...params,
      output_config: { ...(isRecord(existing) ? existing : {}), format: { type: 'json_schema', schema } },
    },
  };
}
