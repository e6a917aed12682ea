import { Command } from 'commander';
import { DEFAULT_BASE_URL } from '../core/api/client.js';
import { baseUrl, examples, type Invoke } from './define.js';
import type { Io } from './io.js';
import { defineOptions, withOptions } from './options.js';
import { registerBatchCommands } from './register-batches.js';
import { registerBuildCommands } from './register-build.js';
import { registerJobCommands } from './register-jobs.js';
import { registerMonitorCommands } from './register-monitor.js';

export type { CommandModule, Invoke } from './define.js';

/** Width of help text, fixed so that help reads the same everywhere (and can be pinned by tests). */
export const HELP_WIDTH = 100;

/** Options every command accepts. */
export const GLOBAL_OPTIONS = defineOptions({
  baseUrl: {
    flags: '--base-url <url>',
    help: 'API base URL',
    parse: baseUrl,
    defaultText: `$ANTHROPIC_BASE_URL or ${DEFAULT_BASE_URL}`,
  },
  workspace: { flags: '--workspace <id>', help: 'send anthropic-workspace-id with every call' },
  verbose: { flags: '--verbose', help: 'show stack traces and the SDK debug log (the key is never shown)' },
});

/** The whole command tree. Actions are delegated to `invoke`, so the parser can be used on its own. */
export function createProgram(io: Pick<Io, 'stdout' | 'stderr'>, invoke: Invoke, version: string): Command {
  const root = new Command('claude-batch')
    .description(
      "Anthropic's Message Batches API from the terminal: build request files, submit them at half price,\nwatch them, and stream the results to disk. `claude-batch emulator` runs the API offline.",
    )
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help');
  const program = withOptions(root, GLOBAL_OPTIONS)
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      getOutHelpWidth: () => HELP_WIDTH,
      getErrHelpWidth: () => HELP_WIDTH,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .exitOverride()
    .addHelpText(
      'after',
      examples([
        'claude-batch demo                              # the whole flow offline, no key needed',
        'claude-batch build csv reviews.csv --prompt-column text -o requests.jsonl',
        'id=$(claude-batch submit requests.jsonl)',
        'claude-batch monitor "$id" --results results.jsonl',
        'claude-batch results "$id" --format compact -o answers.jsonl',
        '',
        'Environment: ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), ANTHROPIC_BASE_URL, CLAUDE_BATCH_MODEL, NO_COLOR.',
        'Exit codes: 0 ok, 1 API/network failure, 2 bad usage or input, 3 batch not found or not ended,',
        '            4 no key or key refused, 5 monitor timeout, 130 interrupted.',
      ]),
    );

  registerBatchCommands(program, invoke);
  registerBuildCommands(program, invoke);
  registerMonitorCommands(program, invoke);
  registerJobCommands(program, invoke);

  return program;
}
