import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BatchClient, createClient } from '../../src/core/api/client.js';
import type { MessageBatch } from '../../src/core/api/types.js';
import { InterruptedError } from '../../src/core/errors.js';
import { runJob } from '../../src/core/job/run.js';
import { submitRequests } from '../../src/core/submit/submit.js';
import { type Emulator, startEmulator } from '../../src/emulator/server.js';
import { testClock } from '../helpers/emulator.js';
import { request, tempDir, writeRequests } from '../helpers/files.js';

// Interrupted while waiting after a 429 (nothing created): a batch of the same size that someone
// else created meanwhile must not be taken for this submit's.
const dir = tempDir();
const PROCESSING_MS = 60_000;
const started: Emulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});

/**
 * An emulator whose processing queue holds 4 requests, already full (a batch of 4 that ends only
 * when `endFiller` moves the clock), and a client for it.
 */
async function fullQueue(): Promise<{ emu: Emulator; client: BatchClient; endFiller: () => void }> {
  const clock = testClock({ stopped: true });
  const emu = await startEmulator({ now: clock.now, processingTimeMs: PROCESSING_MS, queueLimit: 4 });
  started.push(emu);
  const client = await createClient({ env: { ANTHROPIC_BASE_URL: emu.url, ANTHROPIC_API_KEY: 'test-key' } });
  await client.sdk.messages.batches.create({ requests: batchOf(4, 'filler') });
  return { emu, client, endFiller: () => clock.advance(PROCESSING_MS) };
}

function batchOf(count: number, prefix: string) {
  return Array.from({ length: count }, (_, i) => request(`${prefix}-${i}`)) as Parameters<
    BatchClient['sdk']['messages']['batches']['create']
  >[0]['requests'];
}

/** Another process: the queue frees up, it creates a batch of `count` requests; then Ctrl-C. */
function foreignThenAbort(
  client: BatchClient,
  endFiller: () => void,
  count: number,
  controller: AbortController,
): () => Promise<MessageBatch> {
  let foreign: Promise<MessageBatch> | undefined;
  return () => {
    foreign ??= (async () => {
      endFiller();
      const batch = await client.sdk.messages.batches.create({ requests: batchOf(count, 'foreign') });
      controller.abort();
      return batch as MessageBatch;
    })();
    return foreign;
  };
}

async function batchIds(client: BatchClient): Promise<string[]> {
  return (await client.sdk.messages.batches.list({ limit: 1000 })).data.map((b) => b.id);
}

describe('interrupted while a create waits after a 429', () => {
  it('submit: does not report a batch of the same size created meanwhile by another process', async () => {
    const { client, endFiller } = await fullQueue();
    const file = writeRequests(dir, 'three.jsonl', 3);
    const controller = new AbortController();
    const meanwhile = foreignThenAbort(client, endFiller, 3, controller);
    const created: string[] = [];
    const error = await submitRequests(
      client,
      { path: file },
      {
        signal: controller.signal,
        onNotice: (message) => {
          if (message.includes('rate limited')) void meanwhile();
        },
        onCreated: (batch) => created.push(batch.id),
      },
    ).catch((e: unknown) => e);
    const foreign = await meanwhile();
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).message).not.toContain(foreign.id);
    expect((error as InterruptedError).hint).toBe('no batch was created');
    expect(created).toEqual([]);
    // The filler and the foreign batch: nothing of this submit.
    expect(await batchIds(client)).toHaveLength(2);
  });

  it('run: the job does not adopt the batch; its shard stays without one', async () => {
    const { client, endFiller } = await fullQueue();
    const input = writeRequests(dir, 'job-three.jsonl', 3);
    const state = join(dir, 'job');
    const controller = new AbortController();
    const meanwhile = foreignThenAbort(client, endFiller, 3, controller);
    const error = await runJob(client, {
      cwd: dir,
      input,
      stateDir: state,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.kind === 'refused') void meanwhile();
      },
    }).catch((e: unknown) => e);
    const foreign = await meanwhile();
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).message).not.toContain(foreign.id);
    const manifest = JSON.parse(readFileSync(join(state, 'manifest.json'), 'utf8'));
    expect(manifest.shards[0].attempts[0].batch_id).toBeNull();
    expect(await batchIds(client)).toHaveLength(2);
  });
});
