/**
 * claude-batch as a library: the same core the CLI uses. Every function returns data and throws
 * CliError subclasses with an exit code and a hint; nothing here prints or exits.
 */
export { openAtomicFile, type Sink, streamSink } from './core/atomic-file.js';
export { cancelBatch, deleteBatch, getBatch, listBatches, totalRequests } from './core/batches.js';
export {
  type BuildOptions,
  type BuildSource,
  type BuildSummary,
  buildRequestFile,
  DEFAULT_OUTPUT,
} from './core/build/build.js';
export { DEFAULT_MODEL } from './core/build/request-shape.js';
export { type BatchClient, type ClientOptions, createClient, DEFAULT_BASE_URL } from './core/client.js';
export { formatDuration, parseDuration } from './core/duration.js';
export {
  AuthError,
  BatchStateError,
  CliError,
  InputError,
  type InputProblem,
  InterruptedError,
  UsageError,
} from './core/errors.js';
export { ExitCode } from './core/exit-codes.js';
export { joinBatchResults } from './core/join/batch.js';
export { type JoinOptions, type JoinSummary, joinResults } from './core/join/join.js';
export { CUSTOM_ID_PATTERN, MAX_BATCH_BYTES, MAX_BATCH_REQUESTS } from './core/limits.js';
export { type RawLine, readLines } from './core/lines.js';
export { type RequestFileStats, validateRequests } from './core/request-file.js';
export { type BatchRequest, BatchRequestSchema, checkRequest } from './core/request-schema.js';
export { compactLine, type ResultFacts, resultFacts } from './core/result-line.js';
export { type DownloadOptions, downloadResults, type ResultsFormat } from './core/results.js';
export type { ResultsSummary } from './core/results-summary.js';
export { type RequestSource, type SubmitResult, submitRequests } from './core/submit.js';
export type { DeletedMessageBatch, MessageBatch, MessageBatchIndividualResponse } from './core/types.js';
export { type Emulator, type EmulatorOptions, startEmulator } from './emulator/server.js';
