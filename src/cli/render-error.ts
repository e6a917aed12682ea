import { redact } from '../core/api/client.js';
import { CliError } from '../core/errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/**
 * The one place errors become text. A CliError is one line plus its details and hint; anything
 * else is a bug, reported as such. Stack traces only with `--verbose`. The secret is scrubbed.
 */
export function renderError(
  error: unknown,
  options: { verbose: boolean; secret: string | undefined },
): { text: string; exitCode: ExitCodeValue } {
  const lines: string[] = [];
  let exitCode: ExitCodeValue = ExitCode.FAILURE;
  if (error instanceof CliError) {
    exitCode = error.exitCode;
    lines.push(`error: ${error.message}`);
    for (const detail of error.details) lines.push(`  ${detail}`);
    if (error.hint) lines.push(`hint: ${error.hint}`);
    if (options.verbose && error.cause instanceof Error && error.cause.stack) lines.push(error.cause.stack);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    lines.push(`error: unexpected failure: ${message}`);
    lines.push(
      options.verbose
        ? String((error as Error)?.stack ?? '')
        : 'hint: this is a bug in claude-batch; run again with --verbose and report the output',
    );
  }
  return { text: redact(`${lines.join('\n')}\n`, options.secret), exitCode };
}
