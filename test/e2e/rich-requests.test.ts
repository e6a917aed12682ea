import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { requestsTo, useEmulator } from '../helpers/emulator.js';
import { request, tempDir } from '../helpers/files.js';
import { png } from '../helpers/images.js';

// The built binary against the emulator: issue 14's "done when", each proven end to end.
const ctx = useEmulator({ processingTimeMs: 300 });
const dir = tempDir();
const CONVERSATIONS = resolve('examples/conversations.jsonl');
const TOOLS = resolve('examples/tools.json');

const jsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

const creates = () => requestsTo(ctx.emulator, /^POST \/v1\/messages\/batches$/);

/** Submits a request file, ends the batch, and downloads its results. */
async function submitAndFetch(file: string, extra: string[] = []) {
  const submit = await runBin(['submit', file, ...extra], { env: ctx.env });
  expect(submit.stderr).toContain('✓ Submitted');
  expect(submit.code).toBe(0);
  const id = submit.stdout.trim();
  ctx.endBatches();
  const out = join(dir, `${id}.results.jsonl`);
  const results = await runBin(['results', id, '-o', out], { env: ctx.env });
  expect(results.code).toBe(0);
  return { id, results: jsonl(out) };
}

describe('conversations with tools (spawned binary, emulator)', () => {
  it('build json --messages-field with --tools and --tool-choice NAME: tool_use inputs that match the schema; --beta on the create', async () => {
    const out = join(dir, 'conversations-requests.jsonl');
    const build = await runBin(
      [
        'build',
        'json',
        CONVERSATIONS,
        '--messages-field',
        'messages',
        '--id-field',
        'id',
        '--tools',
        TOOLS,
        '--tool-choice',
        'record_sentiment',
        '--system',
        'You triage customer conversations.',
        '-o',
        out,
      ],
      { env: ctx.env },
    );
    expect(build.stderr).toMatch(/^✓ 3 requests written/);
    expect(build.code).toBe(0);
    const requests = jsonl(out);
    const given = jsonl(CONVERSATIONS);
    // The conversations as given, multi-turn and with their blocks, beside the flags' params.
    expect(requests.map((r) => r.params.messages)).toEqual(given.map((g) => g.messages));
    expect(requests[0].params.tool_choice).toEqual({ type: 'tool', name: 'record_sentiment' });
    expect(requests[0].params.system).toBe('You triage customer conversations.');

    const before = ctx.emulator.log.length;
    const { results } = await submitAndFetch(out, [
      '--beta',
      'files-api-2025-04-14,token-counting-2024-11-01',
      '--beta',
      'interleaved-thinking-2025-05-14',
    ]);
    const create = ctx.emulator.log
      .slice(before)
      .find((e) => e.method === 'POST' && e.path === '/v1/messages/batches');
    expect(create?.beta).toBe(
      'files-api-2025-04-14,token-counting-2024-11-01,interleaved-thinking-2025-05-14',
    );

    const schema = JSON.parse(readFileSync(TOOLS, 'utf8'))[0].input_schema;
    expect(results.map((r) => r.custom_id).sort()).toEqual(['conv-1', 'conv-2', 'conv-3']);
    for (const r of results) {
      expect(r.result.type).toBe('succeeded');
      const message = r.result.message;
      expect(message.stop_reason).toBe('tool_use');
      const use = message.content.find((b: { type: string }) => b.type === 'tool_use');
      expect(use.name).toBe('record_sentiment');
      // The input conforms to the tool's input_schema: every required field, its type, enum and range.
      expect(Object.keys(use.input).sort()).toEqual([...schema.required].sort());
      expect(schema.properties.sentiment.enum).toContain(use.input.sentiment);
      expect(Number.isInteger(use.input.urgency)).toBe(true);
      expect(use.input.urgency).toBeGreaterThanOrEqual(1);
      expect(use.input.urgency).toBeLessThanOrEqual(5);
      expect(typeof use.input.summary).toBe('string');
      // The tools are counted in the usage (definitions and the tool-use system prompt).
      expect(message.usage.input_tokens).toBeGreaterThan(0);
    }
  });

  it('a conversation the API would refuse: FILE:LINE: params.messages.N…, exit 2, nothing written', async () => {
    const input = join(dir, 'broken-conversations.jsonl');
    writeFileSync(
      input,
      [
        JSON.stringify({ messages: [{ role: 'user', content: 'fine' }] }),
        JSON.stringify({
          messages: [
            { role: 'user', content: 'Where is order 1?' },
            {
              role: 'assistant',
              content: [{ type: 'tool_use', id: 'toolu_9', name: 'lookup_order', input: {} }],
            },
            { role: 'user', content: 'hello?' },
          ],
        }),
      ].join('\n'),
    );
    const out = join(dir, 'broken-requests.jsonl');
    const r = await runBin(
      ['build', 'json', input, '--messages-field', 'messages', '--tools', TOOLS, '-o', out],
      {
        env: ctx.env,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${input}:2: params.messages.2: must answer every tool_use of the message before with a tool_result; missing: toolu_9`,
    );
    expect(() => readFileSync(out)).toThrow();
  });
});

describe('documents in rows (spawned binary, emulator)', () => {
  it('a PDF column builds base64 document blocks, submitted and answered', async () => {
    const pdf = Buffer.from(
      '%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n2 0 obj << /Type /Page >> endobj\n%%EOF\n',
      'latin1',
    );
    writeFileSync(join(dir, 'report.pdf'), pdf);
    writeFileSync(join(dir, 'notes.txt'), 'Plain notes.\n');
    writeFileSync(
      join(dir, 'docs.csv'),
      'id,q,doc\nr1,Summarise it.,report.pdf\nr2,Summarise it.,notes.txt\n',
    );
    const out = join(dir, 'docs-requests.jsonl');
    const build = await runBin(
      [
        'build',
        'csv',
        join(dir, 'docs.csv'),
        '--prompt-column',
        'q',
        '--document-column',
        'doc',
        '--id-column',
        'id',
        '--citations',
        '-o',
        out,
      ],
      { env: ctx.env, cwd: dir },
    );
    expect(build.code).toBe(0);
    const [first, second] = jsonl(out);
    expect(first.params.messages[0].content[0]).toEqual({
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: pdf.toString('base64') },
      citations: { enabled: true },
    });
    expect(second.params.messages[0].content[0].source).toMatchObject({
      type: 'text',
      media_type: 'text/plain',
    });
    const { results } = await submitAndFetch(out);
    expect(results.map((r) => r.result.type)).toEqual(['succeeded', 'succeeded']);
    // The emulator counts the PDF's pages, not zero.
    const byId = Object.fromEntries(results.map((r) => [r.custom_id, r.result.message.usage.input_tokens]));
    expect(byId.r1).toBeGreaterThan(1000);
  });
});

describe('refused before anything is sent: FILE:LINE, exit 2 (spawned binary, emulator)', () => {
  const file = (name: string, params: Record<string, unknown>) => {
    const path = join(dir, name);
    const good = JSON.stringify(request('ok-1'));
    writeFileSync(path, `${good}\n${JSON.stringify(request('bad-2', 'Hello', params))}\n`);
    return path;
  };
  const cases: Array<[string, Record<string, unknown>, string]> = [
    [
      'temperature.jsonl',
      { temperature: 0.5 },
      'params.temperature: not a parameter under API version 2026-10-21',
    ],
    ['unknown-key.jsonl', { colour: 'blue' }, 'params.colour: unknown key'],
    [
      'bad-block.jsonl',
      { messages: [{ role: 'user', content: [{ type: 'picture', text: 'x' }] }] },
      'params.messages.0.content.0.type: "picture" is not a type of a content block',
    ],
    [
      'undefined-tool.jsonl',
      {
        tools: [{ name: 'record', input_schema: { type: 'object' } }],
        tool_choice: { type: 'tool', name: 'missing' },
      },
      'params.tool_choice.name: "missing" is not a tool of this request (its tools: record)',
    ],
    [
      'thinking-budget.jsonl',
      { max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 2048 } },
      'params.thinking.budget_tokens: must be less than max_tokens (2048), got 2048',
    ],
  ];

  it.each(cases)('submit %s', async (name, params, message) => {
    const path = file(name, params);
    const sent = creates();
    const r = await runBin(['submit', path], { env: ctx.env });
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${path}:2: ${message}`);
    expect(r.code).toBe(2);
    expect(creates()).toBe(sent);
  });

  it('run refuses the same way: a thinking budget of max_tokens, nothing sent, no job', async () => {
    const path = file('run-thinking.jsonl', {
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 4096 },
    });
    const sent = creates();
    const r = await runBin(['run', path, '--state', join(dir, 'never-job')], { env: ctx.env });
    expect(r.stderr).toContain(`${path}:2: params.thinking.budget_tokens`);
    expect(r.code).toBe(2);
    expect(creates()).toBe(sent);
  });

  it('build --param temperature=0.5: refused before reading, nothing written', async () => {
    writeFileSync(join(dir, 'rows.csv'), 'text\nhello\n');
    const out = join(dir, 'temperature-requests.jsonl');
    const r = await runBin(
      [
        'build',
        'csv',
        join(dir, 'rows.csv'),
        '--prompt-column',
        'text',
        '--param',
        'temperature=0.5',
        '-o',
        out,
      ],
      { env: ctx.env },
    );
    expect(r.stderr.split('\n')[0]).toBe(
      'error: params.temperature: not a parameter under API version 2026-10-21 (the version this tool\'s SDK sends): the API would refuse the request ("Extra inputs are not permitted"); remove it',
    );
    expect(r.code).toBe(2);
    expect(() => readFileSync(out)).toThrow();
  });

  it('build: a file in an image column that is not an image: CSV:LINE: image, nothing written', async () => {
    writeFileSync(join(dir, 'not-image.png'), 'just text, named .png\n');
    writeFileSync(join(dir, 'ok.png'), png(2, 2));
    writeFileSync(join(dir, 'photos.csv'), 'name,photo\nmug,ok.png\nlamp,not-image.png\n');
    const out = join(dir, 'photos-requests.jsonl');
    const r = await runBin(
      [
        'build',
        'csv',
        join(dir, 'photos.csv'),
        '--template',
        '{{name}}',
        '--image-column',
        'photo',
        '-o',
        out,
      ],
      { env: ctx.env },
    );
    expect(r.stderr).toContain(`${join(dir, 'photos.csv')}:3: image: not-image.png`);
    expect(r.code).toBe(2);
    expect(() => readFileSync(out)).toThrow();
  });
});

describe('run --beta: the job keeps its betas (spawned binary, emulator)', () => {
  it('every create of the job carries the header; a re-run without --beta is refused as a change', async () => {
    const path = join(dir, 'beta-run.jsonl');
    writeFileSync(path, `${JSON.stringify(request('b-1'))}\n`);
    const state = join(dir, 'beta-job');
    const before = ctx.emulator.log.length;
    const run = await runBin(
      ['run', path, '--state', state, '--beta', 'files-api-2025-04-14', '--interval', '100ms'],
      {
        env: ctx.env,
      },
    );
    expect(run.code).toBe(0);
    const create = ctx.emulator.log
      .slice(before)
      .find((e) => e.method === 'POST' && e.path === '/v1/messages/batches');
    expect(create?.beta).toBe('files-api-2025-04-14');
    expect(JSON.parse(readFileSync(join(state, 'manifest.json'), 'utf8')).options.beta).toEqual([
      'files-api-2025-04-14',
    ]);
    const again = await runBin(['run', path, '--state', state], { env: ctx.env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--beta: was ["files-api-2025-04-14"], now (not given)');
  });
});
