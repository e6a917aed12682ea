import { z } from 'zod';
import { removedParamIssues } from './api-version.js';
import { CUSTOM_ID_PATTERN } from './limits.js';

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const requiredOr = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : `must be ${what}, got ${typeName(issue.input)}`;

const contentBlock = z.looseObject({ type: z.string({ error: requiredOr('a string') }) });

/** One message of a conversation: a role and its content (a string or content blocks). */
export const MessageSchema = z.looseObject({
  role: z.enum(['user', 'assistant'], {
    error: (issue) => (issue.input === undefined ? 'is required' : 'must be "user" or "assistant"'),
  }),
  content: z.union([z.string(), z.array(contentBlock)], {
    error: (issue) =>
      issue.input === undefined ? 'is required' : 'must be a string or an array of content blocks',
  }),
});

/**
 * The Messages parameters of one request. Only what the API checks at create time, or what makes
 * a request certain to fail, is checked here; other parameters pass through untouched.
 */
export const ParamsSchema = z.looseObject(
  {
    model: z.string({ error: requiredOr('a string') }).min(1, { error: 'must not be empty' }),
    max_tokens: z
      .number({ error: requiredOr('an integer') })
      .int({ error: (issue) => `must be an integer, got ${String(issue.input)}` })
      .min(1, { error: (issue) => `must be at least 1, got ${String(issue.input)}` }),
    messages: z
      .array(MessageSchema, { error: requiredOr('an array of messages') })
      .min(1, { error: 'must hold at least one message' }),
    stream: z.literal(false, { error: 'must not be true: batch requests do not stream' }).optional(),
  },
  { error: requiredOr('an object') },
);

/** One line of a request file: exactly `custom_id` and `params`. */
export const BatchRequestSchema = z.strictObject(
  {
    custom_id: z.string({ error: requiredOr('a string') }).regex(CUSTOM_ID_PATTERN, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a valid custom_id: use 1 to 64 letters, digits, "_" or "-"`,
    }),
    params: ParamsSchema,
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'must be a JSON object') },
);

/** A request as the API takes it. */
export interface BatchRequest {
  custom_id: string;
  params: z.infer<typeof ParamsSchema>;
}

/** One problem with one request: the dotted path of the field and what is wrong. */
export interface RequestIssue {
  field: string;
  message: string;
}

/**
 * Checks one parsed request; returns its problems (empty when valid). Parameters the current API
 * version no longer takes (temperature, top_p, top_k) are problems: the API would refuse them.
 */
export function checkRequest(value: unknown): RequestIssue[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [
      {
        field: 'request',
        message: `must be a JSON object with custom_id and params, got ${typeName(value)}`,
      },
    ];
  }
  const removed = removedParamIssues((value as { params?: unknown }).params);
  const result = BatchRequestSchema.safeParse(value);
  if (result.success) return removed;
  const issues: RequestIssue[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const prefix = issue.path.length ? `${issue.path.join('.')}.` : '';
      for (const key of issue.keys) {
        issues.push({
          field: `${prefix}${key}`,
          message:
            'unknown key: a request has only custom_id and params (keep other data out of the request)',
        });
      }
      continue;
    }
    issues.push({ field: issue.path.join('.') || 'request', message: issue.message });
  }
  return [...issues, ...removed];
}
