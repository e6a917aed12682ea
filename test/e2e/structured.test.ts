import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import formatsModule from 'ajv-formats';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/files.js';
import { png } from '../helpers/images.js';

// Structured outputs end to end, from the built binary against the emulator: a JSON Schema in,
// typed columns out, invalid answers marked, counted and sent again.
const ctx = useEmulator({ processingTimeMs: 300 });
const dir = tempDir();
type AjvClass = typeof AjvModule.default;
const Ajv = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;
type AddFormats = typeof formatsModule.default;
const addFormats = ((formatsModule as unknown as { default?: AddFormats }).default ??
  formatsModule) as AddFormats;

const SCHEMA = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
    score: { type: 'integer' },
    topics: { type: 'array', items: { type: 'string' }, minItems: 1 },
    details: {
      type: 'object',
      properties: { colour: { type: 'string' }, seen: { type: 'string', format: 'date' } },
      required: ['colour', 'seen'],
      additionalProperties: false,
    },
  },
  required: ['sentiment', 'score', 'topics', 'details'],
  additionalProperties: false,
};

const csvRows = (path: string) => parse(readFileSync(path, 'utf8'), { columns: false }) as string[][];
const jsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

function writeInput(): { csv: string; schema: string } {
  const data = join(dir, 'data');
  mkdirSync(join(data, 'photos'), { recursive: true });
  writeFileSync(join(data, 'photos', 'mug.png'), png(8, 8));
  writeFileSync(
    join(data, 'reviews.csv'),
    'id,text,photo\nr1,Lovely mug,photos/mug.png\nr2,Broken handle EMULATE_INVALID_OUTPUT,photos/mug.png\nr3,Too long EMULATE_TRUNCATED_OUTPUT,\nr4,Fine,\n',
  );
  writeFileSync(join(data, 'schema.json'), JSON.stringify(SCHEMA));
  return { csv: join(data, 'reviews.csv'), schema: join(data, 'schema.json') };
}

