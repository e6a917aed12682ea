import type { ErrorKind } from '../core/errors.js';

/** Process exit codes, documented in the README and SKILL.md. Only the CLI's entry uses them to end a process. */
export const ExitCode = {
  /** Everything asked for was done. */
  OK: 0,
  /** The API, the network or the machine failed (after retries), or something unexpected happened. */
  FAILURE: 1,
  /** Bad usage or bad input (unknown flag, invalid request file, output exists). Nothing was sent. */
  USAGE: 2,
  /** The batch is not in a state for this (not found, not ended yet). */
  BATCH_STATE: 3,
  /** No API key, or the API refused it (401/403). */
  AUTH: 4,
  /** `monitor --timeout` passed before every batch ended. */
  TIMEOUT: 5,
  /** Interrupted by Ctrl-C (SIGINT) or SIGTERM. */
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const BY_KIND: Record<ErrorKind, ExitCodeValue> = {
  usage: ExitCode.USAGE,
  'not-found': ExitCode.BATCH_STATE,
  state: ExitCode.BATCH_STATE,
  auth: ExitCode.AUTH,
  timeout: ExitCode.TIMEOUT,
  interrupted: ExitCode.INTERRUPTED,
  environment: ExitCode.FAILURE,
  api: ExitCode.FAILURE,
  bug: ExitCode.FAILURE,
};

/** The exit code for an error of this kind. */
export function exitCodeFor(kind: ErrorKind): ExitCodeValue {
  return BY_KIND[kind];
}
