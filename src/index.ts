/**
 * claude-batch as a library: the same core the CLI uses. Every function returns data and throws
 * CliError subclasses with a kind (`usage`, `not-found`, `environment`…) and a hint;
 * `exitCodeFor(kind)` gives the CLI's exit code for it; nothing here prints or exits.
 */

export { ExitCode, exitCodeFor } from './cli/exit-codes.js';
export { cancelBatch, deleteBatch, getBatch, listBatches, totalRequests } from './core/api/batches.js';
export { type BatchClient, type ClientOptions, createClient, DEFAULT_BASE_URL } from './core/api/client.js';
export type { DeletedMessageBatch, MessageBatch, MessageBatchIndividualResponse } from './core/api/types.js';
export {
  type BuildOptions,
  type BuildSource,
  type BuildSummary,
  buildRequestFile,
  DEFAULT_OUTPUT,
} from './core/builder/build.js';
export { DEFAULT_MODEL } from './core/builder/request-shape.js';
export { formatDuration, parseDuration } from './core/duration.js';
export {
  AuthError,
  BatchStateError,
  CliError,
  EnvironmentError,
  type ErrorKind,
  InputError,
  type InputProblem,
  InterruptedError,
  TimeoutError,
  UsageError,
} from './core/errors.js';
export { openAtomicFile, type Sink, streamSink } from './core/fs/atomic-file.js';
export { type RawLine, readLines } from './core/fs/lines.js';
export { joinBatchResults } from './core/join/batch.js';
export { type JoinOptions, type JoinSummary, joinResults } from './core/join/join.js';
export { type RequestFileStats, validateRequests } from './core/requests/file.js';
export { CUSTOM_ID_PATTERN, MAX_BATCH_BYTES, MAX_BATCH_REQUESTS } from './core/requests/limits.js';
export { checkOutputSchema, type SchemaIssue } from './core/requests/output-schema.js';
export { type BatchRequest, BatchRequestSchema, checkRequest } from './core/requests/schema.js';
export { type DownloadOptions, downloadResults, type ResultsFormat } from './core/results/download.js';
export { compactLine, type ResultFacts, resultFacts } from './core/results/line.js';
export {
  loadOutputSpecs,
  type OutputColumns,
  type OutputSpec,
  OutputSpecs,
  outputFieldNames,
  outputValues,
  type StructuredOutput,
} from './core/results/output.js';
export type { ResultsSummary } from './core/results/summary.js';
export { type RequestSource, type SubmitResult, submitRequests } from './core/submit/submit.js';
export { type Emulator, type EmulatorOptions, startEmulator } from './emulator/server.js';
