/** The Markdown table of measurements, the goals with pass/fail, and the machine they ran on. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fmtMB, fmtS } from './format.mjs';

/** Rows/s (or requests/s, results/s) and MB/s of a measured row. */
function throughput(row) {
  if (!row.bytes || !Number.isFinite(row.wallMs)) return '—';
  const s = row.wallMs / 1000;
  const per = row.items / s;
  const items =
    per >= 1e6 ? `${(per / 1e6).toFixed(2)} M` : per >= 1e3 ? `${(per / 1e3).toFixed(1)} k` : per.toFixed(0);
  return `${(row.bytes / 1e6 / s).toFixed(1)} MB/s · ${items} ${row.unit}/s`;
}

export function table(rows) {
  const lines = [
    '| case | variant | size | runs | median wall | throughput | peak RSS | notes |',
    '|---|---|---|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    if (r.skipped) {
      lines.push(`| ${r.case} | ${r.variant} | ${r.size} | — | — | — | — | skipped: ${r.skipped} |`);
    } else if (r.text) {
      lines.push(`| ${r.case} | ${r.variant} | ${r.size} | 1 | — | — | — | ${r.text} |`);
    } else {
      const spread =
        r.runs > 1 && r.minWallMs !== undefined ? ` (${fmtS(r.minWallMs)}–${fmtS(r.maxWallMs)})` : '';
      lines.push(
        `| ${r.case} | ${r.variant} | ${r.size} | ${r.runs} | ${fmtS(r.wallMs)}${spread} | ${throughput(r)} | ${fmtMB(r.rssBytes)} | ${r.note ?? ''} |`,
      );
    }
  }
  return lines.join('\n');
}

export function goalsTable(goals) {
  const lines = ['| goal | measured | result |', '|---|---|---|'];
  for (const g of goals) {
    const result = g.pass === undefined ? 'n/a' : g.pass ? '**met**' : '**NOT met**';
    lines.push(`| ${g.goal} | ${g.measured} | ${result} |`);
  }
  return lines.join('\n');
}

/** CPU model, cores, memory, Node and OS, for the report. */
export function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {
    // Not Linux.
  }
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(cpus().length);
  const python = spawnSync('python3', ['--version'], { encoding: 'utf8' }).stdout?.trim();
  return [
    `- CPU: ${model}, ${nproc} cores available (nproc)`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version}, ${process.platform} ${process.arch}${python ? `; ${python}` : ''}`,
  ].join('\n');
}
