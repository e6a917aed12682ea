/**
 * Case 3: `results` of a 100,000-request batch to JSONL, to compact and joined to CSV, against
 * `curl -o` of the results URL (the physical floor of a download: no JavaScript at all), a raw
 * byte copy with Node's fetch, and the naive SDK loop. Every variant is also given as a ratio
 * to `curl -o`.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { csvRowRequests, DATA_DIR, reviewsCsv } from '../lib/data.mjs';
import { CLI, ROOT, startEmulatorProcess } from '../lib/emulator.mjs';
import { fmtMB, fmtS, fmtX, n, ratio } from '../lib/format.mjs';
import { interleave, measure } from '../lib/measure.mjs';

/**
 * Characters of answer text that make each result line ~760 bytes (about 530 bytes of JSON
 * around it), the size issue 18 measured: short answers make the per-line work count most.
 */
export const ANSWER_SIZE = 230;

/** Whether curl is installed (the floor is skipped without it). */
function hasCurl() {
  return spawnSync('curl', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** The `--join` flag of `results`, if the CLI has it yet. */
function joinSupport() {
  const help = spawnSync(process.execPath, [CLI, 'results', '--help'], { encoding: 'utf8' }).stdout ?? '';
  return { join: /--join\b/.test(help), map: /--map\b/.test(help) };
}

async function waitEnded(emulator, id) {
  for (let i = 0; i < 100; i += 1) {
    const response = await fetch(`${emulator.url}/v1/messages/batches/${id}`, {
      headers: { 'x-api-key': 'emulator', 'anthropic-version': '2023-06-01' },
    });
    const batch = await response.json();
    if (batch.processing_status === 'ended') return batch;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`batch ${id} did not end`);
}

export async function runResults({ runs, quick, log }) {
  const count = quick ? 10_000 : 100_000;
  const requests = await csvRowRequests(count, { log });
  const support = joinSupport();
  const emulator = await startEmulatorProcess({ processingTime: '1s', answerSize: ANSWER_SIZE });
  const rows = [];
  const got = {};
  const out = (key) => join(DATA_DIR, `results-${key}.out`);
  try {
    const created = await measure(process.execPath, [CLI, 'submit', requests], { env: emulator.env });
    if (created.code !== 0) throw new Error(`submit for the results case failed:\n${created.stderr}`);
    const id = created.stdout.trim();
    const batch = await waitEnded(emulator, id);
    const env = emulator.env;
    const variants = [];
    if (hasCurl()) {
      variants.push({
        key: 'curl',
        name: 'floor: curl -o (no JavaScript)',
        label: 'curl -o',
        command: 'curl',
        args: [
          '-sS',
          '--fail',
          '-o',
          out('curl'),
          '-H',
          'x-api-key: emulator',
          '-H',
          'anthropic-version: 2023-06-01',
          batch.results_url,
        ],
      });
    }
    variants.push(
      {
        key: 'raw',
        name: 'baseline: raw byte copy (fetch → file)',
        label: 'raw copy',
        args: [join(ROOT, 'bench', 'raw-copy.mjs'), batch.results_url, out('raw')],
      },
      {
        key: 'naive',
        name: 'baseline: naive SDK for-await loop',
        label: 'naive SDK loop',
        args: [join(ROOT, 'bench', 'naive-results.mjs'), id, out('naive')],
      },
      {
        key: 'jsonl',
        name: 'claude-batch results (jsonl)',
        label: 'results jsonl',
        args: [CLI, 'results', id, '-o', out('jsonl'), '--force'],
      },
      {
        key: 'compact',
        name: 'claude-batch results --format compact',
        label: 'results compact',
        args: [CLI, 'results', id, '--format', 'compact', '-o', out('compact'), '--force'],
      },
    );
    let joinNote = '--join not available';
    if (support.join) {
      // The join needs the input CSV and the sidecar `build` wrote beside its output.
      const csv = await reviewsCsv(count, { log });
      const built = join(DATA_DIR, `join-requests-${count}.jsonl`);
      const made = await measure(
        process.execPath,
        [CLI, 'build', 'csv', csv, '--prompt-column', 'text', '-o', built, '--force'],
        { env },
      );
      if (made.code !== 0) throw new Error(`build for the join failed:\n${made.stderr}`);
      const args = [CLI, 'results', id, '--join', csv, '--format', 'csv', '-o', out('join'), '--force'];
      if (support.map) args.push('--requests', built); // its sidecar (requests.jsonl.map) is found from it
      // A first try outside the timed runs: the flag's arguments are guessed from the issue.
      const probe = await measure(process.execPath, args, { env });
      if (probe.code === 0) {
        variants.push({
          key: 'join',
          name: 'claude-batch results --join CSV',
          label: 'results --join',
          args,
        });
      } else {
        joinNote = `failed: ${probe.stderr.trim().split('\n').slice(0, 2).join(' ')}`;
      }
    }
    for (const v of variants) {
      v.command ??= process.execPath;
      v.options = { env, before: () => rmSync(out(v.key), { force: true }) };
    }
    const summaries = await interleave(runs, variants, log);
    const bytes = statSync(out('raw')).size;
    const floor = summaries[variants.findIndex((v) => v.key === 'curl')];
    const common = {
      case: 'results',
      size: `${n(count)} results, ${(bytes / 1e6).toFixed(0)} MB`,
      items: count,
      bytes,
      unit: 'res',
    };
    for (const [i, v] of variants.entries()) {
      got[v.key] = summaries[i];
      const notes = [];
      if (floor && v.key !== 'curl') notes.push(`${fmtX(ratio(summaries[i].wallMs, floor.wallMs))} curl -o`);
      if (v.key === 'jsonl' && statSync(out('jsonl')).size !== bytes)
        notes.push('size differs from raw copy!');
      if (v.key === 'compact' || v.key === 'join')
        notes.push(`${(statSync(out(v.key)).size / 1e6).toFixed(0)} MB written`);
      const note = notes.join('; ');
      rows.push({ ...common, variant: v.name, ...summaries[i], note });
    }
    if (!got.join) rows.push({ ...common, variant: 'claude-batch results --join CSV', skipped: joinNote });
  } finally {
    await emulator.stop();
    for (const key of ['curl', 'raw', 'naive', 'jsonl', 'compact', 'join']) rmSync(out(key), { force: true });
  }
  const vsNaive = ratio(got.naive?.wallMs, got.jsonl?.wallMs);
  const floorName = got.curl ? 'curl -o' : 'raw copy';
  const floor = got.curl ?? got.raw;
  /** A wall-time goal as a ratio to the floor (curl -o; the fetch copy without curl). */
  const vsFloor = (key, label, limit) => {
    const r = ratio(got[key]?.wallMs, floor?.wallMs);
    return {
      goal: `${label}: wall ≤ ${limit}× ${floorName}`,
      measured: got[key] ? `${fmtS(got[key].wallMs)} vs ${fmtS(floor?.wallMs)} (${fmtX(r)})` : 'skipped',
      pass: got[key] ? r <= limit : undefined,
    };
  };
  const rss = (key, label) => ({
    goal: `${label}: peak RSS ≤ 100 MB`,
    measured: got[key] ? fmtMB(got[key].rssBytes) : 'skipped',
    pass: got[key] ? got[key].rssBytes <= 100e6 : undefined,
  });
  const goals = [
    vsFloor('jsonl', 'results jsonl', 1.3),
    vsFloor('compact', 'results --format compact', 1.6),
    vsFloor('join', 'results --join', 2),
    {
      goal: 'results jsonl: ≥ 2× faster than naive SDK loop',
      measured: `${fmtS(got.naive?.wallMs)} / ${fmtS(got.jsonl?.wallMs)} = ${fmtX(vsNaive)} faster`,
      pass: vsNaive >= 2,
    },
    rss('jsonl', 'results jsonl'),
    rss('compact', 'results --format compact'),
    rss('join', 'results --join'),
  ];
  return { rows, goals };
}
