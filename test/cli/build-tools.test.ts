import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeText } from '../helpers/files.js';

const TOOLS = [
  {
    name: 'record_sentiment',
    description: "Record the review's sentiment",
    input_schema: {
      type: 'object',
      properties: {
        sentiment: { type: 'string', enum: ['positive', 'negative', 'mixed'] },
        score: { type: 'integer', minimum: 1, maximum: 5 },
      },
      required: ['sentiment', 'score'],
    },
  },
];

describe('build --tools, --tool-choice, --thinking, --stop', () => {
  const emu = useEmulator({ processingTimeMs: 0 });
  const dir = tempDir();
  const csv = writeText(dir, 'reviews.csv', 'id,text\n1,Great shoes\n2,Fell apart\n');
  const tools = writeText(dir, 'tools.json', JSON.stringify(TOOLS));

  it('a forced tool: every answer is a tool_use whose input matches the tool schema', async () => {
    const out = join(dir, 'tools.jsonl');
    const built = await runCli(
      [
        'build',
        'csv',
        csv,
        '--prompt-column',
        'text',
        '--id-column',
        'id',
        '--tools',
        tools,
        '--tool-choice',
        'record_sentiment',
        '--stop',
        'END',
        '-o',
        out,
      ],
      { env: {} },
    );
    expect(built.code, built.stderr).toBe(0);
    const first = JSON.parse(readFileSync(out, 'utf8').split('\n')[0] as string);
    expect(first.params).toMatchObject({
      tools: TOOLS,
      tool_choice: { type: 'tool', name: 'record_sentiment' },
      stop_sequences: ['END'],
    });
    const id = (await runCli(['submit', out], { env: emu.env })).stdout.trim();
    expect(id).toMatch(/^msgbatch_/);
    const results = await runCli(['results', id], { env: emu.env });
    expect(results.code).toBe(0);
    const lines = results.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const message = line.result.message;
      expect(message.stop_reason).toBe('tool_use');
      const use = message.content.find((b: { type: string }) => b.type === 'tool_use');
      expect(use.name).toBe('record_sentiment');
      expect(['positive', 'negative', 'mixed']).toContain(use.input.sentiment);
      expect(Number.isInteger(use.input.score) && use.input.score >= 1 && use.input.score <= 5).toBe(true);
    }
  });

  it('thinking with a budget: a thinking block comes first', async () => {
    const out = join(dir, 'think.jsonl');
    const built = await runCli(
      [
        'build',
        'csv',
        csv,
        '--prompt-column',
        'text',
        '--thinking',
        '2048',
        '--max-tokens',
        '4096',
        '-o',
        out,
      ],
      { env: {} },
    );
    expect(built.code, built.stderr).toBe(0);
    const id = (await runCli(['submit', out], { env: emu.env })).stdout.trim();
    const results = await runCli(['results', id], { env: emu.env });
    const line = JSON.parse(results.stdout.trimEnd().split('\n')[0] as string);
    expect(line.result.message.content[0].type).toBe('thinking');
  });

  it('refuses, before reading the input, what the API would refuse (exit 2, nothing written)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['--tool-choice', 'nope', '--tools', tools],
        /^error: --tool-choice nope: no tool of that name in --tools \(record_sentiment\)\n/,
      ],
      [['--tool-choice', 'record_sentiment'], /^error: --tool-choice record_sentiment needs --tools FILE\n/],
      [
        ['--thinking', '500'],
        /^error: --thinking 500: the budget must be a whole number of tokens, at least 1,024 and under --max-tokens \(1,024\)\n/,
      ],
      [['--thinking', '2048'], /under --max-tokens \(1,024\)/],
      [
        ['--thinking', 'adaptive', '--tools', tools, '--tool-choice', 'any'],
        /^error: --thinking cannot be used with a forced --tool-choice/,
      ],
      [['--tools', csv], /^error: --tools .*reviews\.csv: cannot read it: not JSON/],
      [['--stop', ''], /^error: --stop must not be empty\n/],
    ];
    for (const [flags, message] of cases) {
      const out = join(dir, 'never.jsonl');
      const r = await runCli(['build', 'csv', csv, '--prompt-column', 'text', ...flags, '-o', out], {
        env: {},
      });
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr, flags.join(' ')).toMatch(message);
      expect(() => readFileSync(out)).toThrow();
    }
  });
});
