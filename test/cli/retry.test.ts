import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../../src/core/job/manifest.js';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { request, tempDir } from '../helpers/files.js';

// A third of the requests come back errored with a retryable type, drawn anew for every attempt.
const ctx = useEmulator({ processingTimeMs: 100, faults: 'result-error=0.35', seed: 11 });
const dir = tempDir();

function results(path: string) {
  return readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as { custom_id: string; result: { type: string; error?: { error: { type: string } } } },
    );
}

describe('retry a job', () => {
  it('sends again only the retryable failures, links the attempt, and merges the latest result of each id', async () => {
    const input = join(dir, 'retry.jsonl');
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify(request(`q${i}`, `Question ${i}`)));
    lines.push(JSON.stringify(request('bad', 'EMULATE_ERROR=invalid_request_error')));
    writeFileSync(input, `${lines.join('\n')}\n`);
    const state = join(dir, 'job');
    const out = join(dir, 'merged.jsonl');
    const first = await runCli(['run', input, '--state', state, '--results', out, '--interval', '50ms'], {
      env: ctx.env,
    });
    expect(first.code).toBe(0);
    const before = results(out);
    const retryable = before
      .filter((r) => r.result.type === 'errored' && r.custom_id !== 'bad')
      .map((r) => r.custom_id);
    expect(retryable.length).toBeGreaterThan(3);
    expect(before.find((r) => r.custom_id === 'bad')?.result.error?.error.type).toBe('invalid_request_error');

    const r = await runCli(['retry', state, '--results', out, '--force', '--interval', '50ms'], {
      env: ctx.env,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Retrying ${retryable.length} requests in 1 shard`);
    expect(r.stderr).toMatch(/\d+ × (overloaded_error|api_error): /);

    // The new attempt holds exactly the retryable ids (never the invalid request).
    const manifest = readManifest(state);
    const attempts = manifest?.shards[0]?.attempts ?? [];
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toMatchObject({ number: 2, requests: retryable.length, status: 'ended' });
    const resent = readFileSync(join(state, attempts[1]?.file as string), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).custom_id as string);
    expect(resent.sort()).toEqual([...retryable].sort());

    // Merged: every id once; a retried id carries its second attempt's result.
    const after = results(out);
    expect(after).toHaveLength(41);
    expect(new Set(after.map((x) => x.custom_id)).size).toBe(41);
    const second = new Map(
      results(join(state, attempts[1]?.results_file as string)).map((x) => [x.custom_id, x.result.type]),
    );
    for (const x of after) {
      if (second.has(x.custom_id)) expect(x.result.type).toBe(second.get(x.custom_id));
    }
    const failedAfter = after.filter((x) => x.result.type === 'errored').length;
    expect(failedAfter).toBeLessThan(before.filter((x) => x.result.type === 'errored').length);

    // The job's counts follow the same rule: each custom_id from its latest attempt.
    const status = await runCli(['job', 'status', state, '--json'], { env: ctx.env });
    const totals = JSON.parse(status.stdout).totals;
    expect(totals).toMatchObject({
      requests: 41,
      succeeded: after.filter((x) => x.result.type === 'succeeded').length,
      errored: failedAfter,
    });
  });
});

describe('retry a batch', () => {
  it('submits a new batch of the retryable failures and prints its id', async () => {
    const input = join(dir, 'batch.jsonl');
    writeFileSync(
      input,
      `${Array.from({ length: 30 }, (_, i) => JSON.stringify(request(`b${i}`))).join('\n')}\n`,
    );
    const id = (await runCli(['submit', input], { env: ctx.env })).stdout.trim();
    await runCli(['monitor', id, '--interval', '50ms'], { env: ctx.env });
    const downloaded = join(dir, 'batch-results.jsonl');
    await runCli(['results', id, '-o', downloaded], { env: ctx.env });
    const failed = results(downloaded).filter((x) => x.result.type === 'errored').length;
    expect(failed).toBeGreaterThan(0);

    const r = await runCli(['retry', id, '--requests', input], { env: ctx.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^msgbatch_\w+\n$/);
    expect(r.stderr).toContain(`✓ Resubmitted ${failed} requests of ${id}`);
    const status = await runCli(['status', r.stdout.trim(), '--json'], { env: ctx.env });
    const counts = JSON.parse(status.stdout).request_counts;
    expect(Object.values(counts).reduce((a: number, b) => a + (b as number), 0)).toBe(failed);

    const missing = await runCli(['retry', id], { env: ctx.env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('needs --requests FILE');
  });
});
