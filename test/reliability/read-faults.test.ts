import { getEventListeners } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { createClient } from '../../src/core/api/client.js';
import { CliError } from '../../src/core/errors.js';
import { streamSink } from '../../src/core/fs/atomic-file.js';
import { downloadResults } from '../../src/core/results/download.js';
import { FaultPlan, parseFaults } from '../../src/emulator/faults.js';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/server.js';
import { runCli } from '../helpers/cli.js';
import { requestsTo, testClock } from '../helpers/emulator.js';
import { request, tempDir } from '../helpers/files.js';

const dir = tempDir();
const started: Emulator[] = [];
const PROCESSING_MS = 60_000;
/** The clock of the emulator last started: a batch ends when a test moves it. */
let clock = testClock();
async function emulator(options: EmulatorOptions): Promise<{ emu: Emulator; env: Record<string, string> }> {
  clock = testClock();
  const emu = await startEmulator({ processingTimeMs: PROCESSING_MS, now: clock.now, ...options });
  started.push(emu);
  return { emu, env: { ANTHROPIC_BASE_URL: emu.url, ANTHROPIC_API_KEY: 'test-key' } };
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});

/**
 * Creates a batch of `n` requests straight on the emulator (past any injected error) and, unless
 * `end` is false, ends it at once by moving the emulator's clock.
 */
async function endedBatch(emu: Emulator, n: number, end = true): Promise<string> {
  const body = JSON.stringify({ requests: Array.from({ length: n }, (_, i) => request(`r-${i}`)) });
  for (;;) {
    const r = await fetch(`${emu.url}/v1/messages/batches`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body,
    });
    if (r.ok) {
      const { id } = (await r.json()) as { id: string };
      if (end) clock.advance(PROCESSING_MS);
      return id;
    }
  }
}

function idsOf(text: string): string[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { custom_id: string }).custom_id);
}

/** The first seed whose first results download is cut (so that a restart is sure to be tested). */
function seedWhereFirstDownloadIsCut(faults: string): number {
  for (let seed = 1; ; seed += 1) {
    if (new FaultPlan(parseFaults(faults), seed).downloadCut(100)) return seed;
  }
}

