import { type Command, Option } from 'commander';
import { action, duration, examples, type Invoke, money, positiveDuration, positiveInt } from './define.js';
import { joinOptions } from './register-batches.js';
import { modelOptions, SOURCE_DESCRIPTIONS, sourceOptions } from './register-build.js';

/** The options of every form of `run`. */
function runOptions(cmd: Command): Command {
  return cmd
    .option('--state <dir>', 'job folder (default: .claude-batch/jobs/<job-id> here)')
    .option(
      '--results <file>',
      'merged results, one line per custom_id (default: <job folder>/results.jsonl)',
    )
    .option(
      '--max-requests <n>',
      'requests per shard at most (default 99,000)',
      positiveInt('--max-requests', 100_000),
    )
    .option(
      '--max-bytes <n>',
      'bytes per shard at most (default 248,320,000)',
      positiveInt('--max-bytes', 256_000_000),
    )
    .option('--interval <duration>', 'poll at a fixed interval (default: adaptive)', positiveDuration)
    .option('--timeout <duration>', 'stop waiting after this long (exit 5); run again to continue', duration)
    .option('--dry-run', 'validate, show the shards and the cost estimate; send nothing')
    .option('--max-cost <usd>', 'refuse to send when the estimated ceiling is over this many USD', money)
    .option('--prices <file>', 'a JSON price table over the built-in one (default: $CLAUDE_BATCH_PRICES)')
    .option('--force', 'replace an existing --results file')
    .option('--json', 'JSON lines on stdout: polls, then the summary');
}

