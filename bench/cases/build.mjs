/** Case 1: `build csv` against the original Python approach (stdlib csv + json, every row in a list). */
import { spawnSync } from 'node:child_process';
import { createReadStream, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, reviewsCsv } from '../lib/data.mjs';
import { CLI } from '../lib/emulator.mjs';
import { fmtMB, fmtS } from '../lib/format.mjs';
import { interleave } from '../lib/measure.mjs';

const PYTHON_BASELINE = `# The original approach: stdlib csv + json, every request held in a list, then written.
# Written by bench/cases/build.mjs; usage: python3 baseline_build.py INPUT.csv OUTPUT.jsonl
import csv
import json
import sys


def main():
    src, out = sys.argv[1], sys.argv[2]
    requests = []
    with open(src, newline="", encoding="utf-8") as f:
        for n, row in enumerate(csv.DictReader(f), 1):
            requests.append(
                {
                    "custom_id": f"csv-row-{n}",
                    "params": {
                        "model": "claude-haiku-4-5",
                        "max_tokens": 1024,
                        "messages": [{"role": "user", "content": row["text"]}],
                    },
                }
            )
    with open(out, "w", encoding="utf-8") as f:
        for r in requests:
            f.write(json.dumps(r) + "\\n")


if __name__ == "__main__":
    main()
`;

/** The real python3 executable (not a pyenv shim, whose own processes would blur the RSS), or undefined. */
export function findPython() {
  const probe = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

/** Counts the lines of a file (to check that both sides wrote every row). */
async function countLines(path) {
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) n += 1;
  }
  return n;
}

export const buildAvailable = () =>
  spawnSync(process.execPath, [CLI, 'build', '--help'], { encoding: 'utf8' }).status === 0;

export async function runBuild({ runs, quick, log }) {
  const sizes = quick ? [10_000, 100_000] : [100_000, 1_000_000];
  const rows = [];
  const goals = [];
  const python = findPython();
  const script = join(DATA_DIR, 'baseline_build.py');
  const available = buildAvailable();
  const results = {};
  for (const n of sizes) {
    const csv = await reviewsCsv(n, { log });
    const bytes = statSync(csv).size;
    const size = `${n.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(0)} MB`;
    const common = { case: 'build csv', size, items: n, bytes, unit: 'rows' };
    const out = join(DATA_DIR, `build-out-${n}.jsonl`);
    const pyOut = join(DATA_DIR, `build-out-${n}.py.jsonl`);
    const variants = [];
    if (available) {
      variants.push({
        key: `cli-${n}`,
        name: 'claude-batch build csv',
        label: `build ${n}`,
        command: process.execPath,
        args: [CLI, 'build', 'csv', csv, '--prompt-column', 'text', '-o', out, '--force'],
        output: out,
      });
    } else {
      rows.push({ ...common, variant: 'claude-batch build csv', skipped: 'build not available' });
    }
    if (python) {
      writeFileSync(script, PYTHON_BASELINE);
      variants.push({
        key: `py-${n}`,
        name: 'baseline: python csv+json (list)',
        label: `python ${n}`,
        command: python,
        args: [script, csv, pyOut],
        output: pyOut,
      });
    } else {
      rows.push({ ...common, variant: 'baseline: python csv+json (list)', skipped: 'python3 not found' });
    }
    const summaries = await interleave(runs, variants, log);
    for (const [i, v] of variants.entries()) {
      const lines = await countLines(v.output);
      rows.push({ ...common, variant: v.name, ...summaries[i], note: lines === n ? '' : `${lines} lines!` });
      results[v.key] = summaries[i];
      rmSync(v.output, { force: true });
      rmSync(`${v.output}.map`, { force: true });
    }
  }
  const [small, large] = sizes;
  const cli = results[`cli-${small}`];
  const py = results[`py-${small}`];
  goals.push({
    goal: `build: wall ≤ Python baseline at ${small.toLocaleString('en-US')} rows`,
    measured:
      cli && py
        ? `${fmtS(cli.wallMs)} vs ${fmtS(py.wallMs)} (${(cli.wallMs / py.wallMs).toFixed(2)}×)`
        : 'n/a',
    pass: cli && py ? cli.wallMs <= py.wallMs : undefined,
  });
  const big = results[`cli-${large}`];
  const bigPy = results[`py-${large}`];
  goals.push({
    goal: `build: peak RSS ≤ 150 MB at ${large.toLocaleString('en-US')} rows`,
    measured: big
      ? `${fmtMB(big.rssBytes)}${bigPy ? ` (Python: ${fmtMB(bigPy.rssBytes)})` : ''}; at ${small.toLocaleString('en-US')} rows: ${fmtMB(cli?.rssBytes)}`
      : 'n/a',
    pass: big ? big.rssBytes <= 150e6 : undefined,
  });
  goals.push({
    goal: 'build: peak RSS ≤ 100 MB at any size (issue 18)',
    measured: `${fmtMB(cli?.rssBytes)} at ${small.toLocaleString('en-US')} rows, ${fmtMB(big?.rssBytes)} at ${large.toLocaleString('en-US')}`,
    pass: cli && big ? Math.max(cli.rssBytes, big.rssBytes) <= 100e6 : undefined,
  });
  return { rows, goals };
}
