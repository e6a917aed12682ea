import { type Command, Option } from 'commander';
import { action, examples, type Invoke, positiveInt } from './define.js';

type Source = 'csv' | 'json' | 'text' | 'custom';

const load = (source: Source) => () => import('./commands/build.js').then((m) => ({ run: m.runner(source) }));

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Options every source has for the requests themselves: model and max tokens. */
export function modelOptions(cmd: Command): Command {
  return cmd
    .option('--model <model>', 'model of each request (default: $CLAUDE_BATCH_MODEL, else claude-haiku-4-5)')
    .option('--max-tokens <n>', 'max_tokens of each request', positiveInt('--max-tokens'), 1024);
}

/** Options every source has for where the request file goes: output, sidecar, summary. */
function outputOptions(cmd: Command): Command {
  return modelOptions(cmd)
    .option('-o, --output <file>', 'request file to write (atomically); - for stdout', 'batch_requests.jsonl')
    .option('--force', 'replace the output file (and sidecar) if they exist')
    .option(
      '--map <file>',
      'sidecar mapping each custom_id to its input row (default: OUTPUT.map; none with -o -)',
    )
    .option('--no-map', 'write no sidecar')
    .option('--json', 'print the summary as JSON on stdout (needs -o FILE)')
    .option(
      '--strict',
      'write nothing (exit 2) on a warning: unknown model or price, context window, empty {{field}}',
    );
}

/** Options of the sources that make the prompt themselves (csv, json, text). */
export function requestOptions(cmd: Command): Command {
  return cmd
    .option('--system <text>', 'system prompt of each request, or @FILE to read it from a file')
    .addOption(
      new Option(
        '--cache-system [ttl]',
        'mark the system prompt for prompt caching, for 5m (default) or 1h',
      ).choices(['5m', '1h']),
    )
    .option(
      '--params <json>',
      `other Messages parameters as a JSON object, e.g. '{"stop_sequences":["END"]}'`,
    )
    .option(
      '--param <key=json>',
      `one other Messages parameter (repeatable), e.g. 'metadata={"user_id":"u1"}'`,
      collect,
    )
    .option('--id-prefix <prefix>', 'put PREFIX before every custom_id')
    .option(
      '--hash-ids',
      'replace invalid or repeated ids with a short stable hash (h-…) instead of failing',
    );
}

/** The input argument and the options of each source (shared by `build` and `run`). */
export const sourceOptions: Record<Source, (cmd: Command) => Command> = {
  csv: (cmd) =>
    requestOptions(
      cmd
        .argument('<input>', 'CSV file, or - for stdin')
        .option('--prompt-column <col>', 'column holding the prompt')
        .option('--template <text>', "prompt made from columns, e.g. 'Classify: {{text}}'")
        .option('--id-column <col>', 'column holding each custom_id (default: csv-row-N)')
        .option(
          '--delimiter <char>',
          'field separator: one character, or tab / \\t (default , or tab for .tsv)',
        )
        .option('--skip-bad-rows', 'skip rows with the wrong number of fields (counted) instead of failing'),
    ),
  json: (cmd) =>
    requestOptions(
      cmd
        .argument('<input>', 'JSON or JSON Lines file, or - for stdin')
        .option('--prompt-field <path>', 'field (dotted path) holding the prompt (default: prompt)')
        .option('--template <text>', "prompt made from fields, e.g. 'Summarise: {{doc.body}}'")
        .option('--id-field <path>', 'field (dotted path) holding each custom_id (default: json-item-N)')
        .option('--jsonl', 'read one JSON value a line (implied by a .jsonl or .ndjson name)'),
    ),
  text: (cmd) =>
    requestOptions(
      cmd
        .argument('<input>', 'UTF-8 text file, or - for stdin')
        .addOption(
          new Option('--split-by <unit>', 'line: each non-blank line; paragraph: blocks between blank lines')
            .choices(['line', 'paragraph'])
            .default('line'),
        )
        .option('--template <text>', "prompt around the text, e.g. 'Translate to French: {{text}}'"),
    ),
  custom: (cmd) =>
    cmd
      .argument('<module>', 'module exporting buildRequests (or a default)')
      .option('--hash-ids', 'replace invalid or repeated custom_ids with a short stable hash'),
};

/** One line describing each source. */
export const SOURCE_DESCRIPTIONS: Record<Source, string> = {
  csv: 'one request per CSV row (RFC 4180; header row first)',
  json: 'one request per item: a top-level array, an object\'s "items", one object, or JSON Lines',
  text: 'one request per non-blank line, or per paragraph',
  custom: 'requests made by your own module (.js / .mjs / .cjs; .ts where Node can strip types)',
};

const SOURCE_EXAMPLES: Record<Source, string[]> = {
  csv: [
    'claude-batch build csv reviews.csv --prompt-column text',
    "claude-batch build csv reviews.csv --template 'Rate 1-5: {{title}} {{text}}' --id-column review_id",
    'cat data.tsv | claude-batch build csv - --delimiter tab --prompt-column text -o - > requests.jsonl',
  ],
  json: [
    'claude-batch build json questions.json --prompt-field question',
    "claude-batch build json events.jsonl --template 'Summarise: {{payload.text}}' --id-field id",
    'producer | claude-batch build json - --jsonl -o requests.jsonl',
  ],
  text: [
    'claude-batch build text questions.txt',
    "claude-batch build text essays.txt --split-by paragraph --template 'Grade this: {{text}}'",
  ],
  custom: [
    'claude-batch build custom make-requests.mjs -o requests.jsonl',
    '',
    '// make-requests.mjs: sync or async; an array, an iterable or an async iterable',
    'export async function* buildRequests({ model, maxTokens }) {',
    "  yield { custom_id: 'q1', params: { messages: [{ role: 'user', content: 'Hi' }] } };",
    '}',
    '',
    '--model and --max-tokens fill in what a request leaves out; every request is checked.',
    '.ts modules need a Node that runs TypeScript (22.18+); otherwise compile them to .js.',
  ],
};

/** `build csv | json | text | custom`: turn data into a request file (issue 3). */
export function registerBuildCommands(program: Command, invoke: Invoke): void {
  const build = program
    .command('build')
    .description('build a JSONL request file from csv, json, text or a custom module (streamed)')
    .addHelpText(
      'after',
      examples([
        'claude-batch build csv reviews.csv --prompt-column text -o requests.jsonl',
        "claude-batch build csv data.tsv --delimiter tab --template 'Classify: {{review}}' --id-column id",
        'claude-batch build text notes.txt --split-by paragraph --system @system.txt --cache-system',
        'claude-batch build json items.json --prompt-field input.text --id-field id',
        'claude-batch build custom make-requests.mjs --model claude-sonnet-4-5',
        '',
        'Each request: {"custom_id", "params": {model, max_tokens, [system], messages: [{role: user, content}]}}.',
        'custom_id: --id-column/--id-field, else csv-row-N, text-line-N, text-para-N, json-item-N.',
        'The sidecar OUTPUT.map (requests.jsonl.map) starts with a header (how the input was read, its size',
        'and sha256), then one line per request: {"custom_id","row","line","id"}.',
        'Summary on stderr (or JSON on stdout with --json). Exit 2 on bad input; nothing is written.',
      ]),
    );

  for (const source of ['csv', 'json', 'text', 'custom'] as const) {
    action(
      outputOptions(
        sourceOptions[source](build.command(source).description(SOURCE_DESCRIPTIONS[source])),
      ).addHelpText('after', examples(SOURCE_EXAMPLES[source])),
      `build ${source}`,
      load(source),
      invoke,
    );
  }
}