describe('structured outputs (spawned binary, emulator)', () => {
  it('a CSV with an image column and --schema builds, submits and joins back into typed columns', async () => {
    const { csv, schema } = writeInput();
    const requests = join(dir, 'requests.jsonl');
    const build = await runBin(
      [
        'build',
        'csv',
        csv,
        '--template',
        'Review: {{text}}',
        '--image-column',
        'photo',
        '--id-column',
        'id',
        '--schema',
        schema,
        '-o',
        requests,
      ],
      { env: ctx.env },
    );
    expect(build.stderr).toMatch(/^✓ 4 requests written/);
    expect(build.code).toBe(0);
    const first = jsonl(requests)[0];
    expect(first.params.output_config).toEqual({ format: { type: 'json_schema', schema: SCHEMA } });
    expect(first.params.messages[0].content[0].type).toBe('image');

    const submit = await runBin(['submit', requests], { env: ctx.env });
    expect(submit.code).toBe(0);
    const id = submit.stdout.trim();
    ctx.endBatches();
    const results = join(dir, 'results.jsonl');
    expect((await runBin(['results', id, '-o', results], { env: ctx.env })).code).toBe(0);

    const joined = join(dir, 'joined.csv');
    const join1 = await runBin(
      ['results', '--join', csv, '--requests', requests, '--from', results, '--format', 'csv', '-o', joined],
      { env: ctx.env },
    );
    expect(join1.code).toBe(0);
    expect(join1.stderr).toContain('Structured answers: 4 checked · 2 invalid');
    const [header, ...rows] = csvRows(joined);
    expect(header).toEqual([
      'id',
      'text',
      'photo',
      'result_type',
      'result_text',
      'result_stop_reason',
      'result_input_tokens',
      'result_output_tokens',
      'result_error_type',
      'result_error_message',
      'result_output_error',
      'out_sentiment',
      'out_score',
      'out_topics',
      'out_details',
    ]);
    const validate = addFormats(new Ajv({ strict: false })).compile(SCHEMA.properties.details);
    const byId = new Map(rows.map((r) => [r[0], r]));
    for (const ok of ['r1', 'r4']) {
      const row = byId.get(ok) as string[];
      expect(row[10]).toBe('');
      expect(SCHEMA.properties.sentiment.enum).toContain(row[11]);
      expect(row[12]).toMatch(/^-?\d+$/);
      expect(JSON.parse(row[13] as string).length).toBeGreaterThanOrEqual(1);
      expect(validate(JSON.parse(row[14] as string))).toBe(true);
      expect(JSON.parse(row[4] as string)).toEqual({
        sentiment: row[11],
        score: Number(row[12]),
        topics: JSON.parse(row[13] as string),
        details: JSON.parse(row[14] as string),
      });
    }
    expect(byId.get('r2')?.[10]).toMatch(/^does not match the schema: /);
    expect(byId.get('r3')?.[5]).toBe('max_tokens');
    expect(byId.get('r3')?.[10]).toMatch(/cut at max_tokens/);

    // The flat formats carry the same fields; a batch retry resends exactly the invalid answers.
    const compact = await runBin(['results', id, '--requests', requests, '--format', 'compact'], {
      env: ctx.env,
    });
    const lines = compact.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(
      lines
        .filter((l) => l.output_error !== null)
        .map((l) => l.custom_id)
        .sort(),
    ).toEqual(['r2', 'r3']);
    // Without the requests, no columns are guessed: a note says how to get them.
    const plain = await runBin(['results', id, '--format', 'csv'], { env: ctx.env });
    expect(plain.stdout.split('\n')[0]).not.toContain('out_');
    expect(plain.stderr).toContain(
      'note: 4 answers look like JSON objects; for their fields as out_ columns',
    );
    const retry = await runBin(['retry', id, '--requests', requests, '--invalid-output'], { env: ctx.env });
    expect(retry.code).toBe(0);
    expect(retry.stderr).toContain('Resubmitted 2 requests');
    expect(retry.stderr).toContain('2 × invalid structured answer');
  });

  it('a job: invalid answers are counted, and retry --invalid-output resends exactly those and merges the new answers', async () => {
    const { csv, schema } = writeInput();
    const state = join(dir, 'job');
    const run = await runBin(
      [
        'run',
        'csv',
        csv,
        '--prompt-column',
        'text',
        '--id-column',
        'id',
        '--schema',
        schema,
        '--state',
        state,
        '--interval',
        '100ms',
      ],
      { env: ctx.env },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('Structured answers: 4 checked · 2 invalid');
    const before = new Map(
      jsonl(join(state, 'results.jsonl')).map((r) => [r.custom_id, r.result.message.id]),
    );

    const retry = await runBin(['retry', state, '--invalid-output', '--interval', '100ms'], { env: ctx.env });
    expect(retry.code).toBe(0);
    expect(retry.stderr).toContain('Retrying 2 requests in 1 shard');
    const manifest = JSON.parse(readFileSync(join(state, 'manifest.json'), 'utf8'));
    const attempt = manifest.shards[0].attempts[1];
    expect(
      jsonl(join(state, attempt.file))
        .map((r) => r.custom_id)
        .sort(),
    ).toEqual(['r2', 'r3']);
    // Merged: the retried ids carry their new answers, the others their first.
    const after = new Map(jsonl(join(state, 'results.jsonl')).map((r) => [r.custom_id, r.result.message.id]));
    expect(after.size).toBe(4);
    for (const id of ['r1', 'r4']) expect(after.get(id)).toBe(before.get(id));
    for (const id of ['r2', 'r3']) expect(after.get(id)).not.toBe(before.get(id));
    // The job's counts take each custom_id's latest answer: 4 requests, 4 results, not 6.
    const status = await runBin(['job', 'status', state], { env: ctx.env });
    expect(status.code, status.stderr).toBe(0);
    expect(`${status.stdout}${status.stderr}`).toMatch(/Latest results:\s+4 succeeded/);

    // The job's own requests say what was asked: job results gives the columns with no flag.
    const out = join(dir, 'job.csv');
    expect(
      (await runBin(['job', 'results', state, '--format', 'csv', '-o', out], { env: ctx.env })).code,
    ).toBe(0);
    expect(csvRows(out)[0]?.slice(-5)).toEqual([
      'result_output_error',
      'out_sentiment',
      'out_score',
      'out_topics',
      'out_details',
    ]);
  });

  it("a forced tool's inputs come back as columns, with the tool's name", async () => {
    const data = join(dir, 'tool');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'items.csv'), 'sku,name\na1,Mug\nb2,Lamp\n');
    writeFileSync(
      join(data, 'tools.json'),
      JSON.stringify([
        {
          name: 'record',
          description: 'Record the product',
          input_schema: {
            type: 'object',
            properties: {
              category: { type: 'string', enum: ['kitchen', 'lighting'] },
              price: { type: 'number', minimum: 1, maximum: 9 },
            },
            required: ['category', 'price'],
          },
        },
      ]),
    );
    const requests = join(data, 'requests.jsonl');
    const build = await runBin(
      [
        'build',
        'csv',
        join(data, 'items.csv'),
        '--prompt-column',
        'name',
        '--id-column',
        'sku',
        '--tools',
        join(data, 'tools.json'),
        '--tool-choice',
        'record',
        '-o',
        requests,
      ],
      { env: ctx.env },
    );
    expect(build.code).toBe(0);
    const id = (await runBin(['submit', requests], { env: ctx.env })).stdout.trim();
    ctx.endBatches();
    const out = join(data, 'joined.csv');
    const joined = await runBin(
      [
        'results',
        id,
        '--join',
        join(data, 'items.csv'),
        '--requests',
        requests,
        '--format',
        'csv',
        '-o',
        out,
      ],
      { env: ctx.env },
    );
    expect(joined.code).toBe(0);
    const [header, ...rows] = csvRows(out);
    expect(header?.slice(2)).toEqual([
      'result_type',
      'result_text',
      'result_stop_reason',
      'result_input_tokens',
      'result_output_tokens',
      'result_error_type',
      'result_error_message',
      'result_tool_name',
      'result_output_error',
      'out_category',
      'out_price',
    ]);
    for (const row of rows) {
      expect(row[9]).toBe('record');
      expect(row[10]).toBe('');
      expect(['kitchen', 'lighting']).toContain(row[11]);
      expect(Number(row[12])).toBeGreaterThanOrEqual(1);
      expect(Number(row[12])).toBeLessThanOrEqual(9);
    }
  });

  it('an invalid schema file is refused at build with its path and the place in it, exit 2, nothing written', async () => {
    const bad = join(dir, 'bad-schema.json');
    writeFileSync(
      bad,
      JSON.stringify({
        type: 'object',
        properties: { score: { type: 'integer', minimum: 1 }, ref: { $ref: 'https://example.com/s.json' } },
        additionalProperties: false,
      }),
    );
    writeFileSync(join(dir, 'small.csv'), 'text\nhello\n');
    const out = join(dir, 'never.jsonl');
    const build = await runBin(
      ['build', 'csv', join(dir, 'small.csv'), '--prompt-column', 'text', '--schema', bad, '-o', out],
      { env: ctx.env },
    );
    expect(build.code).toBe(2);
    expect(build.stdout).toBe('');
    expect(build.stderr).toContain(
      `${bad}: properties.score.minimum: numerical constraints are not supported`,
    );
    expect(build.stderr).toContain(
      `${bad}: properties.ref.$ref: "https://example.com/s.json": external references`,
    );
    expect(build.stderr).toMatch(/hint: fix the schema/);
    expect(existsSync(out)).toBe(false);
  });
});
