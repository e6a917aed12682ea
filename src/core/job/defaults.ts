/**
 * A job's defaults, in a module of their own (no runtime imports but the API's limits) so that
 * the CLI can show them in help without loading the job machinery.
 */
import { MAX_BATCH_BYTES, MAX_BATCH_REQUESTS } from '../requests/limits.js';

/** Default shard limits: headroom under the API's 100,000 requests and 256 MB. */
export const SHARD_MAX_REQUESTS = Math.floor(MAX_BATCH_REQUESTS * 0.99);
export const SHARD_MAX_BYTES = Math.floor(MAX_BATCH_BYTES * 0.97);

/** Error types worth sending again by default; `invalid_request_error` never is, unless named. */
export const RETRYABLE_ERRORS = [
  'rate_limit_error',
  'api_error',
  'overloaded_error',
  'timeout_error',
] as const;

/**
 * Requests a job keeps waiting in the API's processing queue at most (`run --max-queued`): the
 * lowest tier's cap on batch requests queued across the account (tier 1: 100,000; see the
 * README's table), so that a job alone never meets the API's 429 on any account.
 */
export const DEFAULT_MAX_QUEUED = 100_000;
