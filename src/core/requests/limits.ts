/** The API's limits for one batch, and the shapes it enforces at create time. */

/** Most requests one batch may hold. */
export const MAX_BATCH_REQUESTS = 100_000;

/**
 * Most bytes one create body may have. The API says "256 MB"; we read it as 256,000,000 bytes,
 * the smaller of the two readings, so a file we accept is never refused for its size.
 */
export const MAX_BATCH_BYTES = 256_000_000;

/** The rule every custom_id must follow. */
export const CUSTOM_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** Bytes of the JSON body around the request lines: `{"requests":[` … `]}`. */
export const BODY_OVERHEAD_BYTES = '{"requests":['.length + ']}'.length;

/** A batch's results stay downloadable this long after it is created. */
export const RESULTS_RETENTION_DAYS = 29;

/** A batch expires (unfinished requests become `expired`) this long after it is created. */
export const BATCH_EXPIRY_MS = 24 * 60 * 60 * 1000;

/**
 * The context window assumed for every model: 200,000 tokens, the standard window of current
 * Claude models (larger windows are opt-in). Prompts are measured with the rough estimate
 * (characters ÷ 4), so a prompt over it is warned about, never refused.
 */
export const CONTEXT_WINDOW_TOKENS = 200_000;
