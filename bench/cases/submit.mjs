/** Case 2: `submit` (validate + streamed upload) against the naive SDK way, to an emulator child. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { lineBytesForBody, requestFile } from '../lib/data.mjs';
import { CLI, ROOT, startEmulatorProcess } from '../lib/emulator.mjs';
import { fmtMB, fmtS, fmtX, n, ratio } from '../lib/format.mjs';
import { measure, summarise } from '../lib/measure.mjs';

const NAIVE = join(ROOT, 'bench', 'naive-submit.mjs');

export async function runSubmit({ runs, quick, log }) {
  const requests = quick ? 10_000 : 100_000;
  const files = [
    { label: '~100 MB', lineBytes: 1000 },
    {
      label: 'just under 256 MB body',
      lineBytes: lineBytesForBody(requests, quick ? 25_580_000 : 255_800_000),
    },
  ];
  const rows = [];
  const measured = [];
  for (const f of files) f.path = await requestFile(requests, f.lineBytes, { log });
  // A fresh emulator for every run: it keeps each batch it was sent, and a heap grown by the
  // previous runs would slow the later ones. The two ways take turns, run by run.
  const once = async (label, args) => {
    const emulator = await startEmulatorProcess({ processingTime: '1h' });
    try {
      const sample = await measure(process.execPath, args, { env: emulator.env });
      if (sample.code !== 0) throw new Error(`${label}: exit ${sample.code}\n${sample.stderr.trim()}`);
      if (!/^msgbatch_\w+$/.test(sample.stdout.trim())) {
        throw new Error(
          `${label}: expected a batch id on stdout, got ${JSON.stringify(sample.stdout.slice(0, 200))}`,
        );
      }
      log?.(`  ${label}: ${fmtS(sample.wallMs)}, ${fmtMB(sample.rssBytes)}`);
      return sample;
    } finally {
      await emulator.stop();
    }
  };
  for (const f of files) {
    const bytes = statSync(f.path).size;
    const common = {
      case: 'submit',
      size: `${n(requests)} requests, ${(bytes / 1e6).toFixed(0)} MB`,
      items: requests,
      bytes,
      unit: 'req',
    };
    const cliSamples = [];
    const naiveSamples = [];
    for (let i = 1; i <= runs; i += 1) {
      cliSamples.push(await once(`submit ${f.label} run ${i}/${runs}`, [CLI, 'submit', f.path]));
      naiveSamples.push(await once(`naive submit ${f.label} run ${i}/${runs}`, [NAIVE, f.path]));
    }
    const cli = summarise(cliSamples);
    const naive = summarise(naiveSamples);
    rows.push({ ...common, variant: 'claude-batch submit', ...cli });
    rows.push({ ...common, variant: 'baseline: naive SDK create', ...naive });
    measured.push({ bytes, cli, naive, label: common.size });
  }
  const goals = [];
  for (const m of measured) {
    const rssVsNaive = ratio(m.cli.rssBytes, m.naive.rssBytes);
    const rssVsFile = ratio(m.cli.rssBytes, m.bytes);
    const wall = ratio(m.cli.wallMs, m.naive.wallMs);
    goals.push(
      {
        goal: `submit ${m.label}: peak RSS ≤ 0.5× naive`,
        measured: `${fmtMB(m.cli.rssBytes)} vs ${fmtMB(m.naive.rssBytes)} (${fmtX(rssVsNaive)})`,
        pass: rssVsNaive <= 0.5,
      },
      {
        goal: `submit ${m.label}: peak RSS ≤ 1.5× file size`,
        measured: `${fmtMB(m.cli.rssBytes)} vs ${fmtMB(m.bytes)} file (${fmtX(rssVsFile)})`,
        pass: rssVsFile <= 1.5,
      },
      {
        goal: `submit ${m.label}: peak RSS ≤ 100 MB (issue 18)`,
        measured: fmtMB(m.cli.rssBytes),
        pass: m.cli.rssBytes <= 100e6,
      },
      {
        goal: `submit ${m.label}: wall ≤ naive`,
        measured: `${fmtS(m.cli.wallMs)} vs ${fmtS(m.naive.wallMs)} (${fmtX(wall)})`,
        pass: wall <= 1,
      },
    );
  }
  return { rows, goals };
}
