import type { Command } from 'commander';
import { durationText } from '../core/duration.js';
import { ADAPTIVE_POLLING } from '../core/monitor/schedule.js';
import { action, DURATION, examples, type Invoke, POSITIVE_DURATION } from './define.js';
import { defineOptions, withOptions } from './options.js';
import { REPORT_FULL } from './register-batches.js';

/** The adaptive poll intervals in a row: `10s → 60s → 5m`. */
const adaptive = ADAPTIVE_POLLING.map((step) => durationText(step.everyMs)).join(' → ');

/** How adaptive polling goes, in words: `every 10s for its first 5m, every 60s up to 1h, then every 5m`. */
const adaptiveWords = ADAPTIVE_POLLING.map((step, i) =>
  step.untilAgeMs === Number.POSITIVE_INFINITY
    ? `then every ${durationText(step.everyMs)}`
    : i === 0
      ? `every ${durationText(step.everyMs)} for its first ${durationText(step.untilAgeMs)}`
      : `every ${durationText(step.everyMs)} up to ${durationText(step.untilAgeMs)}`,
).join(', ');

export const MONITOR_OPTIONS = defineOptions({
  interval: {
    flags: '--interval <duration>',
    help: 'poll at a fixed interval',
    ...POSITIVE_DURATION,
    defaultText: `adaptive, ${adaptive} as a batch ages`,
  },
  output: { flags: '-o, --output <log.jsonl>', help: 'append one JSON line per batch per poll to this log' },
  timeout: {
    flags: '--timeout <duration>',
    help: 'stop watching after this long (exit 5); the batches keep running',
    ...DURATION,
  },
  results: {
    flags: '--results <file|dir>',
    help: 'download the results at the end: a FILE for one batch, a DIR for several',
  },
  report: {
    flags: '--report <file.html>',
    help: 'when every batch has ended, write their HTML report (as `claude-batch report`)',
  },
  full: REPORT_FULL,
  force: { flags: '--force', help: 'replace existing results (and report) files' },
  json: { flags: '--json', help: 'one JSON line per poll on stdout, then a summary line' },
});

export const DEMO_OPTIONS = defineOptions({
  dir: { flags: '--dir <dir>', help: 'where to write the demo files (default: a new temporary folder)' },
  processingTime: {
    flags: '--processing-time <duration>',
    help: 'how long the emulated batch takes',
    ...DURATION,
    default: 5000,
  },
});

/** `monitor` and `demo`. */
export function registerMonitorCommands(program: Command, invoke: Invoke): void {
  action(
    withOptions(
      program
        .command('monitor')
        .description('watch batches until they end, then summarise (and download the results)')
        .argument('[id...]', 'batch ids (none: every unfinished batch the registry knows for this base URL)'),
      MONITOR_OPTIONS,
    ).addHelpText(
      'after',
      examples([
        'claude-batch monitor msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d',
        'claude-batch monitor "$id" --results results.jsonl -o monitor-log.jsonl',
        'claude-batch monitor "$a" "$b" "$c" --results out/ --timeout 2h',
        'claude-batch monitor "$id" --json | jq -c .batches',
        'claude-batch monitor "$id" --results results.jsonl --report report.html',
        'claude-batch monitor                 # every unfinished batch this machine created',
        '',
        `Polling adapts to each batch’s age: ${adaptiveWords}.`,
        'Ctrl-C stops watching (exit 130); the batches keep running.',
      ]),
    ),
    'monitor',
    () => import('./commands/monitor.js'),
    invoke,
  );

  action(
    withOptions(
      program
        .command('demo')
        .description(
          'the whole flow offline in one command: build, submit, monitor, results (no key needed)',
        ),
      DEMO_OPTIONS,
    ).addHelpText(
      'after',
      examples([
        'claude-batch demo',
        'claude-batch demo --dir demo-files --processing-time 10s',
        '',
        'Starts the emulator in-process on a free port, builds requests from the bundled',
        'examples/reviews.csv (one row is set to fail), submits, watches, downloads and shows answers.',
      ]),
    ),
    'demo',
    () => import('./commands/demo.js'),
    invoke,
  );
}
