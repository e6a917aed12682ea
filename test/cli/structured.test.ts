import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/files.js';

// Output columns from hand-made results (no API): naming, order, collisions, what is refused.
const dir = tempDir();

const SCHEMA = {
  type: 'object',
  properties: {
    score: { type: 'integer' },
    label: { type: 'string', enum: ['a', 'b'] },
    extra: {
      type: 'object',
      properties: { x: { type: 'number' } },
      required: ['x'],
      additionalProperties: false,
    },
  },
  required: ['score', 'label', 'extra'],
  additionalProperties: false,
};

const succeeded = (id: string, text: string, stop = 'end_turn') =>
  JSON.stringify({
    custom_id: id,
    result: {
      type: 'succeeded',
      message: {
        id: `msg_${id}`,
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5',
        content: [
          { type: 'thinking', thinking: 'THINKING', signature: 's' },
          { type: 'text', text },
        ],
        stop_reason: stop,
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 4 },
      },
    },
  });

async function setUp() {
  const input = join(dir, 'in.csv');
  writeFileSync(input, 'id,out_score,text\nr1,old,one\nr2,old,two\nr3,old,three\nr4,old,four\n');
  writeFileSync(join(dir, 'schema.json'), JSON.stringify(SCHEMA));
  const requests = join(dir, 'requests.jsonl');
  const build = await runCli(
    [
      'build',
      'csv',
      input,
      '--prompt-column',
      'text',
      '--id-column',
      'id',
      '--schema',
      'schema.json',
      '--force',
      '-o',
      requests,
    ],
    { cwd: dir },
  );
  expect(build.code).toBe(0);
  const results = join(dir, 'results.jsonl');
  writeFileSync(
    results,
    `${[
      succeeded('r1', JSON.stringify({ score: 3, label: 'a', extra: { x: 1.5 } })),
      succeeded('r2', '{"score": "three"'),
      succeeded('r3', JSON.stringify({ score: 1.5, label: 'c', extra: { x: 1 } })),
      JSON.stringify({ custom_id: 'r4', result: { type: 'expired' } }),
    ].join('\n')}\n`,
  );
  return { input, requests, results };
}

