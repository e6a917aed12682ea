import { redact } from '../core/api/client.js';
import { CliError, EnvironmentError } from '../core/errors.js';
import { type ExitCodeValue, exitCodeFor } from './exit-codes.js';
import { asEnvironmentError, meaningOf } from './system-errors.js';

/**
 * The one place errors become text. A CliError is one line plus its details and hint, with the
 * exit code of its kind; a system error (port in use, disk full, host not found) is worded as an
 * environment error; anything else is a bug, reported as such. Stack traces only with
 * `--verbose`. The secret is scrubbed.
 */
export function renderError(
  error: unknown,
  options: { verbose: boolean; secret: string | undefined },
): { text: string; exitCode: ExitCodeValue } {
  const lines: string[] = [];
  const known = error instanceof CliError ? error : asEnvironmentError(error);
  if (known) {
    let message = known.message;
    let hint = known.hint;
    if (known instanceof EnvironmentError && known.code && !message.includes(known.code)) {
      const meaning = meaningOf(known.code);
      message += meaning ? `: ${meaning.what} (${known.code})` : ` (${known.code})`;
      hint ??= meaning?.hint;
    }
    lines.push(`error: ${message}`);
    for (const detail of known.details) lines.push(`  ${detail}`);
    if (hint) lines.push(`hint: ${hint}`);
    if (options.verbose && known.cause instanceof Error && known.cause.stack) lines.push(known.cause.stack);
    return { text: redact(`${lines.join('\n')}\n`, options.secret), exitCode: exitCodeFor(known.kind) };
  }
  const message = error instanceof Error ? error.message : String(error);
  lines.push(`error: unexpected failure: ${message}`);
  lines.push(
    options.verbose
      ? String((error as Error)?.stack ?? '')
      : 'hint: this is a bug in claude-batch; run again with --verbose and report the output',
  );
  return { text: redact(`${lines.join('\n')}\n`, options.secret), exitCode: exitCodeFor('bug') };
}
