/**
 * `npm run bench`: generates seeded data in bench/data/, runs each case `--runs` times (3 by
 * default; 1 with `--quick`, which also uses smaller sizes), and prints a Markdown table of
 * median wall time, throughput and peak RSS (from the OS, through GNU time) with every
 * baseline measured in the same run, then the goals met or not. The report also goes to
 * bench/results.md (or `--out FILE`).
 *
 *   node bench/run.mjs [--quick] [--only build|submit|results|sqlite|monitor|rich|startup] [--runs N] [--out FILE]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBuild } from './cases/build.mjs';
import { runMonitor } from './cases/monitor.mjs';
import { runResults } from './cases/results.mjs';
import { runRich } from './cases/rich.mjs';
import { runSqlite } from './cases/sqlite.mjs';
import { runStartup } from './cases/startup.mjs';
import { runSubmit } from './cases/submit.mjs';
import { DATA_DIR } from './lib/data.mjs';
import { assertGnuTime, cleanScratch, killAll } from './lib/measure.mjs';
import { goalsTable, machine, table } from './lib/report.mjs';

const CASES = {
  build: runBuild,
  submit: runSubmit,
  results: runResults,
  sqlite: runSqlite,
  monitor: runMonitor,
  rich: runRich,
  startup: runStartup,
};

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    runs: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(
    `usage: node bench/run.mjs [--quick] [--only ${Object.keys(CASES).join('|')}]… [--runs N] [--out FILE]`,
  );
  process.exit(0);
}
const only = (values.only ?? []).flatMap((v) => v.split(','));
for (const name of only) {
  if (!(name in CASES)) {
    console.error(`unknown case ${JSON.stringify(name)}: choose from ${Object.keys(CASES).join(', ')}`);
    process.exit(2);
  }
}
const runs = values.runs ? Number(values.runs) : values.quick ? 1 : 3;
if (!Number.isInteger(runs) || runs < 1) {
  console.error('--runs takes a whole number ≥ 1');
  process.exit(2);
}
const outFile = values.out ?? join(dirname(fileURLToPath(import.meta.url)), 'results.md');

const log = (message) => process.stderr.write(`${message}\n`);
const stop = (signal) => {
  killAll('SIGKILL');
  cleanScratch();
  process.exit(signal === 'SIGINT' ? 130 : 143);
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));

try {
  assertGnuTime();
} catch (error) {
  console.error(`error: ${error.message}`);
  process.exit(1);
}
mkdirSync(DATA_DIR, { recursive: true });

const started = performance.now();
const rows = [];
const goals = [];
let failed = false;
for (const [name, run] of Object.entries(CASES)) {
  if (only.length > 0 && !only.includes(name)) continue;
  log(`== ${name}`);
  const t0 = performance.now();
  try {
    const result = await run({ runs, quick: values.quick, log });
    rows.push(...result.rows);
    goals.push(...result.goals);
  } catch (error) {
    failed = true;
    log(`error in case ${name}: ${error.stack ?? error}`);
    rows.push({
      case: name,
      variant: '—',
      size: '—',
      skipped: `failed: ${String(error.message).split('\n')[0]}`,
    });
  } finally {
    killAll();
  }
  log(`   ${name} took ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
cleanScratch();

const minutes = ((performance.now() - started) / 60_000).toFixed(1);
const report = [
  `## Results (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${values.quick ? 'quick, ' : ''}${runs} run${runs === 1 ? '' : 's'} each, ${minutes} min in all)`,
  '',
  machine(),
  '',
  table(rows),
  '',
  'Wall: median of the runs (min–max). Peak RSS: the largest of the runs, as GNU time reports it (`%M`).',
  '',
  '### Goals',
  '',
  goalsTable(goals),
  '',
].join('\n');
console.log(report);
writeFileSync(outFile, report);
log(`(written to ${outFile})`);
process.exitCode = failed ? 1 : 0;
