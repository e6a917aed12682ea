import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/core/api/client.js';
import { CliError } from '../../src/core/errors.js';
import { submitRequests } from '../../src/core/submit/submit.js';
import { FaultPlan, parseFaults } from '../../src/emulator/faults.js';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/server.js';
import { runCli } from '../helpers/cli.js';
import { requestsTo } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';

const dir = tempDir();
const started: Emulator[] = [];
async function emulator(options: EmulatorOptions): Promise<{ emu: Emulator; env: Record<string, string> }> {
  const emu = await startEmulator({ processingTimeMs: 100, ...options });
  started.push(emu);
  return { emu, env: { ANTHROPIC_BASE_URL: emu.url, ANTHROPIC_API_KEY: 'test-key' } };
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});

const creates = (emu: Emulator) => requestsTo(emu, /^POST \/v1\/messages\/batches$/);
/** Every batch id the emulator holds (asking again past injected errors). */
async function batchIds(emu: Emulator): Promise<string[]> {
  for (;;) {
    const r = await fetch(`${emu.url}/v1/messages/batches?limit=1000`, {
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    });
    if (r.ok) return ((await r.json()) as { data: Array<{ id: string }> }).data.map((b) => b.id);
  }
}

/** The first seed whose HTTP fault decisions begin with `pattern` (a status, or undefined for none). */
function seedWhere(spec: string, pattern: Array<number | undefined>): number {
  for (let seed = 1; seed < 10_000; seed += 1) {
    const plan = new FaultPlan(parseFaults(spec), seed);
    if (pattern.every((want) => plan.httpFault()?.status === want)) return seed;
  }
  throw new Error('no seed found');
}

describe('submit when the create answer is lost (lost-create)', () => {
  it('finds the batch in the list, prints its id, and does not create another', async () => {
    const { emu, env } = await emulator({ faults: 'lost-create=1' });
    const file = writeRequests(dir, 'lost.jsonl', 4);
    const r = await runCli(['submit', file], { env });
    expect(r.code).toBe(0);
    const ids = await batchIds(emu);
    expect(ids).toHaveLength(1);
    expect(r.stdout).toBe(`${ids[0]}\n`);
    expect(r.stderr).toMatch(
      /note: The create's answer was lost \(.*(closed|reset|ECONNRESET|UND_ERR_SOCKET).*\); checking whether the batch was created…\n/,
    );
    expect(r.stderr).toContain(`note: Found batch ${ids[0]} (created `);
    expect(r.stderr).toContain('the create had gone through; not creating another');
    expect(r.stderr).toContain('✓ Submitted 4 requests');
    expect(creates(emu)).toBe(1);
  });

  it('in the library: one batch per call over many calls with lost answers', async () => {
    // Batches stay in progress for the whole test, so each one's request count reads as `processing`.
    const { emu, env } = await emulator({ faults: 'lost-create=0.5', seed: 3, processingTimeMs: 60_000 });
    const client = await createClient({ env });
    const found: string[] = [];
    const notices: string[] = [];
    for (let i = 1; i <= 8; i += 1) {
      // Distinct request counts, so one call's batch cannot be taken for another's.
      const file = writeRequests(dir, `many-${i}.jsonl`, i);
      const { batch, recovered } = await submitRequests(
        client,
        { path: file },
        { reconcileDelayMs: 5, onNotice: (m) => notices.push(m) },
      );
      expect(batch?.request_counts.processing ?? 0).toBe(i);
      if (recovered) found.push(batch?.id ?? '');
    }
    expect(await batchIds(emu)).toHaveLength(8);
    expect(emu.injected['lost-create']).toBeGreaterThan(1);
    expect(found).toHaveLength(emu.injected['lost-create'] ?? 0);
    expect(creates(emu)).toBe(8);
    expect(notices.filter((n) => n.startsWith('Found batch'))).toHaveLength(found.length);
  });

  it('two batches in the window with the same count: says which, creates nothing more', async () => {
    const { emu, env } = await emulator({ faults: 'lost-create=1' });
    const client = await createClient({ env });
    const file = writeRequests(dir, 'twin.jsonl', 2);
    await submitRequests(client, { path: file }, { reconcileDelayMs: 5 });
    const error = await submitRequests(client, { path: file }, { reconcileDelayMs: 5 }).catch((e) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toMatch(
      /answer was lost .* and 2 batches of 2 requests were created since: msgbatch_/,
    );
    expect(error.hint).toContain('nothing more was created');
    expect(await batchIds(emu)).toHaveLength(2);
  });
});

describe('submit when the create fails', () => {
  it('a 5xx that created nothing: checks the list, then creates again (bounded)', async () => {
    // The create answers 500; the list (after it) and the second create do not fail.
    const spec = '500=0.5,retry-after=1ms';
    const seed = seedWhere(spec, [500, undefined, undefined]);
    const { emu, env } = await emulator({ faults: spec, seed });
    const r = await runCli(['submit', writeRequests(dir, 'five.jsonl', 3)], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("note: The create's answer was lost (500 api_error); checking");
    expect(r.stderr).toContain('note: No batch was created; creating it again (attempt 2 of 3).');
    expect(creates(emu)).toBe(2);
    expect(await batchIds(emu)).toEqual([r.stdout.trim()]);
  });

  it('a 429 is waited out and retried without a list check', async () => {
    const spec = '429=0.5,retry-after=1ms';
    const seed = seedWhere(spec, [429, undefined]);
    const { emu, env } = await emulator({ faults: spec, seed });
    const r = await runCli(['submit', writeRequests(dir, 'rate.jsonl', 2)], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'note: The create was rate limited (429 rate_limit_error); nothing was created.',
    );
    expect(requestsTo(emu, /^GET /)).toBe(0);
    expect(await batchIds(emu)).toEqual([r.stdout.trim()]);
  });

  it('gives up after 3 creates that all failed, having created nothing', async () => {
    const { emu } = await emulator({ faults: '503=1,retry-after=1ms' });
    const client = await createClient({
      env: { ANTHROPIC_BASE_URL: emu.url, ANTHROPIC_API_KEY: 'k' },
      maxRetries: 0,
    });
    const error = await submitRequests(
      client,
      { path: writeRequests(dir, 'down.jsonl', 2) },
      { reconcileDelayMs: 1 },
    ).catch((e) => e);
    // The list itself answers 503: the create is not retried blindly.
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toMatch(/answer was lost \(503 api_error\) and the API could not be checked/);
    expect(error.hint).toContain('check `claude-batch list` before submitting again');
    expect(creates(emu)).toBe(1);
  });

  it('with the list working, stops after the bound', async () => {
    // Every create answers 500 (nothing is created); every list works.
    const spec = '500=0.5,retry-after=1ms';
    const seed = seedWhere(spec, [500, undefined, 500, undefined, 500]);
    const { emu, env } = await emulator({ faults: spec, seed });
    const client = await createClient({ env, maxRetries: 0 });
    const error = await submitRequests(
      client,
      { path: writeRequests(dir, 'bound.jsonl', 2) },
      { reconcileDelayMs: 1 },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toBe('The create failed 3 times (last: 500 api_error); no batch was created');
    expect(creates(emu)).toBe(3);
    expect(await batchIds(emu)).toEqual([]);
  });

  it('a 400 is not retried', async () => {
    const { emu, env } = await emulator({ maxRequests: 1 });
    const r = await runCli(['submit', writeRequests(dir, 'big.jsonl', 2)], { env });
    expect(r.code).toBe(2);
    expect(creates(emu)).toBe(1);
  });
});
