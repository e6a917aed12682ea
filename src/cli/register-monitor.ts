import type { Command } from 'commander';
import { action, duration, examples, type Invoke, positiveDuration } from './define.js';

/** `monitor` and `demo`. */
export function registerMonitorCommands(program: Command, invoke: Invoke): void {
  action(
    program
      .command('monitor')
      .description('watch batches until they end, then summarise (and download the results)')
      .argument('<id...>', 'one or more batch ids')
      .option(
        '--interval <duration>',
        'poll at a fixed interval (default: adaptive, 10s → 60s → 300s as a batch ages)',
        positiveDuration,
      )
      .option('-o, --output <log.jsonl>', 'append one JSON line per batch per poll to this log')
      .option(
        '--timeout <duration>',
        'stop watching after this long (exit 5); the batches keep running',
        duration,
      )
      .option(
        '--results <file|dir>',
        'download the results at the end: a FILE for one batch, a DIR for several',
      )
      .option('--force', 'replace existing results files')
      .option('--json', 'one JSON line per poll on stdout, then a summary line')
      .addHelpText(
        'after',
        examples([
          'claude-batch monitor msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d',
          'claude-batch monitor "$id" --results results.jsonl -o monitor-log.jsonl',
          'claude-batch monitor "$a" "$b" "$c" --results out/ --timeout 2h',
          'claude-batch monitor "$id" --json | jq -c .batches',
          '',
          'Polling adapts to each batch’s age: every 10 s for its first 5 minutes, every 60 s up to an hour,',
          'then every 300 s. Ctrl-C stops watching (exit 130); the batches keep running.',
        ]),
      ),
    'monitor',
    () => import('./commands/monitor.js'),
    invoke,
  );

  action(
    program
      .command('demo')
      .description('the whole flow offline in one command: build, submit, monitor, results (no key needed)')
      .option('--dir <dir>', 'where to write the demo files (default: a new temporary folder)')
      .option('--processing-time <duration>', 'how long the emulated batch takes', duration, 5000)
      .addHelpText(
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
