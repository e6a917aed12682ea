// run --reuse at scale: index N succeeded results (N requests + N results on disk, in sources of
// at most 100,000: one batch's worth, as the API allows), then split an input of N requests (1%
// edited) into reused and to-send. Peak RSS and times.
// node bench/reuse.mjs [N]   (after npm run build; default 1,000,000)
// The files are written by a child process, so that the figures start from a clean process.

import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyReuse } from '../dist/core/reuse/apply.js';
import { ReuseIndex } from '../dist/core/reuse/index.js';

const N = Number(process.argv[2] ?? 1_000_000);
const writing = process.argv[3] === '--write';
const dir = writing ? process.argv[4] : mkdtempSync(join(tmpdir(), 'cb-reuse-bench-'));
const params = (i, edited) => ({
  model: 'claude-haiku-4-5',
  max_tokens: 256,
  messages: [
    {
      role: 'user',
      content: `Classify review ${i}${edited ? ' (edited)' : ''}: the product works as described.`,
    },
  ],
});
const PER_SOURCE = 100_000;
async function write(path, line, from = 0, to = N) {
  const out = createWriteStream(path);
  for (let i = from; i < to; i += 1) if (!out.write(`${line(i)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}
const t0 = Date.now();
const sources = [];
for (let from = 0; from < N; from += PER_SOURCE) {
  const to = Math.min(N, from + PER_SOURCE);
  const source = {
    requests: join(dir, `old-${from}.jsonl`),
    results: join(dir, `old-${from}-results.jsonl`),
  };
  sources.push(source);
  if (!writing) continue;
  await write(source.requests, (i) => JSON.stringify({ custom_id: `old-${i}`, params: params(i) }), from, to);
  await write(
    source.results,
    (i) =>
      JSON.stringify({
        custom_id: `old-${i}`,
        result: {
          type: 'succeeded',
          message: {
            id: `msg_${i}`,
            type: 'message',
            role: 'assistant',
            model: 'claude-haiku-4-5',
            content: [{ type: 'text', text: `positive ${i}` }],
            stop_reason: 'end_turn',
            usage: { input_tokens: 20, output_tokens: 3 },
          },
        },
      }),
    from,
    to,
  );
}
if (writing) {
  await write(join(dir, 'new.jsonl'), (i) =>
    JSON.stringify({ custom_id: `new-${i}`, params: params(i, i % 100 === 0) }),
  );
  process.exit(0);
}
const child = spawnSync(process.execPath, [process.argv[1], String(N), '--write', dir], { stdio: 'inherit' });
if (child.status !== 0) throw new Error('writing the files failed');
const written = Date.now();
let peak = 0;
const sample = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const base = process.memoryUsage().rss;
const index = new ReuseIndex();
for (const source of sources) await index.addSource(source);
const indexed = Date.now();
const indexPeak = Math.max(peak, process.memoryUsage().rss);
peak = 0;
const outcome = await applyReuse(join(dir, 'new.jsonl'), dir, index);
const done = Date.now();
clearInterval(sample);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(`files written in ${((written - t0) / 1000).toFixed(1)} s`);
console.log(
  `index: ${index.size.toLocaleString('en-US')} answers in ${((indexed - written) / 1000).toFixed(1)} s`,
);
console.log(
  `split: ${outcome.reused.toLocaleString('en-US')} reused, ${outcome.toSend.toLocaleString('en-US')} to send, in ${((done - indexed) / 1000).toFixed(1)} s`,
);
console.log(
  `peak RSS ${(Math.max(peak, indexPeak) / 1e6).toFixed(0)} MB (${(base / 1e6).toFixed(0)} MB before indexing; indexing ${(indexPeak / 1e6).toFixed(0)} MB, split ${(peak / 1e6).toFixed(0)} MB)`,
);
rmSync(dir, { recursive: true, force: true });
