import { type Command, InvalidArgumentError } from 'commander';
import { ANSWER_LIMIT } from '../core/report/limits.js';
import { DEFAULT_PROCESSING_MS } from '../emulator/defaults.js';
import { FaultSpecError, parseFaults } from '../emulator/faults.js';
import { action, BETA, DURATION, examples, type Invoke, money, port, positiveInt } from './define.js';
import { defineOptions, withOptions } from './options.js';

/** The options of `--join` (for `results` and `job results`); `mapHelp` says where --map defaults to. */
export function joinOptions(mapHelp: string) {
  return defineOptions({
    join: {
      flags: '--join <input>',
      help: 'write the rows of the input build read, in order, each with its result',
    },
    map: { flags: '--map <file>', help: `with --join: ${mapHelp}` },
    requests: {
      flags: '--requests <file>',
      help: 'with --join: the request file build wrote (its sidecar is read)',
    },
    joinSource: {
      flags: '--join-source <kind>',
      help: 'with --join: how to read the input',
      defaultText: 'as the map says; an older map: from the extension',
      choices: ['csv', 'json', 'jsonl', 'text'],
    },
    delimiter: {
      flags: '--delimiter <char>',
      help: 'with --join on CSV: the separator given to build',
      defaultText: "the map's; an older map: , or tab for .tsv",
    },
    splitBy: {
      flags: '--split-by <unit>',
      help: 'with --join on text: as given to build',
      defaultText: "the map's",
      choices: ['line', 'paragraph'],
    },
  });
}

/** What `--requests` and `--schema` do with structured answers, as a command's help says it. */
const STRUCTURED_USE = {
  columns: {
    requests:
      'with compact, csv or --join, structured answers (--schema, a forced tool) become output columns',
    schema: 'with compact, csv or --join: check every answer against this JSON Schema',
    marks: 'out_FIELD columns and output_error',
  },
  report: {
    requests: 'structured answers (--schema, a forced tool) are summed up per output field',
    schema: 'check every answer against this JSON Schema',
    marks: 'per-field summaries and output_error',
  },
} as const;

/**
 * What structured answers were asked for: `results` and `job results` make their fields columns,
 * `report` sums them up (`--requests` also names the sidecar with --join, as in {@link joinOptions}).
 */
export function outputOptions(use: keyof typeof STRUCTURED_USE = 'columns') {
  const words = STRUCTURED_USE[use];
  return defineOptions({
    requests: {
      flags: '--requests <file>',
      help: `the request file build wrote: with --join its sidecar is read; ${words.requests}`,
    },
    schema: {
      flags: '--schema <file>',
      help: `${words.schema} (instead of the requests' own): ${words.marks}`,
    },
  });
}

/** `--label TEXT` (submit, run): kept in the registry, shown by list and status. */
export const LABEL_OPTION = defineOptions({
  label: {
    flags: '--label <text>',
    help: 'a label for the batches, kept in the local registry (list shows it; list --label filters)',
  },
});

export const SUBMIT_OPTIONS = defineOptions({
  dryRun: { flags: '--dry-run', help: 'validate and summarise; send nothing' },
  beta: BETA,
  ...LABEL_OPTION,
  reuse: {
    flags: '--reuse [source]',
    help: 'do not send requests whose params already succeeded (same base URL, workspace and betas); their results go to FILE.reused-<id>.jsonl, which results and monitor --results add; SOURCE: a job id or folder, or a results file',
    defaultText: 'every job and results file the registry knows',
  },
  json: { flags: '--json', help: 'print the created MessageBatch as JSON on stdout' },
  maxCost: {
    flags: '--max-cost <usd>',
    help: 'refuse to send when the estimated ceiling is over this many USD',
    parse: money,
  },
  prices: {
    flags: '--prices <file>',
    help: 'a JSON price table for --max-cost, --dry-run and the price warning',
    defaultText: '$CLAUDE_BATCH_PRICES',
  },
  strict: {
    flags: '--strict',
    help: 'refuse to send on a warning: an unknown model or price, a prompt over the context window',
  },
});

export const STATUS_OPTIONS = defineOptions({
  json: { flags: '--json', help: 'print the MessageBatch as JSON (an array for several ids)' },
});

/** The most `list --limit` reads (page by page, 1,000 a page); `--all` has no bound. */
const LIST_LIMIT_MAX = 100_000;

export const LIST_OPTIONS = defineOptions({
  limit: {
    flags: '--limit <n>',
    help: 'show at most N batches (read page by page); --all for every one',
    parse: positiveInt('--limit', LIST_LIMIT_MAX),
    default: 20,
  },
  all: { flags: '--all', help: 'walk every page and show every batch' },
  wide: {
    flags: '--wide',
    help: 'every column (processing, errored, canceled, expired, ended), wider than 100',
  },
  label: {
    flags: '--label <text>',
    help: 'only the batches the registry knows with this label (from submit/run --label)',
  },
  json: {
    flags: '--json',
    help: 'print a JSON array of MessageBatch objects (with label, source, job_id, results_expire_at)',
  },
});

export const FORGET_OPTIONS = defineOptions({
  json: { flags: '--json', help: 'print the ids marked, as JSON' },
});

