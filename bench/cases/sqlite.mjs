/**
 * Case 6: `results --format sqlite` of a 100,000-request batch (~300 MB of results: lines of
 * ~3,000 bytes), plain and joined to its CSV, against `results --format csv` of the same
 * batch (the nearest text output). Each run writes a new database (rows inserted, not upserted).
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, reviewsCsv } from '../lib/data.mjs';
import { CLI, startEmulatorProcess } from '../lib/emulator.mjs';
import { fmtMB, fmtS, n } from '../lib/format.mjs';
import { interleave, measure } from '../lib/measure.mjs';

async function waitEnded(emulator, id) {
  for (let i = 0; i < 100; i += 1) {
    const response = await fetch(`${emulator.url}/v1/messages/batches/${id}`, {
      headers: { 'x-api-key': 'emulator', 'anthropic-version': '2023-06-01' },
    });
    if ((await response.json()).processing_status === 'ended') return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`batch ${id} did not end`);
}

/** Characters of answer text: result lines of ~3,000 bytes (the size BENCHMARKS.md reports for this case). */
const ANSWER_SIZE = 2468;

export async function runSqlite({ runs, quick, log }) {
  const count = quick ? 10_000 : 100_000;
  const emulator = await startEmulatorProcess({ processingTime: '1s', answerSize: ANSWER_SIZE });
  const out = (key) => join(DATA_DIR, `sqlite-${key}.out`);
  const rows = [];
  const got = {};
  try {
    // Requests built from the CSV, so that the join has its input and sidecar.
    const csv = await reviewsCsv(count, { log });
    const built = join(DATA_DIR, `sqlite-requests-${count}.jsonl`);
    const env = emulator.env;
    const made = await measure(
      process.execPath,
      [CLI, 'build', 'csv', csv, '--prompt-column', 'text', '-o', built, '--force'],
      { env },
    );
    if (made.code !== 0) throw new Error(`build for the sqlite case failed:\n${made.stderr}`);
    const created = await measure(process.execPath, [CLI, 'submit', built], { env });
    if (created.code !== 0) throw new Error(`submit for the sqlite case failed:\n${created.stderr}`);
    const id = created.stdout.trim();
    await waitEnded(emulator, id);
    const variants = [
      {
        key: 'csv',
        name: 'baseline: claude-batch results --format csv',
        label: 'results csv',
        args: [CLI, 'results', id, '--format', 'csv', '-o', out('csv'), '--force'],
      },
      {
        key: 'sqlite',
        name: 'claude-batch results --format sqlite',
        label: 'results sqlite',
        args: [CLI, 'results', id, '--format', 'sqlite', '-o', out('sqlite')],
      },
      {
        key: 'join',
        name: 'claude-batch results --join CSV --format sqlite',
        label: 'results --join sqlite',
        args: [
          CLI,
          'results',
          id,
          '--join',
          csv,
          '--requests',
          built,
          '--format',
          'sqlite',
          '-o',
          out('join'),
        ],
      },
    ];
    for (const v of variants) {
      v.command = process.execPath;
      v.options = { env, before: () => rmSync(out(v.key), { force: true }) };
    }
    const summaries = await interleave(runs, variants, log);
    const common = { case: 'sqlite', size: `${n(count)} results`, items: count, unit: 'res' };
    for (const [i, v] of variants.entries()) {
      got[v.key] = summaries[i];
      const note = `${(statSync(out(v.key)).size / 1e6).toFixed(0)} MB written`;
      rows.push({ ...common, variant: v.name, ...summaries[i], note });
    }
  } finally {
    await emulator.stop();
    for (const key of ['csv', 'sqlite', 'join']) rmSync(out(key), { force: true });
  }
  const rate = (s) => (s ? `${n(Math.round(count / (s.wallMs / 1000)))} rows/s` : 'n/a');
  const x = (a, b) => (a && b ? a.wallMs / b.wallMs : Number.NaN);
  // Relative to the CSV export of the same batch in the same run: a loaded machine slows both.
  const goals = [
    {
      goal: 'results --format sqlite: wall ≤ 1.5× results --format csv',
      measured: `${fmtS(got.sqlite?.wallMs)} (${rate(got.sqlite)}) vs ${fmtS(got.csv?.wallMs)} (${x(got.sqlite, got.csv).toFixed(2)}×)`,
      pass: got.sqlite && got.csv ? x(got.sqlite, got.csv) <= 1.5 : undefined,
    },
    {
      goal: 'results --join CSV --format sqlite: wall ≤ 2.5× results --format csv',
      measured: `${fmtS(got.join?.wallMs)} (${rate(got.join)}, ${x(got.join, got.csv).toFixed(2)}×)`,
      pass: got.join && got.csv ? x(got.join, got.csv) <= 2.5 : undefined,
    },
    {
      goal: 'results --format sqlite: peak RSS ≤ 256 MB (plain and joined)',
      measured: `${fmtMB(got.sqlite?.rssBytes)}, joined ${fmtMB(got.join?.rssBytes)}`,
      pass: got.sqlite && got.join ? Math.max(got.sqlite.rssBytes, got.join.rssBytes) <= 256e6 : undefined,
    },
  ];
  return { rows, goals };
}
