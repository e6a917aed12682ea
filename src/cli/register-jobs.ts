import type { Command } from 'commander';
import { DEFAULT_IMAGE_TOKENS } from '../core/cost/images.js';
import { CHARS_PER_TOKEN, TOOL_SYSTEM_TOKENS } from '../core/cost/tokens.js';
import {
  DEFAULT_MAX_QUEUED,
  RETRYABLE_ERRORS,
  SHARD_MAX_BYTES,
  SHARD_MAX_REQUESTS,
} from '../core/job/defaults.js';
import { MAX_BATCH_BYTES, MAX_BATCH_REQUESTS } from '../core/requests/limits.js';
import {
  action,
  BETA,
  DURATION,
  examples,
  grouped,
  type Invoke,
  money,
  POSITIVE_DURATION,
  positiveInt,
} from './define.js';
import { defineJobOptions, defineOptions, shapingKeys, withOptions } from './options.js';
import { joinOptions, LABEL_OPTION, outputOptions, REPORT_FULL, RESULTS_FORMAT } from './register-batches.js';
import { SOURCE_ARGUMENTS, SOURCE_DESCRIPTIONS, SOURCE_OPTIONS } from './register-build.js';

/** The options of every form of `run` (besides a source's): none of them shapes the requests. */
export const RUN_OPTIONS = defineJobOptions({
  state: {
    flags: '--state <dir>',
    help: 'job folder',
    defaultText: '.claude-batch/jobs/<job-id> here, or in the nearest folder above that has one',
    shapes: false,
  },
  results: {
    flags: '--results <file>',
    help: 'merged results, one line per custom_id',
    defaultText: '<job folder>/results.jsonl',
    shapes: false,
  },
  maxRequests: {
    flags: '--max-requests <n>',
    help: 'requests per shard at most',
    parse: positiveInt('--max-requests', MAX_BATCH_REQUESTS),
    defaultText: grouped(SHARD_MAX_REQUESTS),
    shapes: false,
  },
  maxBytes: {
    flags: '--max-bytes <n>',
    help: 'bytes per shard at most',
    parse: positiveInt('--max-bytes', MAX_BATCH_BYTES),
    defaultText: grouped(SHARD_MAX_BYTES),
    shapes: false,
  },
  maxQueued: {
    flags: '--max-queued <n>',
    help: "requests of the job waiting in the API's queue at most: later shards wait for earlier ones to end (your tier's cap: see the README)",
    parse: positiveInt('--max-queued'),
    defaultText: `${grouped(DEFAULT_MAX_QUEUED)}, tier 1's cap`,
    shapes: false,
  },
  interval: {
    flags: '--interval <duration>',
    help: 'poll at a fixed interval',
    ...POSITIVE_DURATION,
    defaultText: 'adaptive',
    shapes: false,
  },
  timeout: {
    flags: '--timeout <duration>',
    help: 'stop waiting after this long (exit 5); run again to continue',
    ...DURATION,
    shapes: false,
  },
  dryRun: {
    flags: '--dry-run',
    help: 'validate, show the shards and the cost estimate; send nothing',
    shapes: false,
  },
  maxCost: {
    flags: '--max-cost <usd>',
    help: 'refuse to send when the estimated ceiling is over this many USD',
    parse: money,
    shapes: false,
  },
  prices: {
    flags: '--prices <file>',
    help: 'a JSON price table over the built-in one',
    defaultText: '$CLAUDE_BATCH_PRICES',
    shapes: false,
  },
  report: {
    flags: '--report <file.html>',
    help: 'when the job is done, write its HTML report (as `claude-batch report`)',
    shapes: false,
  },
  full: { ...REPORT_FULL, shapes: false },
  force: { flags: '--force', help: 'replace an existing --results or --report file', shapes: false },
  wait: {
    flags: '--wait',
    help: 'when another process holds the job, wait for it (default: say who holds it, exit 2)',
    shapes: false,
  },
  label: { ...LABEL_OPTION.label, shapes: false },
  reuse: {
    flags: '--reuse [source]',
    help: 'a new job does not send requests whose params already succeeded (same base URL, workspace and betas): their results are copied; SOURCE: a job id or folder, or a results file',
    defaultText: 'every job and results file the registry knows',
    shapes: false,
  },
  json: { flags: '--json', help: 'JSON lines on stdout: polls, then the summary', shapes: false },
  // Not the requests' shape, but part of the job all the same (runRequestFile adds it): every
  // batch of the job, resumed or retried, is sent with the same header.
  beta: { ...BETA, help: `${BETA.help}; kept by the job for its resumes and retries`, shapes: false },
});

