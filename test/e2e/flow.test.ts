import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, runBin } from '../helpers/cli.js';
import { requestsTo, useEmulator, waitFor } from '../helpers/emulator.js';
import { request, tempDir, writeRequests, writeText } from '../helpers/files.js';

// The built binary, spawned, against an emulator on 127.0.0.1: the "done when" of the foundation.
// The emulator's clock stands still: a batch runs until the test ends it (ctx.endBatches()).
const ctx = useEmulator({ processingTimeMs: 1500, stoppedClock: true });
const dir = tempDir();

describe('the built binary against the emulator', () => {
  it('submits 1,000 requests and drives status, list, results, cancel and delete', async () => {
    const file = writeRequests(dir, 'thousand.jsonl', 1000);
    const submit = await runBin(['submit', file], { env: ctx.env });
    expect(submit.code).toBe(0);
    expect(submit.stdout).toMatch(/^msgbatch_\w+\n$/);
    const id = submit.stdout.trim();

    const status = await runBin(['status', id, '--json'], { env: ctx.env });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ id, request_counts: { processing: 1000 } });
    const early = await runBin(['results', id, '-o', join(dir, 'early.jsonl')], { env: ctx.env });
    expect(early.code).toBe(3);
    expect(existsSync(join(dir, 'early.jsonl'))).toBe(false);

    await runBin(['submit', writeRequests(dir, 'one.jsonl', 1)], { env: ctx.env });
    await runBin(['submit', writeRequests(dir, 'two.jsonl', 2)], { env: ctx.env });
    const list = await runBin(['list', '--limit', '3'], { env: ctx.env });
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split('\n').slice(1)).toHaveLength(3);

    ctx.endBatches();
    expect((await runBin(['status', id], { env: ctx.env })).stdout).toContain('Status    ended');
    const out = join(dir, 'out.jsonl');
    const results = await runBin(['results', id, '-o', out], { env: ctx.env });
    expect(results.code).toBe(0);
    const ids = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).custom_id as string);
    expect(ids).toHaveLength(1000);
    expect(new Set(ids).size).toBe(1000);
    expect(results.stderr).toContain('Results: 1,000 · 1,000 succeeded');

    const other = (
      await runBin(['submit', writeRequests(dir, 'cancel.jsonl', 10)], { env: ctx.env })
    ).stdout.trim();
    const cancel = await runBin(['cancel', other], { env: ctx.env });
    expect(cancel.stdout).toBe(`${other} canceling\n`);
    const del = await runBin(['delete', id], { env: ctx.env });
    expect(del.code).toBe(0);
    expect(del.stdout).toBe(`${id} deleted\n`);
  });

  it('the SDK sees the same batches the CLI made', async () => {
    const { default: Anthropic } = await import('@anthropic-ai/sdk');
    const sdk = new Anthropic({ apiKey: 'k', baseURL: ctx.emulator.url });
    const id = (await runBin(['submit', writeRequests(dir, 'sdk.jsonl', 3)], { env: ctx.env })).stdout.trim();
    const batch = await sdk.messages.batches.retrieve(id);
    expect(batch.request_counts.processing).toBe(3);
  });

  it.each([
    [
      'a bad JSON line',
      `${JSON.stringify(request('a'))}\n{"custom_id":\n`,
      /bad-0\.jsonl:2: json: not valid JSON/,
    ],
    [
      'an id with a dot',
      `${JSON.stringify(request('a.1'))}\n`,
      /bad-1\.jsonl:1: custom_id: "a\.1" is not a valid custom_id/,
    ],
    [
      'a duplicate id',
      `${JSON.stringify(request('a'))}\n${JSON.stringify(request('a'))}\n`,
      /bad-2\.jsonl:2: custom_id: "a" repeats the id of line 1/,
    ],
    [
      'a missing max_tokens',
      `${JSON.stringify({ custom_id: 'a', params: { model: 'm', messages: [{ role: 'user', content: 'x' }] } })}\n`,
      /bad-3\.jsonl:1: params\.max_tokens: is required/,
    ],
  ])('refuses %s: exit 2, FILE:LINE, nothing sent', async (_name, text, pattern) => {
    const index = ['a bad JSON line', 'an id with a dot', 'a duplicate id', 'a missing max_tokens'].indexOf(
      _name,
    );
    const file = writeText(dir, `bad-${index}.jsonl`, text);
    const before = requestsTo(ctx.emulator, /./);
    const r = await runBin(['submit', file], { env: ctx.env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(pattern);
    expect(requestsTo(ctx.emulator, /./)).toBe(before);
  });

  it('refuses 100,001 requests at line 100,001: exit 2, nothing sent', async () => {
    const line = JSON.stringify(request('x'));
    const lines: string[] = [];
    for (let i = 0; i < 100_001; i += 1) lines.push(line.replace('"x"', `"r${i}"`));
    const file = writeText(dir, 'too-many.jsonl', `${lines.join('\n')}\n`);
    const before = requestsTo(ctx.emulator, /./);
    const r = await runBin(['submit', file], { env: ctx.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('too-many.jsonl:100001: requests: more than 100,000 requests');
    expect(requestsTo(ctx.emulator, /./)).toBe(before);
  });

  it('without ANTHROPIC_API_KEY: one line, a hint, exit 4, no stack trace', async () => {
    const r = await runBin(['list'], { env: { ANTHROPIC_BASE_URL: ctx.emulator.url } });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe('error: ANTHROPIC_API_KEY is not set');
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });
});

describe('claude-batch emulator', () => {
  it('prints its URL and export lines, serves the API, and stops on Ctrl-C', async () => {
    const child = spawn(process.execPath, [BIN, 'emulator', '--port', '0', '--processing-time', '100ms'], {
      env: { PATH: process.env.PATH },
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => stdout.includes('ANTHROPIC_API_KEY'), 'the export lines of the emulator');
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1] as string;
    expect(stdout).toContain(`export ANTHROPIC_BASE_URL=${url}`);
    expect(stdout).toContain('export ANTHROPIC_API_KEY=');
    const env = { ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: 'any' };
    const id = (await runBin(['submit', writeRequests(dir, 'emu.jsonl', 2)], { env })).stdout.trim();
    expect(id).toMatch(/^msgbatch_/);
    child.kill('SIGINT');
    expect(await closed).toBe(0);
    expect(existsSync(BIN)).toBe(true);
  });
});