describe('typed output columns', () => {
  it('--join csv: input, result, then out_ columns in schema order; a taken name gets out_ again', async () => {
    const { input, requests, results } = await setUp();
    const r = await runCli(
      ['results', '--join', input, '--requests', requests, '--from', results, '--format', 'csv'],
      {
        cwd: dir,
      },
    );
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header).toBe(
      'id,out_score,text,result_type,result_text,result_stop_reason,result_input_tokens,result_output_tokens,result_error_type,result_error_message,result_output_error,out_out_score,out_label,out_extra',
    );
    expect(rows[0]).toBe(
      'r1,old,one,succeeded,"{""score"":3,""label"":""a"",""extra"":{""x"":1.5}}",end_turn,3,4,,,,3,a,"{""x"":1.5}"',
    );
    expect(rows[1]).toMatch(/^r2,old,two,succeeded,.*,"not JSON \(.*\)",,,$/);
    expect(rows[2]).toMatch(
      /does not match the schema: score: must be integer; label: must be equal to one of the allowed values/,
    );
    expect(rows[3]).toBe('r4,old,four,expired,,,,,,,,,,');
    // Thinking is never mixed into the text.
    expect(r.stdout).not.toContain('THINKING');
    expect(r.stderr).toContain('Structured answers: 3 checked · 2 invalid');
  });

  it('--join jsonl keeps nested values as JSON; --schema overrides the requests', async () => {
    const { input, requests, results } = await setUp();
    const r = await runCli(['results', '--join', input, '--requests', requests, '--from', results], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    const first = JSON.parse(r.stdout.split('\n')[0] as string);
    // A CSV row as JSON is flat, with the CSV's column names (JSON inputs nest them under .result).
    expect(first).toMatchObject({
      out_score: 'old',
      result_output_error: null,
      out_out_score: 3,
      out_label: 'a',
      out_extra: { x: 1.5 },
    });
    const loose = join(dir, 'loose.json');
    writeFileSync(loose, JSON.stringify({ ...SCHEMA, properties: { ...SCHEMA.properties, score: {} } }));
    const refused = await runCli(
      ['results', '--join', input, '--requests', requests, '--from', results, '--schema', loose],
      {
        cwd: dir,
      },
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('loose.json: properties.score: "type" is required');
    writeFileSync(
      loose,
      JSON.stringify({ ...SCHEMA, properties: { ...SCHEMA.properties, score: { type: 'number' } } }),
    );
    const r2 = await runCli(
      [
        'results',
        '--join',
        input,
        '--requests',
        requests,
        '--from',
        results,
        '--schema',
        loose,
        '--format',
        'csv',
      ],
      { cwd: dir },
    );
    expect(r2.stderr).toContain('Structured answers: 3 checked · 2 invalid');
    expect(r2.stdout.split('\n')[3]).toMatch(/does not match the schema: label: must be equal/);
  });

  it('--requests and --schema without --join need compact or csv', async () => {
    const r = await runCli(['results', 'msgbatch_x', '--schema', 'schema.json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--schema needs --format compact, csv or sqlite, or --join INPUT');
    expect(readFileSync(join(dir, 'schema.json'), 'utf8')).toContain('score');
  });

  it('retry --invalid-output refuses requests that asked for no structured answer', async () => {
    const plain = join(dir, 'plain.jsonl');
    writeFileSync(
      plain,
      `${JSON.stringify({ custom_id: 'a', params: { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] } })}\n`,
    );
    const r = await runCli(['retry', 'msgbatch_x', '--requests', plain, '--invalid-output'], {
      cwd: dir,
      env: { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no request of');
  });
});

describe('--schema on every source, and in a job identity', () => {
  const ctx = useEmulator({ processingTimeMs: 100 });

  it('custom modules and OpenAI files get output_config.format merged; a module that sets one is refused', async () => {
    writeFileSync(join(dir, 'schema.json'), JSON.stringify(SCHEMA));
    writeFileSync(
      join(dir, 'mod.mjs'),
      `export function buildRequests() { return [{ custom_id: 'a', params: { messages: [{ role: 'user', content: 'x' }], output_config: { effort: 'low' } } }]; }\n`,
    );
    const built = await runCli(['build', 'custom', 'mod.mjs', '--schema', 'schema.json', '-o', 'mod.jsonl'], {
      cwd: dir,
    });
    expect(built.code).toBe(0);
    const line = JSON.parse(readFileSync(join(dir, 'mod.jsonl'), 'utf8'));
    expect(line.params.output_config).toEqual({
      effort: 'low',
      format: { type: 'json_schema', schema: SCHEMA },
    });

    writeFileSync(
      join(dir, 'both.mjs'),
      `export const buildRequests = () => [{ custom_id: 'a', params: { messages: [{ role: 'user', content: 'x' }], output_config: { format: { type: 'json_schema', schema: { type: 'object', additionalProperties: false } } } } }];\n`,
    );
    const both = await runCli(
      ['build', 'custom', 'both.mjs', '--schema', 'schema.json', '-o', 'both.jsonl'],
      {
        cwd: dir,
      },
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain(
      'both.mjs: requests[0].params.output_config: already sets output_config.format',
    );

    writeFileSync(
      join(dir, 'openai.jsonl'),
      `${JSON.stringify({ custom_id: 'o1', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] } })}\n`,
    );
    const openai = await runCli(
      [
        'build',
        'openai',
        'openai.jsonl',
        '--model',
        'claude-haiku-4-5',
        '--schema',
        'schema.json',
        '-o',
        'oa.jsonl',
      ],
      { cwd: dir },
    );
    expect(openai.code).toBe(0);
    expect(
      JSON.parse(readFileSync(join(dir, 'oa.jsonl'), 'utf8')).params.output_config.format.schema,
    ).toEqual(SCHEMA);
  });

  it('run <source> --schema: an edited schema file is named on resume', async () => {
    writeFileSync(join(dir, 'job-schema.json'), JSON.stringify(SCHEMA));
    writeFileSync(join(dir, 'job.csv'), 'text\none\ntwo\n');
    const args = [
      'run',
      'csv',
      'job.csv',
      '--prompt-column',
      'text',
      '--schema',
      'job-schema.json',
      '--state',
      'sjob',
    ];
    const first = await runCli([...args, '--interval', '50ms'], { cwd: dir, env: ctx.env });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('Structured answers: 2 checked · all valid');
    writeFileSync(join(dir, 'job-schema.json'), JSON.stringify({ ...SCHEMA, description: 'edited' }));
    const again = await runCli(args, { cwd: dir, env: ctx.env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('The options changed since job');
    expect(again.stderr).toMatch(
      /--schema: was "job-schema\.json \(sha256 [0-9a-f]{16}\)", now "job-schema\.json \(sha256/,
    );
  });
});

describe('retry --invalid-output against the invalid-output fault (drawn anew per attempt)', () => {
  const ctx = useEmulator({ processingTimeMs: 50, faults: 'invalid-output=0.5', seed: 3 });

  it('the retried answers are merged, and most now match', async () => {
    writeFileSync(join(dir, 'fault-schema.json'), JSON.stringify(SCHEMA));
    writeFileSync(
      join(dir, 'many.csv'),
      `text\n${Array.from({ length: 16 }, (_, i) => `row ${i}`).join('\n')}\n`,
    );
    const state = join(dir, 'fault-job');
    const run = await runCli(
      [
        'run',
        'csv',
        'many.csv',
        '--prompt-column',
        'text',
        '--schema',
        'fault-schema.json',
        '--state',
        state,
        '--interval',
        '50ms',
      ],
      { cwd: dir, env: ctx.env },
    );
    expect(run.code).toBe(0);
    const invalid = (text: string) => Number(/(\d+) invalid/.exec(text)?.[1] ?? 0);
    const before = invalid(run.stderr);
    expect(before).toBeGreaterThan(2);
    const retry = await runCli(['retry', state, '--invalid-output', '--interval', '50ms'], {
      cwd: dir,
      env: ctx.env,
    });
    expect(retry.code).toBe(0);
    expect(retry.stderr).toContain(`Retrying ${before} requests in 1 shard`);
    expect(invalid(retry.stderr)).toBeLessThan(before);
    const csv = await runCli(['job', 'results', state, '--format', 'csv'], { cwd: dir, env: ctx.env });
    const rows = csv.stdout.trimEnd().split('\n').slice(1);
    expect(rows).toHaveLength(16);
    expect(rows.filter((r) => r.includes('does not match the schema'))).toHaveLength(invalid(retry.stderr));
  });
});

describe('build openai: response_format json_schema → structured outputs', () => {
  const line = (id: string, responseFormat: unknown) =>
    JSON.stringify({
      custom_id: id,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], response_format: responseFormat },
    });

  it('converts a json_schema response format, checks its schema, and refuses json_object', async () => {
    writeFileSync(
      join(dir, 'rf.jsonl'),
      `${line('a', { type: 'json_schema', json_schema: { name: 'x', strict: true, schema: SCHEMA } })}\n${line('b', { type: 'text' })}\n`,
    );
    const ok = await runCli(
      ['build', 'openai', 'rf.jsonl', '--model', 'claude-haiku-4-5', '-o', 'rf-out.jsonl'],
      {
        cwd: dir,
      },
    );
    expect(ok.code, ok.stderr).toBe(0);
    const [a, b] = readFileSync(join(dir, 'rf-out.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(a.params.output_config).toEqual({ format: { type: 'json_schema', schema: SCHEMA } });
    expect(b.params.output_config).toBeUndefined();

    writeFileSync(
      join(dir, 'rf-bad.jsonl'),
      `${line('a', { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: {} } } })}\n${line('b', { type: 'json_object' })}\n`,
    );
    const bad = await runCli(
      ['build', 'openai', 'rf-bad.jsonl', '--model', 'claude-haiku-4-5', '-o', 'rf-bad-out.jsonl'],
      {
        cwd: dir,
      },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'rf-bad.jsonl:1: body.response_format.json_schema.schema.additionalProperties: is required',
    );
    expect(bad.stderr).toContain(
      'rf-bad.jsonl:2: body.response_format: only {"type": "text"} and {"type": "json_schema"',
    );
  });
});
