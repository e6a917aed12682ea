import { createWriteStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { buildRequestFile } from '../../src/core/builder/build.js';
import { joinResults } from '../../src/core/join/join.js';
import { tempDir, writeText } from '../helpers/files.js';
import { errored, fileSink, shuffle, succeeded } from '../helpers/join.js';

const ROWS = 200_000;
const FILLER = 'lorem ipsum dolor sit amet, '.repeat(18); // ~500 characters an answer
const dir = tempDir();

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  for (const line of lines)
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

/** The note column: plain, or with the characters CSV has to quote. */
const note = (i: number) => (i % 7 === 0 ? `multi\nline, "${i}"` : i % 5 === 0 ? `a,b ${i}` : `n${i}`);

describe('join at scale', () => {
  it(`joins ${ROWS.toLocaleString('en-US')} CSV rows with shuffled results in input order, in bounded memory`, async () => {
    const lines = ['id,name,prompt,note'];
    for (let i = 1; i <= ROWS; i += 1) {
      const n = note(i);
      lines.push(`${i},name ${i},Question ${i},${/[",\n]/.test(n) ? `"${n.replaceAll('"', '""')}"` : n}`);
    }
    const input = writeText(dir, 'big.csv', `${lines.join('\n')}\n`);
    lines.length = 0;
    const requests = join(dir, 'big.jsonl');
    const built = await buildRequestFile({
      source: 'csv',
      input,
      promptColumn: 'prompt',
      output: requests,
      model: 'claude-haiku-4-5',
    });
    expect(built.requests).toBe(ROWS);

    // Results in random order; every 1000th row has none, every 101st errored.
    const order = shuffle(
      Array.from({ length: ROWS }, (_, i) => i + 1).filter((r) => r % 1000 !== 0),
      42,
    );
    const resultsPath = join(dir, 'big.results.jsonl');
    await writeLines(
      resultsPath,
      (function* () {
        for (const r of order) {
          const line =
            r % 101 === 0
              ? errored(`csv-row-${r}`, 'overloaded_error', `busy ${r}`)
              : succeeded(`csv-row-${r}`, `answer ${r} ${FILLER}`, r % 50, 7);
          yield `${JSON.stringify(line)}\n`;
        }
      })(),
    );
    const resultsBytes = statSync(resultsPath).size;

    // Join, sampling the process's memory while it runs.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const out = join(dir, 'big.joined.csv');
    const t1 = Date.now();
    let indexMs = 0;
    let summary: Awaited<ReturnType<typeof joinResults>>;
    try {
      summary = await joinResults({
        results: resultsPath,
        map: built.map as string,
        input,
        format: 'csv',
        sink: await fileSink(out),
        tempDir: dir,
        onProgress: (phase) => {
          if (phase === 'join' && indexMs === 0) indexMs = Date.now() - t1;
        },
      });
    } finally {
      clearInterval(sampler);
    }
    const growth = peak - before;
    expect(summary).toMatchObject({
      rows: ROWS,
      joined: ROWS - ROWS / 1000,
      withoutResult: ROWS / 1000,
      unmatchedResults: 0,
      unevenRows: 0,
    });
    // Holding every answer in memory would take more than the results file; the index keeps
    // 12 bytes a row plus small buffers.
    expect(resultsBytes).toBeGreaterThan(100e6);
    expect(growth).toBeLessThan(resultsBytes / 2);

    const records = parse(readFileSync(out)) as string[][];
    expect(records).toHaveLength(ROWS + 1);
    expect(records[0]).toEqual([
      'id',
      'name',
      'prompt',
      'note',
      'result_type',
      'result_text',
      'result_stop_reason',
      'result_input_tokens',
      'result_output_tokens',
      'result_error_type',
      'result_error_message',
    ]);
    for (let i = 1; i <= ROWS; i += 1) {
      const r = records[i] as string[];
      // Every input column restored, in order; rows in input order.
      if (r[0] !== String(i) || r[1] !== `name ${i}` || r[2] !== `Question ${i}` || r[3] !== note(i)) {
        expect(r.slice(0, 4)).toEqual([String(i), `name ${i}`, `Question ${i}`, note(i)]);
      }
      const want =
        i % 1000 === 0
          ? ['', '', '', '', '', '', '']
          : i % 101 === 0
            ? ['errored', '', '', '', '', 'overloaded_error', `busy ${i}`]
            : ['succeeded', `answer ${i} ${FILLER}`, 'end_turn', String(i % 50), '7', '', ''];
      if (r.slice(4).join('\u0000') !== want.join('\u0000')) expect(r.slice(4)).toEqual(want);
    }
  }, 300_000);
});
