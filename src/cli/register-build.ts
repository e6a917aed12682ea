import type { Command } from 'commander';
import {
  DEFAULT_MAX_TOKENS,
  DEFAULT_MODEL,
  DEFAULT_OUTPUT,
  EFFORT_LEVELS,
  MODEL_ENV,
} from '../core/builder/defaults.js';
import { action, examples, type Invoke, positiveInt } from './define.js';
import { defineJobOptions, defineOptions, type OptionsOf, withOptions } from './options.js';

type Source = 'csv' | 'json' | 'text' | 'custom' | 'openai';

const load = (source: Source) => () => import('./commands/build.js').then((m) => ({ run: m.runner(source) }));

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Options every source has for the requests themselves: model and max tokens. */
export const MODEL_OPTIONS = defineJobOptions({
  model: {
    flags: '--model <model>',
    help: 'model of each request',
    defaultText: `$${MODEL_ENV}, else ${DEFAULT_MODEL}`,
    shapes: true,
  },
  maxTokens: {
    flags: '--max-tokens <n>',
    help: 'max_tokens of each request',
    parse: positiveInt('--max-tokens'),
    default: DEFAULT_MAX_TOKENS,
    shapes: true,
  },
});

/** `--schema FILE` (every source): structured outputs. Its content is part of a job's identity (see run). */
const SCHEMA = {
  flags: '--schema <file>',
  help: 'a JSON Schema file each answer must follow (structured outputs: output_config.format); checked against what the API accepts',
  shapes: true,
} as const;

/** Options of the sources that make the prompt themselves (csv, json, text). */
export const REQUEST_OPTIONS = defineJobOptions({
  system: {
    flags: '--system <text>',
    help: 'system prompt of each request, or @FILE to read it from a file',
    shapes: true,
  },
  cacheSystem: {
    flags: '--cache-system [ttl]',
    help: 'mark the system prompt for prompt caching, for 5m (default) or 1h',
    choices: ['5m', '1h'],
    shapes: true,
  },
  params: {
    flags: '--params <json>',
    help: `other Messages parameters as a JSON object, e.g. '{"stop_sequences":["END"]}'`,
    shapes: true,
  },
  param: {
    flags: '--param <key=json>',
    help: `one other Messages parameter (repeatable), e.g. 'metadata={"user_id":"u1"}'`,
    parse: collect,
    shapes: true,
  },
  stop: {
    flags: '--stop <seq>',
    help: 'a stop sequence of each request (repeatable): stop_sequences',
    parse: collect,
    shapes: true,
  },
  tools: {
    flags: '--tools <file>',
    help: 'a JSON file with an array of tool definitions ({name, description, input_schema}) for each request',
    shapes: true,
  },
  toolChoice: {
    flags: '--tool-choice <choice>',
    help: 'auto, any, none, or a tool NAME to force that tool (its input comes back as the answer)',
    shapes: true,
  },
  thinking: {
    flags: '--thinking <budget>',
    help: 'extended thinking: a token budget (at least 1,024, under --max-tokens), or adaptive',
    shapes: true,
  },
  effort: {
    flags: '--effort <level>',
    help: 'how much effort the model spends (output_config.effort), on models that take it',
    choices: EFFORT_LEVELS,
    shapes: true,
  },
  schema: SCHEMA,
  idPrefix: { flags: '--id-prefix <prefix>', help: 'put PREFIX before every custom_id', shapes: true },
  hashIds: {
    flags: '--hash-ids',
    help: 'replace invalid or repeated ids with a short stable hash (h-…) instead of failing',
    shapes: true,
  },
});

/** `--citations` (csv and json: whichever documents the rows bring). */
const CITATIONS = {
  flags: '--citations',
  help: 'turn on citations for every document',
  shapes: true,
} as const;

/** The options of each source (shared by `build` and `run`): all of them shape the requests. */
export const CSV_OPTIONS = defineJobOptions({
  promptColumn: { flags: '--prompt-column <col>', help: 'column holding the prompt', shapes: true },
  template: {
    flags: '--template <text>',
    help: "prompt made from columns, e.g. 'Classify: {{text}}'",
    shapes: true,
  },
  idColumn: {
    flags: '--id-column <col>',
    help: 'column holding each custom_id (default: csv-row-N)',
    shapes: true,
  },
  delimiter: {
    flags: '--delimiter <char>',
    help: 'field separator: one character, or tab / \\t',
    defaultText: ', or tab for .tsv',
    shapes: true,
  },
  skipBadRows: {
    flags: '--skip-bad-rows',
    help: 'skip rows with the wrong number of fields (counted) instead of failing',
    shapes: true,
  },
  imageColumn: {
    flags: '--image-column <col>',
    help: 'column of images put before the prompt (repeatable): a path relative to the CSV, an http(s) URL or a data: URI; several in one cell separated by |',
    parse: collect,
    shapes: true,
  },
  documentColumn: {
    flags: '--document-column <col>',
    help: 'column of documents put before the images (repeatable): a PDF, a .txt/.md file (relative to the CSV) or an http(s) URL; several separated by |',
    parse: collect,
    shapes: true,
  },
  citations: CITATIONS,
  ...REQUEST_OPTIONS,
  ...MODEL_OPTIONS,
});

