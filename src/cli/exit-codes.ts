/** Process exit codes, documented in the README and SKILL.md. Only the CLI's entry uses them to end a process. */
export const ExitCode = {
  /** Everything asked for was done. */
  OK: 0,
  /** The API or the network failed (after retries), or something unexpected happened. */
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
