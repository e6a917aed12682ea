import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '../core/duration.js';
import type { Context } from './context.js';
import type { Io } from './io.js';

/** A command module: a `run` that takes the context, the positional arguments and the options. */
export interface CommandModule {
  // Method syntax on purpose: each command declares its own options type (checked bivariantly).
  run(ctx: Context, args: string[], options: object): Promise<number | undefined>;
}

/** How an action is carried out: the real CLI loads and runs the module; parse-only tests record it. */
export type Invoke = (
  name: string,
  load: () => Promise<CommandModule>,
  args: string[],
  options: Record<string, unknown>,
  command: Command,
) => Promise<void>;

/** Width of help text, fixed so that help reads the same everywhere (and can be pinned by tests). */
export const HELP_WIDTH = 100;

/** Parses a positive integer option. */
export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(
        `${name} must be a whole number from 1 to ${max.toLocaleString('en-US')}.`,
      );
    }
    return n;
  };
}

/** Parses a duration option (`500ms`, `2s`, `5m`, `1h`) into milliseconds. */
export function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('use a duration such as 500ms, 30s, 5m or 2h.');
  return ms;
}

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/** Adds a command whose action hands its arguments to `invoke`. */
function action(cmd: Command, name: string, load: () => Promise<CommandModule>, invoke: Invoke): Command {
  return cmd.action(async (...raw: unknown[]) => {
    const command = raw.pop() as Command;
    raw.pop();
    const args = raw.flat().filter((a): a is string => typeof a === 'string');
    await invoke(name, load, args, command.optsWithGlobals(), command);
  });
}

/** The whole command tree. Actions are delegated to `invoke`, so the parser can be used on its own. */
export function createProgram(io: Pick<Io, 'stdout' | 'stderr'>, invoke: Invoke, version: string): Command {
  const program = new Command('claude-batch')
    .description(
      "Anthropic's Message Batches API from the terminal: build request files, submit them at half price,\nwatch them, and stream the results to disk. `claude-batch emulator` runs the API offline.",
    )
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--base-url <url>', 'API base URL (default: $ANTHROPIC_BASE_URL or https://api.anthropic.com)')
    .option('--workspace <id>', 'send anthropic-workspace-id with every call')
    .option('--verbose', 'show stack traces and the SDK debug log (the key is never shown)')
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

  action(
    program
      .command('submit')
      .description('validate a JSONL request file and create a batch; prints the batch id on stdout')
      .argument('<file>', 'request file (JSONL: one {"custom_id", "params"} per line), or - for stdin')
      .option('--dry-run', 'validate and summarise; send nothing')
      .option('--json', 'print the created MessageBatch as JSON on stdout')
      .addHelpText(
        'after',
        examples([
          'claude-batch submit requests.jsonl',
          'id=$(claude-batch submit requests.jsonl)      # stdout is only the id',
          'claude-batch submit requests.jsonl --dry-run  # check the file, send nothing',
          'cat requests.jsonl | claude-batch submit - --json',
        ]),
      ),
    'submit',
    () => import('./commands/submit.js'),
    invoke,
  );

  action(
    program
      .command('status')
      .description('show the status and request counts of one or more batches')
      .argument('<id...>', 'batch id(s)')
      .option('--json', 'print the MessageBatch as JSON (an array for several ids)')
      .addHelpText(
        'after',
        examples([
          'claude-batch status msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d',
          'claude-batch status "$id" --json | jq -r .processing_status',
        ]),
      ),
    'status',
    () => import('./commands/status.js'),
    invoke,
  );

  action(
    program
      .command('list')
      .description('list batches, newest first')
      .option('--limit <n>', 'show at most N batches', positiveInt('--limit'), 20)
      .option('--all', 'walk every page and show every batch')
      .option('--json', 'print a JSON array of MessageBatch objects')
      .addHelpText(
        'after',
        examples([
          'claude-batch list',
          'claude-batch list --limit 3',
          'claude-batch list --all --json | jq length',
        ]),
      ),
    'list',
    () => import('./commands/list.js'),
    invoke,
  );

  action(
    program
      .command('cancel')
      .description('start cancelling a batch (it goes to canceling, then ended)')
      .argument('<id>', 'batch id')
      .option('--json', 'print the MessageBatch as JSON')
      .addHelpText('after', examples(['claude-batch cancel msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d'])),
    'cancel',
    () => import('./commands/cancel.js'),
    invoke,
  );

  action(
    program
      .command('delete')
      .description('delete an ended batch and its results')
      .argument('<id>', 'batch id')
      .option('--json', 'print the API answer as JSON')
      .addHelpText('after', examples(['claude-batch delete msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d'])),
    'delete',
    () => import('./commands/delete.js'),
    invoke,
  );

  action(
    program
      .command('results')
      .description('stream the results of an ended batch to a file or stdout')
      .argument('<id>', 'batch id')
      .option('-o, --output <file>', 'write to FILE (atomically); - or no -o writes to stdout')
      .addOption(
        new Option(
          '--format <format>',
          'jsonl: every line as the API sent it; compact: one flat line a result',
        )
          .choices(['jsonl', 'compact'])
          .default('jsonl'),
      )
      .option('--force', 'replace the output file if it exists')
      .option('--json', 'print the summary as JSON on stdout (with -o FILE)')
      .addHelpText(
        'after',
        examples([
          'claude-batch results "$id" -o results.jsonl',
          'claude-batch results "$id" --format compact | jq -r .text',
          'claude-batch results "$id" -o out.jsonl --json   # summary as JSON on stdout',
        ]),
      ),
    'results',
    () => import('./commands/results.js'),
    invoke,
  );

  action(
    program
      .command('emulator')
      .description('run a local emulator of the Message Batches API (no key, no network needed)')
      .option('--host <host>', 'interface to listen on', '127.0.0.1')
      .option('--port <port>', 'port (0 picks a free one)', (v) => Number.parseInt(v, 10), 8787)
      .option('--processing-time <duration>', 'how long each batch takes to end', duration, 2000)
      .option('--api-key <key>', 'accept only this key (default: any non-empty key)')
      .option('--answer-size <chars>', 'characters of text in each answer', positiveInt('--answer-size'))
      .addHelpText(
        'after',
        examples([
          'claude-batch emulator --port 8787 --processing-time 5s',
          'export ANTHROPIC_BASE_URL=http://127.0.0.1:8787 ANTHROPIC_API_KEY=emulator',
          '',
          'Test triggers in a prompt: EMULATE_ERROR=<error_type> comes back errored with that type;',
          'EMULATE_EXPIRE comes back expired.',
        ]),
      ),
    'emulator',
    () => import('./commands/emulator.js'),
    invoke,
  );

  return program;
}