const tmpFiles = () => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('reads under HTTP faults', () => {
  it('status and list go through 429/500/529 by retrying', async () => {
    const { emu, env } = await emulator({ faults: '429=0.1,500=0.05,529=0.1,retry-after=1ms', seed: 4 });
    const id = await endedBatch(emu, 2);
    for (let i = 0; i < 10; i += 1) {
      expect((await runCli(['status', id, '--json'], { env })).code).toBe(0);
      expect((await runCli(['list', '--json'], { env })).code).toBe(0);
    }
    const injected = Object.values(emu.injected).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(5);
  });

  it('gives up after 4 tries with a clear message, exit 1', async () => {
    const { emu, env } = await emulator({ faults: '529=1,retry-after=1ms' });
    const r = await runCli(['status', 'msgbatch_x'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: The API failed: Overloaded \(emulated fault\) \(529 overloaded_error \(request req_\w+\)\)\nhint: the API is busy or failing/,
    );
    expect(requestsTo(emu, /^GET /)).toBe(4);
  });
});

describe('a batch the API does not know yet (notfound-after-create)', () => {
  it('status waits it out; results too', async () => {
    const { emu, env } = await emulator({ faults: 'notfound-after-create=200ms', processingTimeMs: 10 });
    const id = await endedBatch(emu, 3, false);
    const t0 = Date.now();
    const r = await runCli(['status', id, '--json'], { env });
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(JSON.parse(r.stdout).id).toBe(id);
    expect(emu.injected['notfound-after-create']).toBeGreaterThan(0);

    const { emu: emu2, env: env2 } = await emulator({
      faults: 'notfound-after-create=150ms',
      processingTimeMs: 10,
    });
    const id2 = await endedBatch(emu2, 3, false);
    const out = join(dir, 'late.jsonl');
    const res = await runCli(['results', id2, '-o', out], { env: env2 });
    expect(res.code).toBe(0);
    expect(idsOf(readFileSync(out, 'utf8')).sort()).toEqual(['r-0', 'r-1', 'r-2']);
  });

  it('an id that is not in the list is not found at once, exit 3', async () => {
    const { emu, env } = await emulator({ faults: 'notfound-after-create=5s' });
    await endedBatch(emu, 1, false);
    const t0 = Date.now();
    const r = await runCli(['status', 'msgbatch_unknown'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: Batch not found: msgbatch_unknown\n/);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(requestsTo(emu, /^GET \/v1\/messages\/batches$/)).toBe(1);
  });

  it('an old batch that answers 404 is not waited for', async () => {
    const { emu, env } = await emulator({ faults: 'notfound-after-create=10s' });
    const id = await endedBatch(emu, 1, false);
    const client = await createClient({ env });
    const { getBatch } = await import('../../src/core/api/batches.js');
    const error = await getBatch(client, id, { notFoundGraceMs: 0 }).catch((e) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(exitCodeFor(error.kind)).toBe(3);
  });
});

describe('results downloads that break', () => {
  it.each([
    ['reset', 'reset=0.5'],
    ['truncate', 'truncate=0.5'],
    ['reset and truncate with HTTP errors', 'reset=0.3,truncate=0.3,500=0.2,retry-after=1ms'],
  ])('%s: restarts, skips what was written, every custom_id exactly once', async (_name, faults) => {
    const seed = seedWhereFirstDownloadIsCut(faults);
    const { emu, env } = await emulator({ faults, seed });
    const id = await endedBatch(emu, 200);
    const out = join(dir, `restart-${_name.replace(/\W/g, '-')}.jsonl`);
    const r = await runCli(['results', id, '-o', out], { env });
    expect(r.code).toBe(0);
    const ids = idsOf(readFileSync(out, 'utf8'));
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    expect(r.stderr).toMatch(
      /note: The results download broke \((it ended after \d+ of 200 results|.*(closed|reset|terminated).*)\); restarting \(attempt 2\), skipping the [\d,]+ results already written\./i,
    );
    expect((emu.injected.reset ?? 0) + (emu.injected.truncate ?? 0)).toBeGreaterThan(0);
    expect(tmpFiles()).toEqual([]);
  });

  it('compact format and stdout: no duplicates after restarts', async () => {
    const faults = 'reset=0.3,truncate=0.1';
    const { emu, env } = await emulator({ faults, seed: seedWhereFirstDownloadIsCut(faults) });
    const id = await endedBatch(emu, 120);
    const r = await runCli(['results', id, '--format', 'compact'], { env });
    expect(r.code).toBe(0);
    const ids = idsOf(r.stdout);
    expect(ids).toHaveLength(120);
    expect(new Set(ids).size).toBe(120);
    expect(emu.injected.reset ?? 0).toBeGreaterThan(0);
  });

  it('a download that always breaks: fails after 5 attempts and leaves no file', async () => {
    const { emu, env } = await emulator({ faults: 'reset=0.5,truncate=0.5' });
    const id = await endedBatch(emu, 3);
    const out = join(dir, 'never.jsonl');
    const r = await runCli(['results', id, '-o', out], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: The results download of batch \S+ was incomplete: \d of 3 results after \d+ attempts \(last: .+\)\nhint: run the command again/,
    );
    // Five downloads in a row without progress, or twenty in all.
    const downloads = requestsTo(emu, /results$/);
    expect(downloads).toBeGreaterThanOrEqual(5);
    expect(downloads).toBeLessThanOrEqual(20);
    expect(existsSync(out)).toBe(false);
    expect(tmpFiles()).toEqual([]);
  });

  it('broken downloads leave no listener behind on a long-lived signal', async () => {
    const { emu, env } = await emulator({ faults: 'truncate=1' });
    const id = await endedBatch(emu, 10);
    const client = await createClient({ env });
    const controller = new AbortController();
    const { signal } = controller;
    const before = getEventListeners(signal, 'abort').length;
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      for (let round = 0; round < 3; round += 1) {
        const error = await downloadResults(client, id, streamSink(new PassThrough().resume()), {
          maxAttempts: 5,
          retryDelayMs: 1,
          signal,
        }).catch((e) => e);
        expect(error).toBeInstanceOf(CliError);
        expect(error.message).toMatch(/incomplete: \d of 10 results after \d+ attempts/);
      }
      // 15 or more broken downloads in all, yet the signal holds what it held before.
      expect(requestsTo(emu, /results$/)).toBeGreaterThanOrEqual(15);
      expect(getEventListeners(signal, 'abort').length).toBe(before);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('in the library: bounded attempts and the notices', async () => {
    const { emu, env } = await emulator({ faults: 'truncate=1' });
    const id = await endedBatch(emu, 10);
    const client = await createClient({ env });
    const notices: string[] = [];
    const chunks: string[] = [];
    const sink = streamSink(
      new (await import('node:stream')).Writable({
        write(chunk, _enc, done) {
          chunks.push(String(chunk));
          done();
        },
      }),
    );
    const error = await downloadResults(client, id, sink, {
      maxAttempts: 3,
      retryDelayMs: 1,
      onNotice: (m) => notices.push(m),
    }).catch((e) => e);
    expect(error).toBeInstanceOf(CliError);
    expect(error.message).toMatch(
      /incomplete: \d of 10 results after (\d+) attempts \(last: it ended after \d of 10 results\)/,
    );
    const attempts = Number(/after (\d+) attempts/.exec(error.message)?.[1]);
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(12);
    expect(notices).toHaveLength(attempts - 1);
    expect(requestsTo(emu, /results$/)).toBe(attempts);
    const ids = idsOf(chunks.join(''));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
