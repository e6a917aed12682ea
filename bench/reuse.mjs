// run --reuse at scale: index N succeeded results (N requests + N results on disk), then split an
// input of N requests (1% edited) into reused and to-send. Peak RSS and times.
// node bench/reuse.mjs [N]   (after npm run build; default 1,000,000)

import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyReuse } from '../dist/core/reuse/apply.js';
import { ReuseIndex } from '../dist/core/reuse/index.js';

const N = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'cb-reuse-bench-'));
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
async function write(path, line) {
  const out = createWriteStream(path);
  for (let i = 0; i < N; i += 1) if (!out.write(`${line(i)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}
let peak = 0;
const sample = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 20);
const t0 = Date.now();
await write(join(dir, 'old.jsonl'), (i) => JSON.stringify({ custom_id: `old-${i}`, params: params(i) }));
await write(join(dir, 'old-results.jsonl'), (i) =>
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
);
await write(join(dir, 'new.jsonl'), (i) =>
  JSON.stringify({ custom_id: `new-${i}`, params: params(i, i % 100 === 0) }),
);
const written = Date.now();
peak = 0;
const base = process.memoryUsage().rss;
const index = new ReuseIndex();
await index.addSource({ requests: join(dir, 'old.jsonl'), results: join(dir, 'old-results.jsonl') });
const indexed = Date.now();
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
console.log(`peak RSS ${(peak / 1e6).toFixed(0)} MB (${(base / 1e6).toFixed(0)} MB before indexing)`);
rmSync(dir, { recursive: true, force: true });
