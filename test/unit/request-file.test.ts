import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ExitCode, exitCodeFor } from '../../src/cli/exit-codes.js';
import { InputError } from '../../src/core/errors.js';
import { formatBytes, validateRequests } from '../../src/core/requests/file.js';
import { checkRequest } from '../../src/core/requests/schema.js';
import { request } from '../helpers/files.js';

const source = (text: string) => Readable.from([Buffer.from(text)]);
const jsonl = (...values: unknown[]) =>
  values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('\n');

async function problems(
  text: string,
  options: { maxRequests?: number; maxBytes?: number } = {},
): Promise<string[]> {
  try {
    await validateRequests(source(text), { file: 'req.jsonl', ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect(exitCodeFor((error as InputError).kind)).toBe(ExitCode.USAGE);
    return [(error as InputError).message, ...(error as InputError).details];
  }
  return [];
}

describe('validateRequests', () => {
  it('accepts a valid file, ignoring blank lines, and sums it up by model', async () => {
    const text = jsonl(request('a'), '', '   ', request('b', 'x', { model: 'claude-sonnet-4-6' }), '');
    const stats = await validateRequests(source(text), { file: 'f' });
    expect(stats.requests).toBe(2);
    expect(Object.keys(stats.byModel).sort()).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-6']);
    expect(stats.byModel['claude-sonnet-4-6']).toEqual({
      requests: 1,
      promptChars: 1,
      inputTokens: 1,
      maxTokens: 64,
    });
    const lineBytes =
      Buffer.byteLength(JSON.stringify(request('a'))) +
      Buffer.byteLength(JSON.stringify(request('b', 'x', { model: 'claude-sonnet-4-6' })));
    expect(stats.bodyBytes).toBe('{"requests":['.length + lineBytes + 1 + 2);
  });

  it('reports a bad JSON line with its line number', async () => {
    expect(await problems(jsonl(request('a'), '{"custom_id": "b",'))).toEqual([
      expect.stringMatching(/^req\.jsonl:2: json: not valid JSON \(/),
    ]);
  });

  it('reports an id with a dot, a duplicate id and a missing max_tokens, each at its line', async () => {
    const missing = request('c');
    delete (missing.params as Record<string, unknown>).max_tokens;
    const out = await problems(jsonl(request('a.b'), request('ok'), request('ok'), missing));
    expect(out[0]).toBe('3 problems in req.jsonl; nothing was sent');
    expect(out.slice(1)).toEqual([
      'req.jsonl:1: custom_id: "a.b" is not a valid custom_id: use 1 to 64 letters, digits, "_" or "-"',
      'req.jsonl:3: custom_id: "ok" repeats the id of line 2',
      'req.jsonl:4: params.max_tokens: is required',
    ]);
  });

  it('refuses extra keys, stream: true, empty messages and wrong types', async () => {
    const out = await problems(
      jsonl(
        { ...request('a'), original_row: 3 },
        request('b', 'x', { stream: true }),
        { custom_id: 'c', params: { model: '', max_tokens: 1.5, messages: [] } },
        [1, 2],
        { custom_id: 7, params: 'x' },
      ),
    );
    expect(out.slice(1)).toEqual([
      'req.jsonl:1: original_row: unknown key: a request has only custom_id and params (keep other data out of the request)',
      'req.jsonl:2: params.stream: must not be true: batch requests do not stream',
      'req.jsonl:3: params.model: must not be empty',
      'req.jsonl:3: params.max_tokens: must be an integer, got 1.5',
      'req.jsonl:3: params.messages: must hold at least one message',
      'req.jsonl:4: request: must be a JSON object with custom_id and params, got an array',
      'req.jsonl:5: custom_id: must be a string, got a number',
      'req.jsonl:5: params: must be an object, got a string',
    ]);
  });

  it('shows the first 20 problems and counts the rest', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `not json ${i}`);
    const out = await problems(lines.join('\n'));
    expect(out[0]).toBe('30 problems in req.jsonl; nothing was sent');
    expect(out).toHaveLength(1 + 20 + 1);
    expect(out.at(-1)).toBe('… and 10 more');
  });

  it('refuses more requests than one batch takes, at the first one too many', async () => {
    const text = jsonl(request('a'), request('b'), request('c'));
    expect(await problems(text, { maxRequests: 2 })).toEqual([
      'req.jsonl:3: requests: more than 2 requests: one batch takes at most 2 (split the file, or use `claude-batch run`)',
    ]);
  });

  it('refuses a body over the size limit', async () => {
    const text = jsonl(request('a'), request('b'));
    const [message] = await problems(text, { maxBytes: 200 });
    expect(message).toMatch(/^req\.jsonl:2: file: the requests pass 200 B here/);
  });

  it('refuses an empty file and one of blank lines only', async () => {
    for (const text of ['', '\n\n  \n']) {
      expect(await problems(text)).toEqual([
        'req.jsonl: file: no requests: the file is empty or holds only blank lines',
      ]);
    }
  });

  it('refuses invalid UTF-8 at its line', async () => {
    const bad = Buffer.concat([
      Buffer.from(`${JSON.stringify(request('a'))}\n{"custom_id":"`),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    await expect(validateRequests(Readable.from([bad]), { file: 'f' })).rejects.toThrow(
      /^f:2: encoding: not valid UTF-8/,
    );
  });
});

describe('checkRequest', () => {
  it('accepts params it does not know (system, tools, thinking…)', () => {
    expect(
      checkRequest(
        request('a', 'x', {
          system: 'be brief',
          max_tokens: 2048,
          thinking: { type: 'enabled', budget_tokens: 1024 },
        }),
      ),
    ).toEqual([]);
  });

  it('checks message roles and content', () => {
    const r = {
      custom_id: 'a',
      params: { model: 'm', max_tokens: 1, messages: [{ role: 'system', content: 5 }] },
    };
    expect(checkRequest(r)).toEqual([
      { field: 'params.messages.0.role', message: 'must be "user" or "assistant"' },
      { field: 'params.messages.0.content', message: 'must be a string or an array of content blocks' },
    ]);
  });
});

describe('formatBytes', () => {
  it('uses decimal units', () => {
    expect(formatBytes(652)).toBe('652 B');
    expect(formatBytes(12_345)).toBe('12.3 kB');
    expect(formatBytes(256_000_000)).toBe('256 MB');
    expect(formatBytes(1_250_000)).toBe('1.25 MB');
  });
});
