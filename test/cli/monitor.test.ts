import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator, waitFor } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';

// The emulator's clock stands still: batches end when a test moves it (after the monitor has
// seen them running), never on their own: the 800 ms are emulator time.
const ctx = useEmulator({ processingTimeMs: 800, stoppedClock: true });
const slow = useEmulator({ processingTimeMs: 60_000 });
const dir = tempDir();

/** Answers the emulator has given to GET requests so far. */
const reads = (emu: typeof ctx) =>
  emu.emulator.log.filter((l) => l.method === 'GET' && l.path.startsWith('/v1/messages/batches')).length;

/** Waits until the emulator has answered one more poll than `before`, then ends its batches. */
async function endAfterAPoll(emu: typeof ctx, before: number): Promise<void> {
  await waitFor(() => reads(emu) > before, 'the first poll of the monitor');
  emu.endBatches();
}

async function submit(
  env: Record<string, string>,
  count = 3,
  prompt?: (i: number) => string,
): Promise<string> {
  const file = writeRequests(dir, `m${Math.random().toString(36).slice(2)}.jsonl`, count, prompt);
  const r = await runCli(['submit', file], { env });
  expect(r.code).toBe(0);
  return r.stdout.trim();
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for terminal control characters
const CONTROL = /[\u001b\r]/;

describe('monitor', () => {
  it('watches one batch to the end: plain lines off a terminal, a summary, and the log appended', async () => {
    const id = await submit(ctx.env, 4, (i) => (i === 0 ? 'EMULATE_ERROR=api_error' : `q${i}`));
    const log = join(dir, 'log.jsonl');
    const watching = runCli(['monitor', id, '--interval', '50ms', '-o', log], { env: ctx.env });
    await endAfterAPoll(ctx, reads(ctx));
    const r = await watching;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stderr).toMatch(
      new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] ${id}  in_progress · 4 requests · age `),
    );
    expect(r.stderr).toContain(`${id}  ended after`);
    expect(r.stderr).toMatch(/ {2}Total {7}4\n {2}Succeeded {3}3 \(75\.0%\)\n {2}Errored {5}1 \(25\.0%\)/);
    expect(r.stderr).toMatch(/ {2}Processing {2}800ms \(created /);
    expect(r.stderr).toContain(`Next: claude-batch results ${id} -o ${id}.jsonl`);

    const first = readFileSync(log, 'utf8').trimEnd().split('\n');
    expect(first.length).toBeGreaterThan(1);
    expect(JSON.parse(first[0] as string)).toEqual({
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      batch_id: id,
      elapsed_seconds: expect.any(Number),
      processing_status: 'in_progress',
      processing: 4,
      succeeded: 0,
      errored: 0,
      canceled: 0,
      expired: 0,
    });
    expect(JSON.parse(first.at(-1) as string)).toMatchObject({
      processing_status: 'ended',
      succeeded: 3,
      errored: 1,
    });

    await runCli(['monitor', id, '--interval', '50ms', '-o', log], { env: ctx.env });
    expect(readFileSync(log, 'utf8').trimEnd().split('\n')).toHaveLength(first.length + 1);
  });

  it('watches several batches with one list request per poll, and downloads each into a folder', async () => {
    const ids = [await submit(ctx.env), await submit(ctx.env), await submit(ctx.env)];
    const before = { ...ctx.emulator.counts };
    const out = join(dir, 'several');
    // The three end together: every poll asks for all three, with one list request.
    const watching = runCli(['monitor', ...ids, '--interval', '50ms', '--json', '--results', out], {
      env: ctx.env,
    });
    await endAfterAPoll(ctx, reads(ctx));
    const r = await watching;
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const polls = lines.filter((l) => l.type === 'poll');
    const summary = lines.at(-1);
    expect(summary).toMatchObject({ type: 'summary', polls: polls.length, requests: polls.length });
    expect(summary.batches.map((b: { id: string }) => b.id)).toEqual(ids);
    expect(summary.batches[0]).toMatchObject({
      processing_status: 'ended',
      total: 3,
      results_file: join(out, `${ids[0]}.jsonl`),
    });
    const lists =
      (ctx.emulator.counts['GET /v1/messages/batches'] ?? 0) - (before['GET /v1/messages/batches'] ?? 0);
    const gets =
      (ctx.emulator.counts['GET /v1/messages/batches/{id}'] ?? 0) -
      (before['GET /v1/messages/batches/{id}'] ?? 0);
    expect(lists).toBe(polls.length);
    expect(gets).toBe(3); // one retrieve per batch, by the results download at the end
    for (const id of ids)
      expect(
        readFileSync(join(out, `${id}.jsonl`), 'utf8')
          .trimEnd()
          .split('\n'),
      ).toHaveLength(3);
    expect(r.stderr).toBe('');
  });

  it('reports a canceled batch with its canceled requests', async () => {
    const id = await submit(slow.env, 5);
    expect((await runCli(['cancel', id], { env: slow.env })).code).toBe(0);
    slow.endBatches();
    const r = await runCli(['monitor', id, '--interval', '100ms', '--results', join(dir, 'canceled.jsonl')], {
      env: slow.env,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/ {2}Canceled {4}5\n/);
    expect(r.stderr).toContain('Results: 5 · 0 succeeded · 0 errored · 5 canceled · 0 expired');
  });

  it('stops at --timeout with exit 5, leaving the batch running, and says how to resume', async () => {
    const id = await submit(slow.env, 2);
    const out = join(dir, 'never.jsonl');
    const r = await runCli(['monitor', id, '--interval', '50ms', '--timeout', '300ms', '--results', out], {
      env: slow.env,
    });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`error: Timed out after 300ms; still running: ${id}`);
    expect(r.stderr).toContain(
      `hint: the batches keep running; watch again with: claude-batch monitor ${id}`,
    );
    expect(existsSync(out)).toBe(false);
    const status = await runCli(['status', id, '--json'], { env: slow.env });
    expect(JSON.parse(status.stdout).processing_status).toBe('in_progress');
  });

  it('Ctrl-C stops the watch (exit 130), not the batch', async () => {
    const id = await submit(slow.env, 2);
    const controller = new AbortController();
    const before = reads(slow);
    const watching = runCli(['monitor', id, '--interval', '50ms'], {
      env: slow.env,
      signal: controller.signal,
    });
    await waitFor(() => reads(slow) > before, 'the first poll of the monitor');
    controller.abort();
    const r = await watching;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('error: Monitoring stopped (the batches keep running)');
    expect(r.stderr).toContain(`hint: watch again with: claude-batch monitor ${id}`);
  });

  it('refuses an interval of 0 and a file name for the results of several batches', async () => {
    const zero = await runCli(['monitor', 'msgbatch_x', '--interval', '0'], { env: ctx.env });
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('must be more than 0');
    const several = await runCli(
      ['monitor', 'msgbatch_a', 'msgbatch_b', '--results', join(dir, 'one.jsonl')],
      { env: ctx.env },
    );
    expect(several.code).toBe(2);
    expect(several.stderr).toContain('2 batches need a folder');
  });

  it('refuses to start when a results file exists (before watching for hours)', async () => {
    const id = await submit(ctx.env, 1);
    ctx.endBatches();
    const out = join(dir, 'exists.jsonl');
    await runCli(['monitor', id, '--interval', '50ms', '--results', out], { env: ctx.env });
    const r = await runCli(['monitor', id, '--interval', '50ms', '--results', out], { env: ctx.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${out} already exists`);
  });
});
