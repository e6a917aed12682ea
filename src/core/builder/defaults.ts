/**
 * The builder's defaults, in a module of their own (no imports) so that the CLI can show them in
 * help without loading the builder.
 */

/** The model used when neither --model nor CLAUDE_BATCH_MODEL says otherwise: the cheapest current one. */
export const DEFAULT_MODEL = 'claude-haiku-4-5';

/** The environment variable that overrides {@link DEFAULT_MODEL}. */
export const MODEL_ENV = 'CLAUDE_BATCH_MODEL';

/** max_tokens when --max-tokens is not given. */
export const DEFAULT_MAX_TOKENS = 1024;

/** The request file written when no output is named (as the original script did). */
export const DEFAULT_OUTPUT = 'batch_requests.jsonl';

/** The effort levels of `output_config.effort` (the SDK's `OutputConfig`), for `--effort`. */
export const EFFORT_LEVELS = ['low', 'medium', 'high', 'xhigh', 'max'] as const;