export const CANCEL_OPTIONS = defineOptions({
  json: { flags: '--json', help: 'print the MessageBatch as JSON' },
});

export const DELETE_OPTIONS = defineOptions({
  json: { flags: '--json', help: 'print the API answer as JSON' },
});

/** How results are written, wherever they are (`results`, `job results`). */
export const RESULTS_FORMAT = {
  flags: '--format <format>',
  help: 'jsonl: every line as the API sent it; compact: one flat JSON line a result; csv: one row a result (with --join: the input rows); sqlite: a results table in the database -o FILE (rows replaced by custom_id; with --join: the input columns too; needs better-sqlite3)',
  choices: ['jsonl', 'compact', 'csv', 'sqlite'],
  default: 'jsonl',
} as const;

export const RESULTS_OPTIONS = {
  ...defineOptions({
    output: { flags: '-o, --output <file>', help: 'write to FILE (atomically); - or no -o writes to stdout' },
    from: {
      flags: '--from <results.jsonl>',
      help: 'with --join: read the results from this file (monitor --results, results -o) instead of downloading them',
    },
    format: RESULTS_FORMAT,
    force: { flags: '--force', help: 'replace the output file if it exists' },
    json: { flags: '--json', help: 'print the summary as JSON on stdout (with -o FILE)' },
    prices: {
      flags: '--prices <file>',
      help: 'a JSON price table for the cost line',
      defaultText: '$CLAUDE_BATCH_PRICES',
    },
  }),
  ...joinOptions('the sidecar build wrote (requests.jsonl.map)'),
  ...outputOptions(),
};

/** The options every report writer shares (`report`, and `monitor`/`run --report`). */
export const REPORT_FULL = {
  flags: '--full',
  help: `keep answers and input cells whole in the report (default: cut at ${ANSWER_LIMIT} characters)`,
} as const;

export const REPORT_OPTIONS = {
  ...defineOptions({
    output: { flags: '-o, --output <file.html>', help: 'write the report to FILE.html (atomically)' },
    full: REPORT_FULL,
    force: { flags: '--force', help: 'replace the report file if it exists' },
    prices: {
      flags: '--prices <file>',
      help: 'a JSON price table for the cost section',
      defaultText: '$CLAUDE_BATCH_PRICES',
    },
  }),
  ...joinOptions('the sidecar build wrote (requests.jsonl.map); a job made from an input uses its own'),
  ...outputOptions('report'),
};

/** The emulator's port when none is given (0 picks a free one). */
export const EMULATOR_PORT = 8787;

export const EMULATOR_OPTIONS = defineOptions({
  host: { flags: '--host <host>', help: 'interface to listen on', default: '127.0.0.1' },
  port: { flags: '--port <port>', help: 'port (0 picks a free one)', parse: port, default: EMULATOR_PORT },
  processingTime: {
    flags: '--processing-time <duration>',
    help: 'how long each batch takes to end',
    ...DURATION,
    default: DEFAULT_PROCESSING_MS,
  },
  apiKey: { flags: '--api-key <key>', help: 'accept only this key (default: any non-empty key)' },
  answerSize: {
    flags: '--answer-size <chars>',
    help: 'characters of text in each answer',
    parse: positiveInt('--answer-size'),
  },
  queueLimit: {
    flags: '--queue-limit <n>',
    help: 'refuse (429 rate_limit_error, as the API does) a create that would put more than N requests of unfinished batches in the queue (default: no limit)',
    parse: positiveInt('--queue-limit'),
  },
  faults: {
    flags: '--faults <spec>',
    help: 'inject faults: a comma list of kind=value (429=0.1, 500=0.05, 529=0.1, slow=200ms, notfound-after-create=2s, reset=0.3, truncate=0.2, result-error=0.1, result-expire=0.05, invalid-output=0.2, lost-create=0.5, retry-after=20ms, retry-after-only=ms|seconds|date: send the wait as retry-after-ms or retry-after alone, instead of both)',
    parse: faultSpec,
  },
  seed: {
    flags: '--seed <n>',
    help: 'seed of the fault decisions: the same seed, the same faults',
    parse: seedNumber,
    default: 1,
  },
  models: {
    flags: '--models <file>',
    help: "model names to serve besides the API's (one a line, e.g. a newer model); a request for any other model comes back errored not_found_error",
  },
});

