import type { Command } from 'commander';
import { action, examples, type Invoke, positiveInt } from './define.js';

/** estimate (and, with jobs, run / job / retry). */
export function registerJobCommands(program: Command, invoke: Invoke): void {
  action(
    program
      .command('estimate')
      .description('estimate tokens and cost of a request file at batch prices, per model')
      .argument('<file>', 'request file (JSONL)')
      .option(
        '--exact-sample <n>',
        'count input tokens exactly with count_tokens on N requests (needs a key)',
        positiveInt('--exact-sample'),
      )
      .option('--prices <file>', 'a JSON price table over the built-in one (default: $CLAUDE_BATCH_PRICES)')
      .option('--json', 'print the estimate as JSON')
      .addHelpText(
        'after',
        examples([
          'claude-batch estimate requests.jsonl',
          'claude-batch estimate requests.jsonl --exact-sample 20',
          'claude-batch estimate requests.jsonl --prices my-prices.json --json',
          '',
          'Input tokens are estimated as characters ÷ 4 unless --exact-sample is given; the ceiling assumes',
          'every request uses its max_tokens. A model without a known price shows "unknown".',
        ]),
      ),
    'estimate',
    () => import('./commands/estimate.js'),
    invoke,
  );
}