export const JSON_OPTIONS = defineJobOptions({
  messagesField: {
    flags: '--messages-field <path>',
    help: "field (dotted path) holding each item's whole conversation, an array of {role, content} messages sent as given (instead of --prompt-field / --template)",
    shapes: true,
  },
  promptField: {
    flags: '--prompt-field <path>',
    help: 'field (dotted path) holding the prompt (default: prompt)',
    shapes: true,
  },
  template: {
    flags: '--template <text>',
    help: "prompt made from fields, e.g. 'Summarise: {{doc.body}}'",
    shapes: true,
  },
  idField: {
    flags: '--id-field <path>',
    help: 'field (dotted path) holding each custom_id (default: json-item-N)',
    shapes: true,
  },
  jsonl: {
    flags: '--jsonl',
    help: 'read one JSON value a line (implied by a .jsonl or .ndjson name)',
    shapes: true,
  },
  imageField: {
    flags: '--image-field <path>',
    help: 'field of images put before the prompt (repeatable): a path relative to the input, an http(s) URL or a data: URI, or an array of them',
    parse: collect,
    shapes: true,
  },
  documentField: {
    flags: '--document-field <path>',
    help: 'field of documents put before the images (repeatable): a PDF, a .txt/.md file or an http(s) URL, or an array of them',
    parse: collect,
    shapes: true,
  },
  citations: CITATIONS,
  ...REQUEST_OPTIONS,
  ...MODEL_OPTIONS,
});

export const TEXT_OPTIONS = defineJobOptions({
  splitBy: {
    flags: '--split-by <unit>',
    help: 'line: each non-blank line; paragraph: blocks between blank lines',
    choices: ['line', 'paragraph'],
    default: 'line',
    shapes: true,
  },
  template: {
    flags: '--template <text>',
    help: "prompt around the text, e.g. 'Translate to French: {{text}}'",
    shapes: true,
  },
  ...REQUEST_OPTIONS,
  ...MODEL_OPTIONS,
});

export const CUSTOM_OPTIONS = defineJobOptions({
  hashIds: {
    flags: '--hash-ids',
    help: 'replace invalid or repeated custom_ids with a short stable hash',
    shapes: true,
  },
  schema: SCHEMA,
  ...MODEL_OPTIONS,
});

export const OPENAI_OPTIONS = defineJobOptions({
  model: {
    flags: '--model <model>',
    help: "Claude model of every request (required unless --model-map names every line's model)",
    shapes: true,
  },
  modelMap: {
    flags: '--model-map <file>',
    help: 'JSON object of OpenAI model → Claude model, e.g. {"gpt-4o": "claude-sonnet-4-6"}',
    shapes: true,
  },
  maxTokens: {
    flags: '--max-tokens <n>',
    help: 'max_tokens of a line that sets neither max_tokens nor max_completion_tokens',
    parse: positiveInt('--max-tokens'),
    default: DEFAULT_MAX_TOKENS,
    shapes: true,
  },
  dropUnsupported: {
    flags: '--drop-unsupported',
    help: 'drop options with no Claude equivalent (counted in the summary) instead of failing',
    shapes: true,
  },
  schema: SCHEMA,
  hashIds: {
    flags: '--hash-ids',
    help: 'replace invalid or repeated custom_ids with a short stable hash',
    shapes: true,
  },
});

/** Every option of each source, by source. */
export const SOURCE_OPTIONS = {
  csv: CSV_OPTIONS,
  json: JSON_OPTIONS,
  text: TEXT_OPTIONS,
  custom: CUSTOM_OPTIONS,
  openai: OPENAI_OPTIONS,
} as const;

/** The options of any one source (each source's own, optional: a command gets one source's). */
export type AnySourceOptions = Partial<
  OptionsOf<typeof CSV_OPTIONS> &
    OptionsOf<typeof JSON_OPTIONS> &
    OptionsOf<typeof TEXT_OPTIONS> &
    OptionsOf<typeof CUSTOM_OPTIONS> &
    OptionsOf<typeof OPENAI_OPTIONS>
