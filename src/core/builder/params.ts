import { z } from 'zod';
import { UsageError } from '../errors.js';
import { API_VERSION, REMOVED_PARAM_MESSAGE, REMOVED_PARAMS } from '../requests/api-version.js';

/** Keys the builder sets itself: they come from their own flags, never from --params / --param. */
const OWN_KEYS: Record<string, string> = {
  model: 'use --model',
  max_tokens: 'use --max-tokens',
  messages: 'the prompt comes from the input',
  system: 'use --system (and --cache-system)',
  stream: 'batch requests never stream',
};

/** Types of the Messages parameters most often added; any other key passes through unchecked. */
const ExtraParamsSchema = z.looseObject({
  stop_sequences: z.array(z.string()).optional(),
  metadata: z.looseObject({ user_id: z.string().optional() }).optional(),
  thinking: z.looseObject({ type: z.string() }).optional(),
  tools: z.array(z.looseObject({})).optional(),
  tool_choice: z.looseObject({ type: z.string() }).optional(),
  service_tier: z.string().optional(),
});

function parseJson(text: string, what: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON (${(error as Error).message})`, hint);
  }
}

/**
 * Merges `--params JSON` and each `--param key=json` into one object of extra Messages
 * parameters, checked: an object, none of the keys the builder owns, known keys well typed.
 */
export function parseExtraParams(params: string | undefined, pairs: string[] = []): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  if (params !== undefined) {
    const value = parseJson(params, '--params', `pass an object, e.g. --params '{"stop_sequences":["END"]}'`);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new UsageError('--params must be a JSON object', `e.g. --params '{"stop_sequences":["END"]}'`);
    }
    Object.assign(extra, value);
  }
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!key) {
      throw new UsageError(`--param ${pair}: expected key=json`, `e.g. --param 'stop_sequences=["END"]'`);
    }
    extra[key] = parseJson(
      pair.slice(eq + 1),
      `--param ${key}`,
      `the value is JSON: quote strings, e.g. --param '${key}="text"'`,
    );
  }
  for (const key of Object.keys(extra)) {
    const why = OWN_KEYS[key];
    if (why) throw new UsageError(`params.${key} cannot be set with --params or --param`, why);
    if ((REMOVED_PARAMS as readonly string[]).includes(key)) {
      throw new UsageError(
        `params.${key}: ${REMOVED_PARAM_MESSAGE}`,
        `leave ${key} out of --params / --param: API version ${API_VERSION} has no ${REMOVED_PARAMS.join(', ')}`,
      );
    }
  }
  const checked = ExtraParamsSchema.safeParse(extra);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new UsageError(
      `params.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      'check the value given with --params / --param',
    );
  }
  return extra;
}
