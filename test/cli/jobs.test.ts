import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { readManifest, writeManifest } from '../../src/core/job/manifest.js';
import { runCli } from '../helpers/cli.js';
import { useEmulator, waitFor } from '../helpers/emulator.js';
import { request, tempDir } from '../helpers/files.js';

const ctx = useEmulator({ processingTimeMs: 200 });
const dir = tempDir();

function writeJsonl(name: string, count: number, prompt = (i: number) => `Question ${i}`): string {
  const path = join(dir, name);
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) lines.push(JSON.stringify(request(`r${i}`, prompt(i))));
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const creates = () => ctx.emulator.counts['POST /v1/messages/batches'] ?? 0;

describe('run: a job larger than one batch', () => {
  it('a crash between the intent and the batch id does not create a second batch', async () => {
    const input = writeJsonl('crash.jsonl', 6);
    const state = join(dir, 'crash-job');
    // Plan the job without sending anything, then play the crash: the intent is on disk and the
    // batch exists at the API, but its id never reached the manifest.
    expect(
      (
        await runCli(['run', input, '--state', state, '--max-requests', '3', '--dry-run'], {
          env: ctx.env,
          cwd: dir,
        })
      ).code,
    ).toBe(0);
    const first = await runCli(['run', input, '--state', state, '--max-requests', '3', '--timeout', '1ms'], {
      env: ctx.env,
      cwd: dir,
    });
    expect(first.code).toBe(5);
    const manifest = readManifest(state);
    if (!manifest) throw new Error('no manifest');
    const attempt = manifest.shards[1]?.attempts[0];
    if (!attempt?.batch_id) throw new Error('shard 2 was not submitted');
    const lostId = attempt.batch_id;
    attempt.batch_id = null;
    attempt.status = 'pending';
    writeManifest(state, manifest);

    const before = creates();
    const r = await runCli(
      [
        'run',
        input,
        '--state',
        state,
        '--max-requests',
        '3',
        '--interval',
        '100ms',
        '--results',
        join(dir, 'crash-out.jsonl'),
      ],
      {
        env: ctx.env,
        cwd: dir,
      },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `shard 2/2: found batch ${lostId} created before the interruption; not creating another`,
    );
    expect(creates()).toBe(before);
    expect(readManifest(state)?.shards[1]?.attempts[0]?.batch_id).toBe(lostId);
    expect(readFileSync(join(dir, 'crash-out.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(6);
  });

  it('an intent whose create never happened is created on resume', async () => {
    const input = writeJsonl('never-sent.jsonl', 2);
    const state = join(dir, 'never-sent');
    const first = await runCli(['run', input, '--state', state, '--timeout', '1ms'], {
      env: ctx.env,
      cwd: dir,
    });
    expect(first.code).toBe(5);
    const manifest = readManifest(state);
    if (!manifest?.shards[0]?.attempts[0]) throw new Error('no attempt');
    // The crash came after the intent was written but before the request left: delete the batch.
    const sdk = new Anthropic({ apiKey: 'k', baseURL: ctx.emulator.url });
    const id = manifest.shards[0].attempts[0].batch_id as string;
    await sdk.messages.batches.cancel(id);
    await waitFor(
      async () => (await sdk.messages.batches.retrieve(id)).processing_status === 'ended',
      'the canceled batch to end',
    );
    await sdk.messages.batches.delete(id);
    manifest.shards[0].attempts[0].batch_id = null;
    writeManifest(state, manifest);
    const before = creates();
    const r = await runCli(['run', input, '--state', state, '--interval', '100ms'], {
      env: ctx.env,
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('no batch was created before the interruption; creating it now');
    expect(creates()).toBe(before + 1);
  });

  it('refuses to resume when the input changed', async () => {
    const input = writeJsonl('changing.jsonl', 2);
    const state = join(dir, 'changing');
    expect(
      (await runCli(['run', input, '--state', state, '--interval', '100ms'], { env: ctx.env, cwd: dir }))
        .code,
    ).toBe(0);
    writeJsonl('changing.jsonl', 3);
    const before = creates();
    const r = await runCli(['run', input, '--state', state], { env: ctx.env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: The input changed since job \S+ started; refusing to mix two runs\nhint: /,
    );
    expect(creates()).toBe(before);
  });

  it('--max-cost refuses to send when the ceiling is over it', async () => {
    const input = writeJsonl('costly.jsonl', 10);
    const before = creates();
    const r = await runCli(['run', input, '--state', join(dir, 'costly'), '--max-cost', '0.0001'], {
      env: ctx.env,
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /error: The estimated ceiling \$[\d.]+ is over --max-cost \$0\.0001; nothing was sent/,
    );
    expect(creates()).toBe(before);
  });
});

describe('job list | status | results | cancel', () => {
  it('sees a job as one thing', async () => {
    const input = writeJsonl('seen.jsonl', 4);
    const state = join(dir, 'seen');
    expect(
      (
        await runCli(['run', input, '--state', state, '--max-requests', '2', '--interval', '100ms'], {
          env: ctx.env,
          cwd: dir,
        })
      ).code,
    ).toBe(0);
    const status = await runCli(['job', 'status', state, '--json'], { env: ctx.env, cwd: dir });
    expect(status.code).toBe(0);
    const job = JSON.parse(status.stdout);
    expect(job).toMatchObject({ state: 'done', totals: { requests: 4, succeeded: 4 } });
    expect(job.shards).toHaveLength(2);
    const results = await runCli(['job', 'results', state], { env: ctx.env, cwd: dir });
    expect(results.stdout.trimEnd().split('\n')).toHaveLength(4);
    expect(results.stderr).toContain('Results: 4 · 4 succeeded');
    const human = await runCli(['job', 'status', state], { env: ctx.env, cwd: dir });
    expect(human.stdout).toMatch(/^Job \S+ \(done\) · 4 requests · 2 shards/);
    const missing = await runCli(['job', 'status', 'job-nope'], { env: ctx.env, cwd: dir });
    expect(missing.code).toBe(3);
  });
});

describe('run <source>', () => {
  it('builds from a CSV into the job folder, runs it, and refuses a re-run with other build options', async () => {
    const csv = join(dir, 'people.csv');
    writeFileSync(csv, 'id,text\np1,Hello\np2,"Bonjour, monde"\np3,EMULATE_ERROR=api_error\n');
    const out = join(dir, 'people-results.jsonl');
    const r = await runCli(
      [
        'run',
        'csv',
        csv,
        '--prompt-column',
        'text',
        '--id-column',
        'id',
        '--results',
        out,
        '--interval',
        '100ms',
      ],
      {
        env: ctx.env,
        cwd: dir,
      },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Built 3 requests from');
    expect(r.stderr).toContain('Results: 3 · 2 succeeded · 1 errored');
    expect(r.stderr).toMatch(/Retry what failed: claude-batch retry job-[0-9a-f]{12}/);
    const ids = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).custom_id)
      .sort();
    expect(ids).toEqual(['p1', 'p2', 'p3']);

    const jobId = /claude-batch retry (job-[0-9a-f]{12})/.exec(r.stderr)?.[1] as string;
    const joined = await runCli(['job', 'results', jobId, '--join', csv, '--format', 'csv'], {
      env: ctx.env,
      cwd: dir,
    });
    expect(joined.code).toBe(0);
    const rows = joined.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe(
      'id,text,result_type,result_text,result_stop_reason,result_input_tokens,result_output_tokens,result_error_type,result_error_message',
    );
    expect(rows[1]).toMatch(/^p1,Hello,succeeded,/);
    expect(rows[2]).toMatch(/^p2,"Bonjour, monde",succeeded,/);
    expect(rows[3]).toMatch(/^p3,EMULATE_ERROR=api_error,errored,,,,,api_error,/);

    const other = await runCli(['run', 'csv', csv, '--prompt-column', 'text', '--results', out, '--force'], {
      env: ctx.env,
      cwd: dir,
    });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('refusing to mix two runs');
  });

  it('job results --join reads the input back the way the job built it (paragraphs, a delimiter)', async () => {
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'First para\nline2\n\nSecond para\n\n  \nThird\n');
    const state = join(dir, 'paras');
    const run = await runCli(
      ['run', 'text', notes, '--split-by', 'paragraph', '--state', state, '--interval', '50ms'],
      {
        env: ctx.env,
        cwd: dir,
      },
    );
    expect(run.code).toBe(0);
    const joined = await runCli(['job', 'results', state, '--join', notes, '--format', 'jsonl'], {
      env: ctx.env,
      cwd: dir,
    });
    expect(joined.code).toBe(0);
    const rows = joined.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.text)).toEqual(['First para\nline2', 'Second para', 'Third']);
    for (const r of rows) expect(r.result_text).toContain(r.text.split('\n').at(-1));

    const semi = join(dir, 'semi.csv');
    writeFileSync(semi, 'id;text\n1;alpha, one\n2;beta\n');
    const semiState = join(dir, 'semi');
    expect(
      (
        await runCli(
          [
            'run',
            'csv',
            semi,
            '--delimiter',
            ';',
            '--prompt-column',
            'text',
            '--state',
            semiState,
            '--interval',
            '50ms',
          ],
          {
            env: ctx.env,
            cwd: dir,
          },
        )
      ).code,
    ).toBe(0);
    const csv = await runCli(['job', 'results', semiState, '--join', semi, '--format', 'csv'], {
      env: ctx.env,
      cwd: dir,
    });
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'id,text,result_type,result_text,result_stop_reason,result_input_tokens,result_output_tokens,result_error_type,result_error_message',
    );
    expect(lines[1]).toMatch(/^1,"alpha, one",succeeded,/);
  });

  it('--dry-run shows the shards and the estimate, and sends nothing', async () => {
    const input = writeJsonl('dry.jsonl', 5);
    const before = creates();
    const r = await runCli(['run', input, '--max-requests', '2', '--dry-run'], { env: {}, cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('5 requests in 3 shards');
    // Text for people on stderr, as for submit --dry-run; stdout is for data (--json).
    expect(r.stderr).toContain('claude-haiku-4-5');
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Dry run: nothing was sent.');
    expect(creates()).toBe(before);
  });
});
