import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { validateRequests } from '../../src/core/requests/file.js';
import { checkRequest } from '../../src/core/requests/schema.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/shape/${name}`, import.meta.url));

/** One line of problems.jsonl per problem: its line, the field path reported, and the message's start. */
const PROBLEMS: Array<[line: number, field: string, message: string]> = [
  [1, 'params.foo', 'unknown key'],
  [2, 'params.messages.0.content.1.source.media_type', 'must be'],
  [3, 'params.messages.0.content.0.type', '"video" is not a type of a content block'],
  [4, 'params.messages.0.content.0.text', 'is required'],
  [5, 'params.messages.0.content.0.extra', 'unknown key'],
  [6, 'params.messages.0.content.0.tool_use_id', 'is required'],
  [7, 'params.messages.0.role', 'must be "user" or "assistant"'],
  [8, 'params.tools.0.input_schema.type', 'must be "object"'],
  [9, 'params.tools.0.input_schema', 'is required'],
  [10, 'params.tool_choice.name', '"put" is not a tool of this request'],
  [11, 'params.thinking.budget_tokens', 'must be at least 1024'],
  [12, 'params.thinking.budget_tokens', 'must be less than max_tokens (2000)'],
  [13, 'params.temperature', 'not a parameter under API version 2026-10-21'],
  [14, 'params.top_p', 'not a parameter under API version 2026-10-21'],
  [15, 'params.top_k', 'not a parameter under API version 2026-10-21'],
  [16, 'params.betas', 'not allowed in a batch request'],
  [17, 'params.stream', 'must not be true'],
  [18, 'params.speed', 'not allowed in a batch request'],
  [19, 'params.max_tokens', 'claude-haiku-4-5 writes at most 64,000 tokens'],
];

describe('params checked against the request shape of API version 2026-10-21', () => {
  it('reports each problem at its line and field path, the first 20 then a count', async () => {
    const bytes = readFileSync(fixture('problems.jsonl'));
    const error = await validateRequests(Readable.from([bytes]), { file: 'problems.jsonl' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    const problems = (error as InputError).problems;
    for (const [line, field, message] of PROBLEMS) {
      const found = problems.find((p) => p.line === line && p.field === field);
      expect(found, `line ${line}: ${field}`).toBeDefined();
      expect(found?.message).toContain(message);
    }
    // every line holds exactly one problem
    expect(problems.map((p) => p.line)).toEqual(PROBLEMS.map(([line]) => line));
    const few = await validateRequests(Readable.from([bytes]), {
      file: 'problems.jsonl',
      maxProblems: 5,
    }).then(
      () => undefined,
      (e: unknown) => e as InputError,
    );
    expect(few?.problems).toHaveLength(5);
    expect(few?.problemCount).toBe(PROBLEMS.length);
  });

  it('accepts one valid request holding every block type the SDK lists', () => {
    const line = readFileSync(fixture('every-block.jsonl'), 'utf8');
    const value = JSON.parse(line);
    expect(checkRequest(value)).toEqual([]);
    const types = new Set<string>();
    for (const m of value.params.messages) for (const b of m.content) types.add(b.type);
    expect([...types].sort()).toEqual(
      [
        'bash_code_execution_tool_result',
        'code_execution_tool_result',
        'container_upload',
        'document',
        'image',
        'redacted_thinking',
        'search_result',
        'server_tool_use',
        'text',
        'text_editor_code_execution_tool_result',
        'thinking',
        'tool_result',
        'tool_search_tool_result',
        'tool_use',
        'web_fetch_tool_result',
        'web_search_tool_result',
      ].sort(),
    );
  });
});
