import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/server.js';
import { requestsTo, testClock, waitFor } from '../helpers/emulator.js';
import { request, tempDir, writeRequests } from '../helpers/files.js';
import { spawnBin } from '../helpers/spawn.js';

// Spawns the built binary (bin/claude-batch.js → dist): run `npm run build` first (`npm test` does).
const root = tempDir();
let n = 0;
const started: Emulator[] = [];
const PROCESSING_MS = 60_000;
/** The emulator's clock: a batch ends when a test moves it; `reads` counts its readings. */
let clock = testClock();
let reads = 0;
async function emulator(options: EmulatorOptions): Promise<{ emu: Emulator; env: Record<string, string> }> {
  clock = testClock();
  reads = 0;
  const now = () => {
    reads += 1;
    return clock.now();
  };
  const emu = await startEmulator({ processingTimeMs: PROCESSING_MS, now, ...options });
  started.push(emu);
  // TMPDIR too, so that the temporary files the binary makes can be checked.
  n += 1;
  const tmp = join(root, `tmp-${n}`);
  mkdirSync(tmp);
  return { emu, env: { ANTHROPIC_BASE_URL: emu.url, ANTHROPIC_API_KEY: 'test-key', TMPDIR: tmp } };
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});

async function endedBatch(emu: Emulator, count: number): Promise<string> {
  const r = await fetch(`${emu.url}/v1/messages/batches`, {
    method: 'POST',
    headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    body: JSON.stringify({ requests: Array.from({ length: count }, (_, i) => request(`r-${i}`)) }),
  });
  const { id } = (await r.json()) as { id: string };
  clock.advance(PROCESSING_MS);
  return id;
}

async function listIds(emu: Emulator): Promise<string[]> {
  const r = await fetch(`${emu.url}/v1/messages/batches?limit=1000`, {
    headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
  });
  return ((await r.json()) as { data: Array<{ id: string }> }).data.map((b) => b.id);
}

beforeAll(() => {
  expect(readdirSync(join(import.meta.dirname, '../../dist')).length).toBeGreaterThan(0);
});

describe.each(['SIGINT', 'SIGTERM'] as const)('%s', (signal) => {
  it('during results -o: exit 130, no output file, no temporary file', async () => {
    const { emu, env } = await emulator({ faults: 'slow=400ms' });
    const id = await endedBatch(emu, 5);
    const dir = join(root, `out-${signal}`);
    mkdirSync(dir);
    const run = spawnBin(['results', id, '-o', 'results.jsonl'], { env, cwd: dir, input: '' });
    await waitFor(() => readdirSync(dir).some((f) => f.endsWith('.tmp')), 'the temporary file');
    run.child.kill(signal);
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('Interrupted');
    expect(readdirSync(dir)).toEqual([]);
    expect(readdirSync(env.TMPDIR as string)).toEqual([]);
  });

  it('during a submit whose batch was created: its id is on stdout, exit 130, one batch', async () => {
    // The emulator creates the batch at once, then waits before answering: the signal comes in that wait.
    const { emu, env } = await emulator({ faults: 'slow=700ms' });
    const file = writeRequests(root, `sig-${signal}.jsonl`, 3);
    const run = spawnBin(['submit', file], { env, input: '' });
    // Nothing else reads this emulator's clock before the store stamps the new batch's created_at.
    await waitFor(() => (emu.counts['POST /v1/messages/batches'] ?? 0) > 0 && reads > 0, 'the create');
    run.child.kill(signal);
    const r = await run.done;
    const ids = await listIds(emu);
    expect(ids).toHaveLength(1);
    expect(r.code).toBe(130);
    expect(r.stdout).toBe(`${ids[0]}\n`);
    expect(r.stderr).toContain(`Interrupted; batch ${ids[0]} had been created (its id is on stdout)`);
    expect(requestsTo(emu, /^POST/)).toBe(1);
  });

  it('while submit - waits on stdin: exit 130 at once, nothing sent, the spool removed', async () => {
    const { emu, env } = await emulator({});
    const run = spawnBin(['submit', '-'], { env });
    run.child.stdin.write(`${JSON.stringify(request('a'))}\n`);
    await waitFor(() => readdirSync(env.TMPDIR as string).length > 0, 'the stdin spool');
    run.child.kill(signal);
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('');
    expect(requestsTo(emu, /./)).toBe(0);
    expect(readdirSync(env.TMPDIR as string)).toEqual([]);
  });
});
