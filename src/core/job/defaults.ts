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