/** estimate, run, job, retry: work larger than one batch, and what it costs. */
export function registerJobCommands(program: Command, invoke: Invoke): void {
  action(
    program
      .command('estimate')
      .description('estimate tokens and cost of a request file at batch prices, per model')
      .argument('<file>', 'request file (JSONL), or - for stdin')
      .option(
        '--exact-sample <n>',
        'count input tokens exactly with count_tokens on N requests (needs a key)',
        positiveInt('--exact-sample'),
      )
      .option('--prices <file>', 'a JSON price table over the built-in one (default: $CLAUDE_BATCH_PRICES)')
      .option('--json', 'print the estimate as JSON')
      .option('--strict', 'exit 2 on a warning: an unknown model or price, a prompt over the context window')
      .addHelpText(
        'after',
        examples([
          'claude-batch estimate requests.jsonl',
          'claude-batch estimate requests.jsonl --exact-sample 20',
          'claude-batch estimate requests.jsonl --prices my-prices.json --json',
          'claude-batch build csv data.csv --prompt-column text -o - | claude-batch estimate -',
          '',
          'Input tokens are estimated as characters ÷ 4 unless --exact-sample is given; the ceiling assumes',
          'every request uses its max_tokens. A model without a known price shows "unknown".',
        ]),
      ),
    'estimate',
    () => import('./commands/estimate.js'),
    invoke,
  );

  const runCmd = program
    .command('run')
    .description('the whole flow for input of any size: (build,) split, submit, monitor, download, merge')
    .addHelpText(
      'after',
      examples([
        'claude-batch run requests.jsonl --results results.jsonl',
        'claude-batch run csv reviews.csv --prompt-column text --results results.jsonl',
        'claude-batch run big.jsonl --dry-run                 # shards and cost, nothing sent',
        'claude-batch run big.jsonl --max-cost 50',
        '',
        'Running the same command again continues the job where it stopped (after Ctrl-C, a crash',
        'or --timeout) and never creates a batch twice. It refuses if the input or options changed.',
      ]),
    );
  action(
    runOptions(
      runCmd
        .command('file', { isDefault: true })
        .description('run a request file (JSONL); the default: `run FILE` is `run file FILE`')
        .argument('<file>', 'request file (JSONL); larger than one batch is fine'),
    ).addHelpText(
      'after',
      examples([
        'claude-batch run requests.jsonl --results results.jsonl',
        'claude-batch run requests.jsonl --state jobs/reviews  # a job folder of your choice',
      ]),
    ),
    'run',
    () => import('./commands/run.js'),
    invoke,
  );
  for (const source of ['csv', 'json', 'text', 'custom'] as const) {
    action(
      runOptions(
        modelOptions(
          sourceOptions[source](
            runCmd
              .command(source)
              .description(`build from ${source}, then run: ${SOURCE_DESCRIPTIONS[source]}`),
          ),
        ),
      ).addHelpText(
        'after',
        examples([
          source === 'csv'
            ? 'claude-batch run csv reviews.csv --prompt-column text --id-column review_id --results results.jsonl'
            : source === 'json'
              ? 'claude-batch run json items.json --prompt-field question --results results.jsonl'
              : source === 'text'
                ? 'claude-batch run text notes.txt --split-by paragraph --results results.jsonl'
                : 'claude-batch run custom make-requests.mjs --results results.jsonl',
          '',
          'The requests are built into the job folder; the build options are part of the job, so a',
          're-run with other options is refused rather than mixed with the first run.',
        ]),
      ),
      'run',
      () => import('./commands/run.js').then((m) => ({ run: m.runSource(source) })),
      invoke,
    );
  }

  const job = program
    .command('job')
    .description('see and steer jobs made by `run`: list, status, results, cancel')
    .addHelpText(
      'after',
      examples([
        'claude-batch job list',
        'claude-batch job status job-3f2a9c1b7d4e',
        'claude-batch job results job-3f2a9c1b7d4e -o results.jsonl',
        'claude-batch job results job-3f2a9c1b7d4e --join reviews.csv --format csv -o answers.csv',
        'claude-batch job cancel job-3f2a9c1b7d4e',
      ]),
    );
  const load = () => import('./commands/job.js');
  action(
    job.command('list').description('jobs in this folder, newest first').option('--json', 'print JSON'),
    'job',
    load,
    invoke,
    ['list'],
  );
  action(
    job
      .command('status')
      .description('combined counts and one line per shard attempt')
      .argument('<job>', 'job id or job folder')
      .option('--json', 'print JSON'),
    'job',
    load,
    invoke,
    ['status'],
  );
  action(
    joinOptions(
      job
        .command('results')
        .description('the merged results: one line per custom_id, from its latest attempt')
        .argument('<job>', 'job id or job folder')
        .option('-o, --output <file>', 'write to FILE (atomically); default stdout')
        .option('--force', 'replace the output file if it exists')
        .option('--prices <file>', 'a JSON price table for the cost line')
        .addOption(
          new Option(
            '--format <format>',
            'jsonl: every line as the API sent it; compact: one flat JSON line a result; csv: one row a result (with --join: the input rows)',
          )
            .choices(['jsonl', 'compact', 'csv'])
            .default('jsonl'),
        )
        .option('--json', 'with --join and -o: print the summary as JSON on stdout'),
      "the sidecar build wrote (default: the job's own, for run <source>)",
    ),
    'job',
    load,
    invoke,
    ['results'],
  );
  action(
    job
      .command('cancel')
      .description('cancel every running batch of the job')
      .argument('<job>', 'job id or job folder')
      .option('--json', 'print JSON'),
    'job',
    load,
    invoke,
    ['cancel'],
  );

  action(
    program
      .command('retry')
      .description('send again the requests whose latest result failed in a retryable way')
      .argument('<target>', 'a job id (from `run`), or a batch id with --requests')
      .option('--requests <file>', 'with a batch id: the request file the batch was made from')
      .option(
        '--errored <types>',
        'comma list of error types to retry',
        'rate_limit_error,api_error,overloaded_error,timeout_error',
      )
      .option('--expired', 'also retry expired requests')
      .option('--canceled', 'also retry canceled requests')
      .option(
        '--max-attempts <n>',
        'attempts per shard at most, the first included',
        positiveInt('--max-attempts'),
        3,
      )
      .option('--results <file>', 'job: where the merged results go (default: <job folder>/results.jsonl)')
      .option('--interval <duration>', 'job: poll at a fixed interval (default: adaptive)', positiveDuration)
      .option('--timeout <duration>', 'job: stop waiting after this long (exit 5)', duration)
      .option('--prices <file>', 'a JSON price table for the cost line')
      .option('--force', 'replace an existing --results file')
      .option('--json', 'print JSON on stdout')
      .addHelpText(
        'after',
        examples([
          'claude-batch retry job-3f2a9c1b7d4e',
          'claude-batch retry job-3f2a9c1b7d4e --expired --canceled',
          'claude-batch retry msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d --requests requests.jsonl',
          '',
          'invalid_request_error is never retried unless named in --errored: the same request fails again.',
        ]),
      ),
    'retry',
    () => import('./commands/retry.js'),
    invoke,
  );
}
