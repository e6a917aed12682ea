import { ExitCode, type ExitCodeValue } from '../cli/exit-codes.js';

/** An error the user can act on: one line of message, an optional hint, and the exit code it maps to. */
export class CliError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  /** Extra lines printed after the message (e.g. the list of problems in a file). */
  readonly details: string[];

  constructor(
    message: string,
    options: { exitCode?: ExitCodeValue; hint?: string; details?: string[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? ExitCode.FAILURE;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }
}

/** Bad flags or arguments. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.USAGE, ...(hint === undefined ? {} : { hint }) });
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
    super(message, { exitCode: ExitCode.USAGE, details, ...(hint === undefined ? {} : { hint }) });
    this.name = 'InputError';
    this.problems = problems;
    this.problemCount = problemCount;
  }
}

/** No credentials, or credentials refused. */
export class AuthError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.AUTH, ...(hint === undefined ? {} : { hint }) });
    this.name = 'AuthError';
  }
}

/** The batch is unknown, or not in the state the command needs. */
export class BatchStateError extends CliError {
  readonly batchId: string;
  readonly status: string | undefined;

  constructor(message: string, batchId: string, options: { hint?: string; status?: string } = {}) {
    super(message, {
      exitCode: ExitCode.BATCH_STATE,
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
    super(message, { exitCode: ExitCode.INTERRUPTED, ...(hint === undefined ? {} : { hint }) });
    this.name = 'InterruptedError';
  }
}
