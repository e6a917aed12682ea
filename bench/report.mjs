#!/usr/bin/env node
/**
 * The HTML report of 100,000 results (`claude-batch report results.jsonl -o report.html`):
 * wall time, peak RSS (GNU time) and the page's size, with answers cut (the default) and whole
 * (`--full`). The results are generated from a seeded PRNG into bench/data/ (answers of 40 to
 * 2,000 characters, 3% errored, a fifth stopped by max_tokens, some cache reads).
 *
 *   npm run build && node bench/report.mjs [--runs 3] [--count 100000]
 */
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR } from './lib/data.mjs';
import { CLI } from './lib/emulator.mjs';
import { fmtMB, n } from './lib/format.mjs';
import { assertGnuTime, measure, median } from './lib/measure.mjs';
import { mulberry32, reviewText } from './lib/prng.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const runs = arg('--runs', 3);
const count = arg('--count', 100_000);

assertGnuTime();
mkdirSync(DATA_DIR, { recursive: true });
const results = join(DATA_DIR, `report-results-${count}.jsonl`);
if (!existsSync(results)) {
  const rand = mulberry32(19);
  const out = createWriteStream(results);
  for (let i = 1; i <= count; i += 1) {
    const id = `csv-row-${i}`;
    let line;
    if (rand() < 0.03) {
      line = {
        custom_id: id,
        result: {
          type: 'errored',
          error: {
            type: 'error',
            error: {
              type: rand() < 0.5 ? 'overloaded_error' : 'invalid_request_error',
              message: 'Emulated error',
            },
          },
        },
      };
    } else {
      const length = 40 + Math.floor(rand() * rand() * 1960);
      const stop = rand() < 0.2 ? 'max_tokens' : 'end_turn';
      line = {
        custom_id: id,
        result: {
          type: 'succeeded',
          message: {
            id: `msg_${i}`,
            type: 'message',
            role: 'assistant',
            model: 'claude-haiku-4-5',
            content: [{ type: 'text', text: reviewText(rand, length) }],
            stop_reason: stop,
            stop_sequence: null,
            usage: {
              input_tokens: 200 + Math.floor(rand() * 600),
              output_tokens: Math.ceil(length / 4),
              cache_read_input_tokens: rand() < 0.5 ? 1200 : 0,
              cache_creation_input_tokens: 0,
            },
          },
        },
      };
    }
    if (!out.write(`${JSON.stringify(line)}\n`)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
}
console.log(`results: ${n(count)} lines, ${fmtMB(statSync(results).size)}`);
console.log('| report | wall (median) | peak RSS (max) | page |');
console.log('|---|---|---|---|');
for (const [label, extra] of [
  ['answers cut at 500 characters (default)', []],
  ['--full', ['--full']],
]) {
  const page = join(DATA_DIR, 'report.html');
  const walls = [];
  let rss = 0;
  for (let r = 0; r < runs; r += 1) {
    rmSync(page, { force: true });
    const m = await measure(process.execPath, [CLI, 'report', results, '-o', page, ...extra]);
    if (m.code !== 0) throw new Error(`report failed:\n${m.stderr}`);
    walls.push(m.wallMs);
    rss = Math.max(rss, m.rssBytes);
  }
  console.log(
    `| ${label} | ${(median(walls) / 1000).toFixed(2)} s | ${fmtMB(rss)} | ${fmtMB(statSync(page).size)} |`,
  );
}
