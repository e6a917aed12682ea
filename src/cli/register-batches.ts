import { type Command, InvalidArgumentError, Option } from 'commander';
import { FaultSpecError, parseFaults } from '../emulator/faults.js';
import { action, duration, examples, type Invoke, money, positiveInt } from './define.js';

/** The options of `--join` (for `results` and `job results`). */
export function joinOptions(cmd: Command, mapHelp: string): Command {
  return cmd
    .option('--join <input>', 'write the rows of the input build read, in order, each with its result')
    .option('--map <file>', `with --join: ${mapHelp}`)
    .option('--requests <file>', 'with --join: the request file build wrote (its sidecar is read)')
    .addOption(
      new Option(
        '--join-source <kind>',
        'with --join: how to read the input (default: as the map says; an older map: from the extension)',
      ).choices(['csv', 'json', 'jsonl', 'text']),
    )
    .option(
      '--delimiter <char>',
      "with --join on CSV: the separator given to build (default: the map's; an older map: , or tab for .tsv)",
    )
    .addOption(
      new Option('--split-by <unit>', "with --join on text: as given to build (default: the map's)").choices([
        'line',
        'paragraph',
      ]),
    );
}

/** submit, status, list, cancel, delete, results and emulator. */
export function registerBatchCommands(program: Command, invoke: Invoke): void {
  action(
    program
      .command('submit')
      .description('validate a JSONL request file and create a batch; prints the batch id on stdout')
      .argument('<file>', 'request file (JSONL: one {"custom_id", "params"} per line), or - for stdin')
      .option('--dry-run', 'validate and summarise; send nothing')
      .option('--json', 'print the created MessageBatch as JSON on stdout')
      .option('--max-cost <usd>', 'refuse to send when the estimated ceiling is over this many USD', money)
      .option(
        '--prices <file>',
        'a JSON price table for --max-cost, --dry-run and the price warning (default: $CLAUDE_BATCH_PRICES)',
      )
      .option(
        '--strict',
        'refuse to send on a warning: an unknown model or price, a prompt over the context window',
      )
      .addHelpText(
        'after',
        examples([
          'claude-batch submit requests.jsonl',
          'id=$(claude-batch submit requests.jsonl)      # stdout is only the id',
          'claude-batch submit requests.jsonl --dry-run  # check the file, estimate the cost; send nothing',
          'claude-batch submit requests.jsonl --max-cost 20',
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
      .argument('<id...>', 'one or more batch ids')
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
    joinOptions(
      program
        .command('results')
        .description('stream the results of an ended batch to a file or stdout')
        .argument('[id]', 'batch id (none with --from)')
        .option('-o, --output <file>', 'write to FILE (atomically); - or no -o writes to stdout')
        .option(
          '--from <results.jsonl>',
          'with --join: read the results from this file (monitor --results, results -o) instead of downloading them',
        )
        .addOption(
          new Option(
            '--format <format>',
            'jsonl: every line as the API sent it; compact: one flat JSON line a result; csv: one row a result (with --join: the input rows)',
          )
            .choices(['jsonl', 'compact', 'csv'])
            .default('jsonl'),
        )
        .option('--force', 'replace the output file if it exists')
        .option('--json', 'print the summary as JSON on stdout (with -o FILE)')
        .option('--prices <file>', 'a JSON price table for the cost line (default: $CLAUDE_BATCH_PRICES)')
        .addHelpText(
          'after',
          examples([
            'claude-batch results "$id" -o results.jsonl',
            'claude-batch results "$id" --format compact | jq -r .text',
            'claude-batch results "$id" -o out.jsonl --json   # summary as JSON on stdout',
            'claude-batch results "$id" --join data.csv --requests requests.jsonl --format csv -o joined.csv',
            'claude-batch results --join data.csv --requests requests.jsonl --from results.jsonl -o joined.jsonl',
          ]),
        ),
      'the sidecar build wrote (requests.jsonl.map)',
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
      .option(
        '--faults <spec>',
        'inject faults: a comma list of kind=value (429=0.1, 500=0.05, 529=0.1, slow=200ms, notfound-after-create=2s, reset=0.3, truncate=0.2, result-error=0.1, result-expire=0.05, lost-create=0.5, retry-after=20ms, retry-after-only=ms|seconds|date: send the wait as retry-after-ms or retry-after alone, instead of both)',
        faultSpec,
      )
      .option('--seed <n>', 'seed of the fault decisions: the same seed, the same faults', seedNumber, 1)
      .addHelpText(
        'after',
        examples([
          'claude-batch emulator --port 8787 --processing-time 5s',
          'claude-batch emulator --faults 429=0.1,529=0.05,reset=0.3,slow=100ms --seed 7',
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
}

/** Parses `--faults`, with the problem named on a bad SPEC. */
function faultSpec(value: string): string {
  try {
    parseFaults(value);
  } catch (error) {
    if (error instanceof FaultSpecError) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return value;
}

/** Parses `--seed`: a whole number from 0 to 2^32 - 1. */
function seedNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 0xffffffff) {
    throw new InvalidArgumentError('--seed must be a whole number from 0 to 4294967295.');
  }
  return n;
}