/** Every option of `run <source>`, by source: the source's own, then run's. */
export const RUN_SOURCE_OPTIONS = {
  csv: { ...SOURCE_OPTIONS.csv, ...RUN_OPTIONS },
  json: { ...SOURCE_OPTIONS.json, ...RUN_OPTIONS },
  text: { ...SOURCE_OPTIONS.text, ...RUN_OPTIONS },
  custom: { ...SOURCE_OPTIONS.custom, ...RUN_OPTIONS },
} as const;

/** The options of `run <source>` that shape its requests: the job's identity (a resume with others is refused). */
export function requestShaping(source: keyof typeof RUN_SOURCE_OPTIONS): string[] {
  return shapingKeys(RUN_SOURCE_OPTIONS[source]);
}

export const ESTIMATE_OPTIONS = defineOptions({
  exactSample: {
    flags: '--exact-sample <n>',
    help: 'count input tokens exactly with count_tokens on N requests (needs a key)',
    parse: positiveInt('--exact-sample'),
  },
  prices: {
    flags: '--prices <file>',
    help: 'a JSON price table over the built-in one',
    defaultText: '$CLAUDE_BATCH_PRICES',
  },
  json: { flags: '--json', help: 'print the estimate as JSON' },
  strict: {
    flags: '--strict',
    help: 'exit 2 on a warning: an unknown model or price, a prompt over the context window',
  },
});

const JSON_ONLY = defineOptions({ json: { flags: '--json', help: 'print JSON' } });
const STATE = defineOptions({
  state: { flags: '--state <dir>', help: 'the job folder (as given to run --state), instead of a job id' },
});

export const JOB_OPTIONS = {
  list: {
    ...JSON_ONLY,
    ...defineOptions({
      state: { flags: '--state <dir>', help: 'list the job in this folder (or the jobs under it)' },
      here: {
        flags: '--here',
        help: "only this folder's jobs (default: also every job folder the registry knows)",
      },
      wide: { flags: '--wide', help: 'the input in full, wider than 100 columns' },
    }),
  },
  status: { ...JSON_ONLY, ...STATE },
  results: {
    ...STATE,
    ...defineOptions({
      output: { flags: '-o, --output <file>', help: 'write to FILE (atomically); default stdout' },
      force: { flags: '--force', help: 'replace the output file if it exists' },
      prices: { flags: '--prices <file>', help: 'a JSON price table for the cost line' },
      format: RESULTS_FORMAT,
      json: { flags: '--json', help: 'with --join and -o: print the summary as JSON on stdout' },
    }),
    ...joinOptions("the sidecar build wrote (default: the job's own, for run <source>)"),
    ...outputOptions(),
  },
  cancel: {
    ...JSON_ONLY,
    ...STATE,
    ...defineOptions({
      wait: { flags: '--wait', help: 'when another process holds the job, wait for it (default: exit 2)' },
    }),
  },
} as const;

export const RETRY_OPTIONS = defineOptions({
  requests: {
    flags: '--requests <file>',
    help: 'with a batch id: the request file the batch was made from',
  },
  errored: {
    flags: '--errored <types>',
    help: 'comma list of error types to retry',
    default: RETRYABLE_ERRORS.join(','),
  },
  expired: { flags: '--expired', help: 'also retry expired requests' },
  canceled: { flags: '--canceled', help: 'also retry canceled requests' },
  invalidOutput: {
    flags: '--invalid-output',
    help: "also retry succeeded requests whose structured answer is invalid (cut, not JSON, or not matching the request's --schema or forced tool)",
  },
  maxAttempts: {
    flags: '--max-attempts <n>',
    help: 'attempts per shard at most, the first included',
    parse: positiveInt('--max-attempts'),
    default: 3,
  },
  results: {
    flags: '--results <file>',
    help: 'job: where the merged results go',
    defaultText: '<job folder>/results.jsonl',
  },
  interval: {
    flags: '--interval <duration>',
    help: 'job: poll at a fixed interval',
    ...POSITIVE_DURATION,
    defaultText: 'adaptive',
  },
  timeout: { flags: '--timeout <duration>', help: 'job: stop waiting after this long (exit 5)', ...DURATION },
  prices: { flags: '--prices <file>', help: 'a JSON price table for the cost line' },
  force: { flags: '--force', help: 'replace an existing --results file' },
  wait: {
    flags: '--wait',
    help: 'job: when another process holds the job, wait for it (default: exit 2)',
  },
  json: { flags: '--json', help: 'print JSON on stdout' },
  beta: {
    ...BETA,
    help: "with a batch id: the batch's betas, sent again with the new batch (a job uses its own)",
  },
});

/** estimate, run, job, retry: work larger than one batch, and what it costs. */
export function registerJobCommands(program: Command, invoke: Invoke): void {
  registerEstimate(program, invoke);
  registerRun(program, invoke);
  registerJob(program, invoke);
  registerRetry(program, invoke);
}

