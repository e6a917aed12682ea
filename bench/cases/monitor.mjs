/**
 * Case 4: API requests made to watch 50 batches, created together, for one simulated hour.
 * In-process, with an injected clock that `sleep` advances, so the hour takes a second or two.
 * Baseline: the original Python monitor's way, one retrieve per running batch every 60 s.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, requestLine } from '../lib/data.mjs';
import { fmtX } from '../lib/format.mjs';

const BATCHES = 50;
const HOUR = 3_600_000;

const apiRequests = (counts, before) =>
  Object.entries(counts)
    .filter(([route]) => route.startsWith('GET '))
    .reduce((sum, [route, value]) => sum + value - (before[route] ?? 0), 0);

export async function runMonitor({ log }) {
  const { startEmulator, createClient, submitRequests } = await import('../../dist/index.js');
  const { monitorBatches } = await import('../../dist/core/monitor/monitor.js');
  let clock = Date.parse('2026-01-01T00:00:00.000Z');
  const now = () => clock;
  const sleep = async (ms) => {
    clock += ms;
  };
  const emulator = await startEmulator({ now, processingTimeMs: HOUR });
  const rows = [];
  try {
    const client = await createClient({
      env: { ANTHROPIC_API_KEY: 'emulator', ANTHROPIC_BASE_URL: emulator.url },
    });
    const file = join(DATA_DIR, 'monitor-requests.jsonl');
    writeFileSync(file, `${[1, 2, 3].map((i) => requestLine(`q${i}`, `Question ${i}`)).join('\n')}\n`);
    const create = async () => {
      const ids = [];
      for (let i = 0; i < BATCHES; i += 1) ids.push((await submitRequests(client, { path: file })).batch.id);
      return ids;
    };

    // claude-batch: monitorBatches, the library behind `claude-batch monitor`.
    let ids = await create();
    let before = { ...emulator.counts };
    let started = clock;
    const watched = await monitorBatches(client, ids, { now, sleep });
    const ours = {
      requests: apiRequests(emulator.counts, before),
      polls: watched.polls,
      simulatedMs: clock - started,
    };
    if (!watched.batches.every((b) => b.processing_status === 'ended'))
      throw new Error('monitor ended early');

    // Baseline: a retrieve per running batch, every 60 s, until all have ended.
    ids = await create();
    before = { ...emulator.counts };
    started = clock;
    let polls = 0;
    let pending = ids;
    while (pending.length > 0) {
      polls += 1;
      const still = [];
      for (const id of pending) {
        const batch = await client.sdk.messages.batches.retrieve(id);
        if (batch.processing_status !== 'ended') still.push(id);
      }
      pending = still;
      if (pending.length > 0) await sleep(60_000);
    }
    const naive = { requests: apiRequests(emulator.counts, before), polls, simulatedMs: clock - started };
    log?.(
      `  monitor: ${ours.requests} requests in ${ours.polls} polls; naive: ${naive.requests} in ${naive.polls}`,
    );
    for (const [variant, m] of [
      ['claude-batch monitor (adaptive, list)', ours],
      ['baseline: retrieve each batch every 60 s', naive],
    ]) {
      rows.push({
        case: 'monitor',
        variant,
        size: `${BATCHES} batches, ${(m.simulatedMs / 60_000).toFixed(0)} simulated min`,
        text: `${m.requests} requests in ${m.polls} polls (${(m.requests / m.polls).toFixed(2)} per poll)`,
      });
    }
    const perPoll = ours.requests / ours.polls;
    return {
      rows,
      goals: [
        {
          goal: `monitor: ≤ 1 request per poll for ${BATCHES} batches`,
          measured: `${ours.requests} requests / ${ours.polls} polls = ${perPoll.toFixed(2)} per poll (naive: ${(naive.requests / naive.polls).toFixed(0)} per poll, ${naive.requests} in all: ${fmtX(naive.requests / ours.requests)} more)`,
          pass: perPoll <= 1,
        },
      ],
    };
  } finally {
    await emulator.close();
  }
}