/** submit, status, list, cancel, delete, results, report and emulator. */
export function registerBatchCommands(program: Command, invoke: Invoke): void {
  action(
    withOptions(
      program
        .command('submit')
        .description('validate a JSONL request file and create a batch; prints the batch id on stdout')
        .argument('<file>', 'request file (JSONL: one {"custom_id", "params"} per line), or - for stdin'),
      SUBMIT_OPTIONS,
    ).addHelpText(
      'after',
      examples([
        'claude-batch submit requests.jsonl',
        'id=$(claude-batch submit requests.jsonl)      # stdout is only the id',
        'claude-batch submit requests.jsonl --dry-run  # check the file, estimate the cost; send nothing',
        'claude-batch submit requests.jsonl --max-cost 20',
        'cat requests.jsonl | claude-batch submit - --json',
        'claude-batch submit requests.jsonl --beta files-api-2025-04-14   # sent as the anthropic-beta header',
      ]),
    ),
    'submit',
    () => import('./commands/submit.js'),
    invoke,
  );

  action(
    withOptions(
      program
        .command('status')
        .description('show the status and request counts of one or more batches')
        .argument('<id...>', 'one or more batch ids'),
      STATUS_OPTIONS,
    ).addHelpText(
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
    withOptions(program.command('list').description('list batches, newest first'), LIST_OPTIONS).addHelpText(
      'after',
      examples([
        'claude-batch list',
        'claude-batch list --limit 3',
        'claude-batch list --all --json | jq length',
        'claude-batch list --label reviews-v2',
        '',
        'LABEL and SOURCE come from the local registry (batches made elsewhere show blank). A status',
        'ending in ! marks results not downloaded that the API deletes within 3 days.',
      ]),
    ),
    'list',
    () => import('./commands/list.js'),
    invoke,
  );

  action(
    withOptions(
      program
        .command('forget')
        .description('mark batches as forgotten in the local registry (kept, not erased)')
        .argument('<id...>', 'one or more batch ids'),
      FORGET_OPTIONS,
    ).addHelpText(
      'after',
      examples([
        'claude-batch forget msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d',
        '',
        'Nothing is sent to the API, and nothing is erased: the entries are marked.',
      ]),
    ),
    'forget',
    () => import('./commands/forget.js'),
    invoke,
  );

  action(
    withOptions(
      program
        .command('cancel')
        .description('start cancelling a batch (it goes to canceling, then ended)')
        .argument('<id>', 'batch id'),
      CANCEL_OPTIONS,
    ).addHelpText('after', examples(['claude-batch cancel msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d'])),
    'cancel',
    () => import('./commands/cancel.js'),
    invoke,
  );

  action(
    withOptions(
      program
        .command('delete')
        .description('delete an ended batch and its results')
        .argument('<id>', 'batch id'),
      DELETE_OPTIONS,
    ).addHelpText('after', examples(['claude-batch delete msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d'])),
    'delete',
    () => import('./commands/delete.js'),
    invoke,
  );

  action(
    withOptions(
      program
        .command('results')
        .description('stream the results of an ended batch to a file or stdout')
        .argument('[id]', 'batch id (none with --from)'),
      RESULTS_OPTIONS,
    ).addHelpText(
      'after',
      examples([
        'claude-batch results "$id" -o results.jsonl',
        'claude-batch results "$id" --format compact | jq -r .text',
        'claude-batch results "$id" -o out.jsonl --json   # summary as JSON on stdout',
        'claude-batch results "$id" --join data.csv --requests requests.jsonl --format csv -o joined.csv',
        'claude-batch results "$id" --requests requests.jsonl --format csv -o answers.csv   # --schema answers as out_ columns',
        'claude-batch results --join data.csv --requests requests.jsonl --from results.jsonl -o joined.jsonl',
      ]),
    ),
    'results',
    () => import('./commands/results.js'),
    invoke,
  );

  action(
    withOptions(
      program
        .command('report')
        .description(
          'write one self-contained HTML page about the results of a batch, a job or a results file',
        )
        .argument('<target>', 'a batch id, a job (id or folder), or a results file'),
      REPORT_OPTIONS,
    ).addHelpText(
      'after',
      examples([
        'claude-batch report "$id" -o report.html',
        'claude-batch report reviews-job -o report.html',
        'claude-batch report results.jsonl --join reviews.csv --requests requests.jsonl -o report.html',
        'claude-batch report results.jsonl --requests requests.jsonl -o report.html   # structured answers, per field',
        '',
        'The page holds its data, style and script: it opens offline, from anywhere, and fetches nothing.',
        'It shows counts by result type, the cost (batch and standard prices), token histograms,',
        'stop reasons, errors, and every row with search and filters. With structured answers (asked by',
        "--requests, --schema, or a job's own requests): each output field's values, the invalid answers.",
      ]),
    ),
    'report',
    () => import('./commands/report.js'),
    invoke,
  );

  action(
    withOptions(
      program
        .command('emulator')
        .description('run a local emulator of the Message Batches API (no key, no network needed)'),
      EMULATOR_OPTIONS,
    ).addHelpText(
      'after',
      examples([
        `claude-batch emulator --port ${EMULATOR_PORT} --processing-time 5s`,
        'claude-batch emulator --faults 429=0.1,529=0.05,reset=0.3,slow=100ms --seed 7',
        `export ANTHROPIC_BASE_URL=http://127.0.0.1:${EMULATOR_PORT} ANTHROPIC_API_KEY=emulator`,
        '',
        'Test triggers in a prompt: EMULATE_ERROR=<error_type> comes back errored with that type;',
        'EMULATE_EXPIRE comes back expired. With output_config.format (build --schema), answers are JSON',
        'following the schema; EMULATE_INVALID_OUTPUT breaks the schema, EMULATE_TRUNCATED_OUTPUT cuts the',
        'JSON short (stop_reason max_tokens).',
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