>;

/** The input argument of each source. */
export const SOURCE_ARGUMENTS: Record<Source, [name: string, help: string]> = {
  csv: ['<input>', 'CSV file, or - for stdin'],
  json: ['<input>', 'JSON or JSON Lines file, or - for stdin'],
  text: ['<input>', 'UTF-8 text file, or - for stdin'],
  custom: ['<module>', 'module exporting buildRequests (or a default), or a .py defining build_requests()'],
  openai: ['<input>', 'OpenAI Batch API file (JSON Lines of /v1/chat/completions requests), or - for stdin'],
};

/** Adds the input argument and the options of a source to a command (shared by `build` and `run`). */
export function withSource<S extends Source>(cmd: Command, source: S) {
  const [name, help] = SOURCE_ARGUMENTS[source];
  return withOptions(cmd.argument(name, help), SOURCE_OPTIONS[source]);
}

/** Options of `build <source>` for where the request file goes: output, sidecar, summary. */
export const BUILD_OPTIONS = defineOptions({
  output: {
    flags: '-o, --output <file>',
    help: 'request file to write (atomically); - for stdout',
    default: DEFAULT_OUTPUT,
  },
  force: { flags: '--force', help: 'replace the output file (and sidecar) if they exist' },
  map: {
    flags: '--map <file>',
    help: 'sidecar mapping each custom_id to its input row',
    defaultText: 'OUTPUT.map; none with -o -',
    negate: 'write no sidecar',
  },
  json: { flags: '--json', help: 'print the summary as JSON on stdout (needs -o FILE)' },
  strict: {
    flags: '--strict',
    help: 'write nothing (exit 2) on a warning: unknown model or price, context window, empty {{field}}',
  },
});

/** One line describing each source. */
export const SOURCE_DESCRIPTIONS: Record<Source, string> = {
  csv: 'one request per CSV row (RFC 4180; header row first)',
  json: 'one request per item: a top-level array, an object\'s "items", one object, or JSON Lines',
  text: 'one request per non-blank line, or per paragraph',
  custom:
    'requests made by your own module (.js / .mjs / .cjs; .ts where Node can strip types; .py with python3)',
  openai: 'one request per line of an OpenAI Batch API file (chat completions), converted',
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
    'claude-batch build json chats.jsonl --messages-field messages --tools tools.json --tool-choice record',
    '',
    "--messages-field: each item's messages are sent as given (multi-turn, content blocks); --system,",
    '--tools, --tool-choice, --thinking, --stop and --effort apply to every request; --template,',
    '--prompt-field, --image-field and --document-field are refused with it.',
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
    '',
    'claude-batch build custom builder.py   # run with python3 ($CLAUDE_BATCH_PYTHON to change it)',
    '# builder.py: build_requests() returns a list, an iterable or a generator',
    'def build_requests():',
    '    return [{"custom_id": "q1", "params": {"messages": [{"role": "user", "content": "Hi"}]}}]',
  ],
  openai: [
    'claude-batch build openai openai-batch.jsonl --model claude-sonnet-4-6 -o requests.jsonl',
    'claude-batch build openai openai-batch.jsonl --model-map models.json --drop-unsupported',
    '',
    "Each line's custom_id is kept. system/developer messages → system; image_url parts → image",
    'blocks (data: URLs as base64); max_completion_tokens/max_tokens → max_tokens; stop →',
    "stop_sequences; tools, tool_choice, tool_calls and tool messages → Claude's shapes;",
    'parallel_tool_calls: false → disable_parallel_tool_use; user → metadata.user_id.',
    'Options with no Claude equivalent (n > 1, logprobs, penalties, seed, temperature, top_p…)',
    'are problems on their line (exit 2, nothing written) unless --drop-unsupported drops them.',
  ],
};

/** `build csv | json | text | custom`: turn data into a request file (issue 3). */
export function registerBuildCommands(program: Command, invoke: Invoke): void {
  const build = program
    .command('build')
    .description(
      'build a JSONL request file from csv, json, text, a custom module or an OpenAI batch file (streamed)',
    )
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

  for (const source of ['csv', 'json', 'text', 'custom', 'openai'] as const) {
    action(
      withOptions(
        withSource(build.command(source).description(SOURCE_DESCRIPTIONS[source]), source),
        BUILD_OPTIONS,
      ).addHelpText('after', examples(SOURCE_EXAMPLES[source])),
      `build ${source}`,
      load(source),
      invoke,
    );
  }
}
