import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeText } from '../helpers/files.js';

const TOOLS = [
  {
    name: 'lookup',
    description: 'Look something up',
    input_schema: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
  },
];

const CONVERSATIONS = [
  { id: 'a', chat: { turns: [{ role: 'user', content: 'Hello' }] } },
  {
    id: 'b',
    chat: {
      turns: [
        { role: 'user', content: 'Find cats' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'cats' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'three cats' }] },
      ],
    },
  },
];

describe('build json --messages-field', () => {
  const dir = tempDir();
  const input = writeText(dir, 'chats.jsonl', `${CONVERSATIONS.map((c) => JSON.stringify(c)).join('\n')}\n`);
  const tools = writeText(dir, 'tools.json', JSON.stringify(TOOLS));

  it('sends each conversation as given, with the flags that sit beside the messages', async () => {
    const out = join(dir, 'requests.jsonl');
    const r = await runCli(
      [
        'build',
        'json',
        input,
        '--messages-field',
        'chat.turns',
        '--id-field',
        'id',
        '--system',
        'Be brief.',
        '--cache-system',
        '--tools',
        tools,
        '--tool-choice',
        'auto',
        '--thinking',
        '2048',
        '--max-tokens',
        '4096',
        '--stop',
        'END',
        '--effort',
        'low',
        '-o',
        out,
      ],
      { env: {} },
    );
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^✓ 2 requests written/);
    expect(r.code).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.custom_id)).toEqual(['a', 'b']);
    expect(lines[1].params).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 4096,
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
      stop_sequences: ['END'],
      tools: TOOLS,
      tool_choice: { type: 'auto' },
      thinking: { type: 'enabled', budget_tokens: 2048 },
      output_config: { effort: 'low' },
      messages: CONVERSATIONS[1]?.chat.turns,
    });
  });

  it('counts the tools in the estimate: definitions plus the tool-use system prompt', async () => {
    const withTools = await runCli(
      [
        'build',
        'json',
        input,
        '--messages-field',
        'chat.turns',
        '--tools',
        tools,
        '-o',
        join(dir, 't.jsonl'),
        '--json',
      ],
      { env: {} },
    );
    const summary = JSON.parse(withTools.stdout);
    const toolChars = JSON.stringify(TOOLS).length;
    const noTools = await runCli(
      ['build', 'json', input, '--messages-field', 'chat.turns', '-o', join(dir, 'n.jsonl'), '--json'],
      { env: {} },
    );
    const base = JSON.parse(noTools.stdout).inputTokensEstimate;
    expect(summary.inputTokensEstimate - base).toBe(2 * (Math.ceil(toolChars / 4) + 346));
  });

  it.each([
    [['--template', 'Hi {{id}}'], '--template'],
    [['--prompt-field', 'id'], '--prompt-field'],
    [['--image-field', 'photo'], '--image-field'],
    [['--document-field', 'doc'], '--document-field'],
  ])('refuses %j with it: one line and a hint, exit 2', async (flags, name) => {
    const r = await runCli(
      ['build', 'json', input, '--messages-field', 'chat.turns', ...flags, '-o', join(dir, 'x.jsonl')],
      {
        env: {},
      },
    );
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(`error: --messages-field cannot be used with ${name}`);
    expect(r.stderr.split('\n')[1]).toMatch(/^hint: /);
    expect(r.code).toBe(2);
  });

  it('a misspelt field is named with the fields item 1 has', async () => {
    const r = await runCli(
      ['build', 'json', input, '--messages-field', 'chat.turn', '-o', join(dir, 'y.jsonl')],
      {
        env: {},
      },
    );
    expect(r.stderr.split('\n')[0]).toBe(
      `error: ${input}: no field "chat.turn" in item 1 (--messages-field)`,
    );
    expect(r.code).toBe(2);
  });

  it('every bad conversation is reported as FILE:LINE: params.messages…, nothing written', async () => {
    const bad = writeText(
      dir,
      'bad.jsonl',
      [
        { m: [{ role: 'user', content: '' }] },
        { m: [{ role: 'user', content: 'ok' }] },
        {
          m: [
            { role: 'user', content: 'x' },
            { role: 'assistant', content: 'Answer: ' },
          ],
        },
        { m: { role: 'user', content: 'not a list' } },
        { m: [{ role: 'system', content: 'x' }] },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    const out = join(dir, 'bad-requests.jsonl');
    const r = await runCli(['build', 'json', bad, '--messages-field', 'm', '-o', out], { env: {} });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        `error: 4 problems in ${bad}; nothing was written`,
        `  ${bad}:1: params.messages.0.content: must not be empty (only a final assistant message may be)`,
        `  ${bad}:3: params.messages.1.content: a final assistant message cannot end with white space`,
        `  ${bad}:4: item 4: m: must be an array of messages ({"role", "content"}), got an object`,
        `  ${bad}:5: params.messages.0.role: must be "user" or "assistant"`,
        'hint: fix the input; nothing was written',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(2);
    expect(() => readFileSync(out)).toThrow();
  });

  it('--effort takes only the levels the API has', async () => {
    const r = await runCli(
      ['build', 'json', input, '--messages-field', 'chat.turns', '--effort', 'extreme'],
      { env: {} },
    );
    expect(r.stderr).toContain(
      "argument 'extreme' is invalid. Allowed choices are low, medium, high, xhigh, max.",
    );
    expect(r.code).toBe(2);
  });

  it('a key set by its flag and by --params is refused', async () => {
    const r = await runCli(
      [
        'build',
        'json',
        input,
        '--messages-field',
        'chat.turns',
        '--stop',
        'END',
        '--param',
        'stop_sequences=["X"]',
        '-o',
        join(dir, 'z.jsonl'),
      ],
      { env: {} },
    );
    expect(r.stderr.split('\n')[0]).toBe(
      'error: params.stop_sequences is set twice: by its own flag and by --params / --param',
    );
    expect(r.code).toBe(2);
  });
});
