import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';

const EXAMPLE = resolve('examples/openai-batch.jsonl');
const dir = tempDir();
let counter = 0;
const fresh = () => {
  counter += 1;
  return join(dir, `out-${counter}.jsonl`);
};

const lines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** An OpenAI batch file of these bodies (custom_ids q1, q2…). */
function openAiFile(name: string, bodies: Record<string, unknown>[]): string {
  const path = join(dir, name);
  const text = bodies
    .map((body, i) =>
      JSON.stringify({
        custom_id: `q${i + 1}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4o', messages: [{ role: 'user', content: `Question ${i + 1}` }], ...body },
      }),
    )
    .join('\n');
  writeFileSync(path, `${text}\n`);
  return path;
}

describe('build openai', () => {
  it('converts the example: custom_ids kept, a sidecar with source openai, the summary on stderr', async () => {
    const out = fresh();
    const r = await runCli(['build', 'openai', EXAMPLE, '--model', 'claude-haiku-4-5', '-o', out]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^✓ 5 requests written to ${out} \\(.+\\)\n`));
    expect(r.stderr).toContain('  models: claude-haiku-4-5 ×5');
    expect(r.code).toBe(0);
    const requests = lines(readFileSync(out, 'utf8'));
    expect(requests.map((q) => q.custom_id)).toEqual(['req-1', 'req-2', 'req-3', 'req-4', 'req-5']);
    expect(requests[0].params).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 50,
      system: 'You are a terse assistant.',
      messages: [{ role: 'user', content: 'Name the capital of France.' }],
    });
    expect(requests[1].params.messages[0].content[1]).toMatchObject({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png' },
    });
    expect(requests[4].params.stop_sequences).toEqual(['5']);
    const [header, ...map] = lines(readFileSync(`${out}.map`, 'utf8'));
    expect(header).toMatchObject({ claude_batch_map: 1, source: 'openai' });
    expect(map[1]).toEqual({ custom_id: 'req-2', row: 2, line: 2 });
    const dry = await runCli(['submit', out, '--dry-run']);
    expect(dry.stderr).toContain('5 valid requests');
    expect(dry.code).toBe(0);
  });

  it('refuses without --model or --model-map (exit 2, nothing read or written)', async () => {
    const out = fresh();
    const r = await runCli(['build', 'openai', EXAMPLE, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: build openai needs --model (the Claude model of every request), or --model-map FILE\n' +
        'hint: e.g. --model claude-sonnet-4-6, or --model-map models.json holding {"gpt-4o": "claude-sonnet-4-6"}\n',
    );
    expect(existsSync(out)).toBe(false);
  });

  it("--model-map: every line's model must be in it (or --model given)", async () => {
    const mapFile = join(dir, 'models.json');
    writeFileSync(mapFile, JSON.stringify({ 'gpt-4o': 'claude-haiku-4-5' }));
    const input = openAiFile('mixed.jsonl', [{}, { model: 'gpt-4o-mini' }]);
    const out = fresh();
    const refused = await runCli(['build', 'openai', input, '--model-map', mapFile, '-o', out]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(
      `error: ${input}:2: body.model: "gpt-4o-mini" is not in --model-map (add it, or pass --model)\n` +
        'hint: fix the input; nothing was written\n',
    );
    expect(existsSync(out)).toBe(false);
    const ok = await runCli([
      'build',
      'openai',
      input,
      '--model-map',
      mapFile,
      '--model',
      'claude-opus-4-6',
      '-o',
      out,
    ]);
    expect(ok.code).toBe(0);
    expect(lines(readFileSync(out, 'utf8')).map((q) => q.params.model)).toEqual([
      'claude-haiku-4-5',
      'claude-opus-4-6',
    ]);
  });

  it('unsupported options: one FILE:LINE: body.KEY problem each, exit 2, nothing written', async () => {
    const input = openAiFile('unsupported.jsonl', [
      { n: 3 },
      {},
      { logprobs: true, presence_penalty: 0.3, temperature: 0.7 },
      { response_format: { type: 'json_object' }, n: 1 },
    ]);
    const out = fresh();
    const r = await runCli(['build', 'openai', input, '--model', 'claude-haiku-4-5', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const err = r.stderr.split('\n');
    expect(err[0]).toBe(`error: 5 problems in ${input}; nothing was written`);
    expect(err.slice(1, 6)).toEqual([
      `  ${input}:1: body.n: n > 1 has no Claude equivalent (one response per request) (or pass --drop-unsupported)`,
      `  ${input}:3: body.logprobs: no Claude equivalent (or pass --drop-unsupported)`,
      `  ${input}:3: body.presence_penalty: no Claude equivalent (or pass --drop-unsupported)`,
      `  ${input}:3: body.temperature: no Claude equivalent under API version 2026-10-21 (the version this tool's SDK sends refuses temperature and top_p) (or pass --drop-unsupported)`,
      `  ${input}:4: body.response_format: only {"type": "text"} and {"type": "json_schema"} have a Claude equivalent (json_object has no schema: pass one with --schema FILE) (or pass --drop-unsupported)`,
    ]);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.map`)).toBe(false);
  });

  it('--drop-unsupported drops them and counts each key in the summary as a warning', async () => {
    const input = openAiFile('dropped.jsonl', [{ n: 3, seed: 1 }, {}, { seed: 2 }]);
    const out = fresh();
    const r = await runCli([
      'build',
      'openai',
      input,
      '--model',
      'claude-haiku-4-5',
      '--drop-unsupported',
      '-o',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: dropped options with no Claude equivalent (--drop-unsupported): body.n ×1, body.seed ×2\n',
    );
    for (const q of lines(readFileSync(out, 'utf8')))
      expect(Object.keys(q.params)).toEqual(['model', 'max_tokens', 'messages']);
    const json = await runCli([
      'build',
      'openai',
      input,
      '--model',
      'claude-haiku-4-5',
      '--drop-unsupported',
      '-o',
      out,
      '--force',
      '--json',
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      source: 'openai',
      requests: 3,
      dropped: { 'body.n': 1, 'body.seed': 2 },
    });
  });

  it('another endpoint or method, a bad or repeated custom_id: problems; --hash-ids fixes the ids', async () => {
    const path = join(dir, 'wrong.jsonl');
    const good = (id: string) =>
      JSON.stringify({
        custom_id: id,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] },
      });
    writeFileSync(
      path,
      [
        good('a b'),
        good('dup'),
        good('dup'),
        JSON.stringify({
          custom_id: 'e1',
          method: 'POST',
          url: '/v1/embeddings',
          body: { model: 'x', input: 'y' },
        }),
        JSON.stringify({
          custom_id: 'g1',
          method: 'GET',
          url: '/v1/chat/completions',
          body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] },
        }),
      ].join('\n'),
    );
    const out = fresh();
    const r = await runCli(['build', 'openai', path, '--model', 'claude-haiku-4-5', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `  ${path}:1: custom_id: "a b" is not a valid custom_id: use 1 to 64 letters, digits, "_" or "-" (or pass --hash-ids)\n`,
    );
    expect(r.stderr).toContain(
      `  ${path}:3: custom_id: "dup" repeats the id of line 2 (or pass --hash-ids)\n`,
    );
    expect(r.stderr).toContain(
      `  ${path}:4: url: must be "/v1/chat/completions", got "/v1/embeddings": only chat completions have a Claude equivalent\n`,
    );
    expect(r.stderr).toContain(`  ${path}:5: method: must be "POST", got "GET"\n`);
    expect(existsSync(out)).toBe(false);

    writeFileSync(path, [good('a b'), good('dup'), good('dup')].join('\n'));
    const hashed = await runCli([
      'build',
      'openai',
      path,
      '--model',
      'claude-haiku-4-5',
      '--hash-ids',
      '-o',
      out,
    ]);
    expect(hashed.code).toBe(0);
    expect(hashed.stderr).toContain('  2 ids replaced by a hash (--hash-ids)\n');
    const map = lines(readFileSync(`${out}.map`, 'utf8')).slice(1);
    expect(map[0]).toMatchObject({ row: 1, line: 1, id: 'a b' });
    expect(map[1]).toEqual({ custom_id: 'dup', row: 2, line: 2 });
    expect(map[2]).toMatchObject({ row: 3, line: 3, id: 'dup' });
  });

  it('reads stdin', async () => {
    const r = await runCli(['build', 'openai', '-', '--model', 'claude-haiku-4-5', '-o', '-'], {
      stdin: readFileSync(EXAMPLE),
    });
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(5);
    expect(r.stderr).toContain('✓ 5 requests written to stdout');
  });
});
