/**
 * What went wrong, by kind. The core raises these with the facts; the CLI picks the exit code
 * (src/cli/exit-codes.ts) and the words around them. Nothing here knows about processes or flags.
 *
 * - `usage`: a user mistake (bad flag value, bad input file, output exists). Nothing was sent.
 * - `not-found`: the batch, job or file named does not exist.
 * - `state`: the batch or job exists but is not in a state for this (not ended yet).
 * - `auth`: no credentials, or the API refused them.
 * - `timeout`: a deadline the user set passed (monitor --timeout).
 * - `interrupted`: Ctrl-C or SIGTERM.
 * - `environment`: the machine or network (DNS, refused connection, port in use, disk full,
 *   permissions) — says what and what to do.
 * - `api`: the API failed or was too busy, after retries.
 * - `bug`: nothing the user can do; only for the truly unexpected.
 */
export type ErrorKind =
  | 'usage'
  | 'not-found'
  | 'state'
  | 'auth'
  | 'timeout'
  | 'interrupted'
  | 'environment'
  | 'api'
  | 'bug';

/** An error the user can act on: one line of message, an optional hint, and its kind. */
export class CliError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  /** Extra lines printed after the message (e.g. the list of problems in a file). */
  readonly details: string[];

  constructor(
    message: string,
    options: { kind?: ErrorKind; hint?: string; details?: string[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.kind = options.kind ?? 'api';
    this.hint = options.hint;
    this.details = options.details ?? [];
  }
}

/** Bad flags or arguments. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { kind: 'usage', ...(hint === undefined ? {} : { hint }) });
    this.name = 'UsageError';
  }
}

/** One problem found in an input file, located as precisely as possible. */
export interface InputProblem {
  file: string;
  /** 1-based line number, when the problem belongs to a line. */
  line?: number;
  /** The field (dotted path) at fault, or a word naming what is wrong (`json`, `file`, `custom_id`…). */
  field: string;
  message: string;
}

/** Renders a problem as `FILE:LINE: field: what is wrong`. */
export function formatProblem(p: InputProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return `${where}: ${p.field}: ${p.message}`;
}

/** Invalid input: every problem (up to a cap) is kept so the user can fix them in one go. */
export class InputError extends CliError {
  readonly problems: InputProblem[];
  readonly problemCount: number;

  constructor(problems: InputProblem[], problemCount: number = problems.length, hint?: string) {
    const first = problems[0];
    const message =
      problemCount === 1 && first
        ? formatProblem(first)
        : `${problemCount} problems in ${first?.file ?? 'the input'}; nothing was sent`;
    const details = problemCount === 1 ? [] : problems.map(formatProblem);
    if (problemCount > problems.length) details.push(`… and ${problemCount - problems.length} more`);
    super(message, { kind: 'usage', details, ...(hint === undefined ? {} : { hint }) });
    this.name = 'InputError';
    this.problems = problems;
    this.problemCount = problemCount;
  }
}

/** No credentials, or credentials refused. */
export class AuthError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { kind: 'auth', ...(hint === undefined ? {} : { hint }) });
    this.name = 'AuthError';
  }
}

/** The batch is unknown (`not-found`), or not in the state the command needs (`state`). */
export class BatchStateError extends CliError {
  readonly batchId: string;
  readonly status: string | undefined;

  constructor(
    message: string,
    batchId: string,
    options: { hint?: string; status?: string; kind?: 'not-found' | 'state' } = {},
  ) {
    super(message, {
      kind: options.kind ?? (options.status === undefined ? 'not-found' : 'state'),
      ...(options.hint === undefined ? {} : { hint: options.hint }),
    });
    this.name = 'BatchStateError';
    this.batchId = batchId;
    this.status = options.status;
  }
}

/** The operation was interrupted (Ctrl-C, SIGTERM). */
export class InterruptedError extends CliError {
  constructor(message = 'Interrupted', hint?: string) {
    super(message, { kind: 'interrupted', ...(hint === undefined ? {} : { hint }) });
    this.name = 'InterruptedError';
  }
}

/** A deadline the user set passed before the work was done. */
export class TimeoutError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { kind: 'timeout', ...(hint === undefined ? {} : { hint }) });
    this.name = 'TimeoutError';
  }
}

/** The machine or the network stood in the way (DNS, refused connection, port in use, disk full, permissions). */
export class EnvironmentError extends CliError {
  /** The system error code behind it (ENOSPC, EADDRINUSE…), when there is one. */
  readonly code: string | undefined;

  constructor(message: string, options: { hint?: string; code?: string; cause?: unknown } = {}) {
    super(message, {
      kind: 'environment',
      ...(options.hint === undefined ? {} : { hint: options.hint }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = 'EnvironmentError';
    this.code = options.code;
  }
}

/** The errors in a chain of causes, outermost first (bounded, so a cycle cannot loop). */
export function* causes(error: unknown): Generator<Error> {
  let e: unknown = error;
  for (let depth = 0; depth < 8 && e instanceof Error; depth += 1) {
    yield e;
    e = e.cause;
  }
}

/** The first Node system error code (ENOSPC, ECONNREFUSED…) in an error's cause chain. */
export function systemCode(error: unknown): string | undefined {
  for (const e of causes(error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return code;
  }
  return undefined;
}