/** `estimate FILE|-`. */
function registerEstimate(program: Command, invoke: Invoke): void {
  action(
    withOptions(
      program
        .command('estimate')
        .description('estimate tokens and cost of a request file at batch prices, per model')
        .argument('<file>', 'request file (JSONL), or - for stdin'),
      ESTIMATE_OPTIONS,
    ).addHelpText(
      'after',
      examples([
        'claude-batch estimate requests.jsonl',
        'claude-batch estimate requests.jsonl --exact-sample 20',
        'claude-batch estimate requests.jsonl --prices my-prices.json --json',
        'claude-batch build csv data.csv --prompt-column text -o - | claude-batch estimate -',
        '',
        `Input tokens are estimated as characters ÷ ${CHARS_PER_TOKEN}, plus width × height / 750 for each image (its`,
        `header's pixel size; at most ${DEFAULT_IMAGE_TOKENS.toLocaleString('en-US')}, and ${DEFAULT_IMAGE_TOKENS.toLocaleString('en-US')} for a URL or an unreadable header), unless`,
        '--exact-sample is given; the ceiling assumes every request uses its max_tokens. A model without',
        'a known price shows "unknown". Documents: 2,300 tokens a PDF page, text ÷ 4, 10,000 for a URL.',
        `Tools: their definitions (the JSON's characters ÷ ${CHARS_PER_TOKEN}) plus the tool-use system prompt the API adds,`,
        `${TOOL_SYSTEM_TOKENS.auto} tokens with tool_choice auto or none, ${TOOL_SYSTEM_TOKENS.forced} with any or a named tool.`,
      ]),
    ),
    'estimate',
    () => import('./commands/estimate.js'),
    invoke,
  );
}

/** `run FILE` and `run <source> INPUT`. */
function registerRun(program: Command, invoke: Invoke): void {
  const runCmd = program
    .command('run')
    .description('the whole flow for input of any size: (build,) split, submit, monitor, download, merge')
    .addHelpText(
      'after',
      examples([
        'claude-batch run requests.jsonl --results results.jsonl',
        'claude-batch run csv reviews.csv --prompt-column text --results results.jsonl',
        'claude-batch run csv reviews.csv --prompt-column text --report report.html',
        'claude-batch run big.jsonl --dry-run                 # shards and cost, nothing sent',
        'claude-batch run big.jsonl --max-cost 50',
        '',
        'Running the same command again continues the job where it stopped (after Ctrl-C, a crash',
        'or --timeout) and never creates a batch twice. It refuses if the input or options changed.',
      ]),
    );
  action(
    withOptions(
      runCmd
        .command('file', { isDefault: true })
        .description('run a request file (JSONL); the default: `run FILE` is `run file FILE`')
        .argument('<file>', 'request file (JSONL); larger than one batch is fine'),
      RUN_OPTIONS,
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
      withOptions(
        runCmd
          .command(source)
          .description(`build from ${source}, then run: ${SOURCE_DESCRIPTIONS[source]}`)
          .argument(...SOURCE_ARGUMENTS[source]),
        RUN_SOURCE_OPTIONS[source],
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
}

/** `job list | status | results | cancel`. */
function registerJob(program: Command, invoke: Invoke): void {
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
    withOptions(
      job.command('list').description('jobs here and in every folder the registry knows, newest first'),
      JOB_OPTIONS.list,
    ),
    'job',
    load,
    invoke,
    ['list'],
  );
  action(
    withOptions(
      job
        .command('status')
        .description('combined counts and one line per shard attempt')
        .argument('[job]', 'job id or job folder (or --state DIR)'),
      JOB_OPTIONS.status,
    ),
    'job',
    load,
    invoke,
    ['status'],
  );
  action(
    withOptions(
      job
        .command('results')
        .description('the merged results: one line per custom_id, from its latest attempt')
        .argument('[job]', 'job id or job folder (or --state DIR)'),
      JOB_OPTIONS.results,
    ),
    'job',
    load,
    invoke,
    ['results'],
  );
  action(
    withOptions(
      job
        .command('cancel')
        .description('cancel every running batch of the job')
        .argument('[job]', 'job id or job folder (or --state DIR)'),
      JOB_OPTIONS.cancel,
    ),
    'job',
    load,
    invoke,
    ['cancel'],
  );
}

/** `retry JOB | BATCH_ID --requests FILE`. */
function registerRetry(program: Command, invoke: Invoke): void {
  action(
    withOptions(
      program
        .command('retry')
        .description('send again the requests whose latest result failed in a retryable way')
        .argument('<target>', 'a job id (from `run`), or a batch id with --requests'),
      RETRY_OPTIONS,
    ).addHelpText(
      'after',
      examples([
        'claude-batch retry job-3f2a9c1b7d4e',
        'claude-batch retry job-3f2a9c1b7d4e --expired --canceled',
        'claude-batch retry job-3f2a9c1b7d4e --invalid-output   # answers that broke their schema',
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
