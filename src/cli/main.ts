import { CommanderError } from 'commander';
import { CliError } from '../core/errors.js';
import { createContext, type GlobalOptions } from './context.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { createProgram, type Invoke } from './program.js';
import { renderError } from './render-error.js';
import { VERSION } from './version.js';

/**
 * Runs the CLI once and returns its exit code. Never exits the process and never throws:
 * every error is rendered on stderr here, the only place that maps errors to exit codes.
 */
export async function main(argv: string[], io: Io): Promise<number> {
  let exitCode: number = ExitCode.OK;
  let verbose = argv.includes('--verbose');
  let secret: string | undefined;

  const invoke: Invoke = async (_name, load, args, options) => {
    const globals: GlobalOptions = {
      ...(typeof options.baseUrl === 'string' ? { baseUrl: options.baseUrl } : {}),
      ...(typeof options.workspace === 'string' ? { workspace: options.workspace } : {}),
      verbose: options.verbose === true,
    };
    verbose = globals.verbose === true;
    const ctx = createContext(io, globals);
    try {
      const module = await load();
      exitCode = (await module.run(ctx, args, options)) ?? ExitCode.OK;
    } finally {
      secret = ctx.secret();
    }
  };

  const program = createProgram(io, invoke, VERSION);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help / version).
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (io.signal.aborted && !(error instanceof CliError)) {
      io.stderr.write('Interrupted.\n');
      return ExitCode.INTERRUPTED;
    }
    const rendered = renderError(error, { verbose, secret: secret ?? io.env.ANTHROPIC_API_KEY });
    io.stderr.write(rendered.text);
    return rendered.exitCode;
  }
  return exitCode;
}
