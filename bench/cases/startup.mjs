/**
 * Case 5: start-up of `--version`, `status ID` and `status ID --verbose` (source maps on; against an
 * emulator child), with `node -e 0` as the floor.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, requestLine } from '../lib/data.mjs';
import { CLI, startEmulatorProcess } from '../lib/emulator.mjs';
import { fmtS } from '../lib/format.mjs';
import { measure, median } from '../lib/measure.mjs';

const hasHyperfine = () => spawnSync('hyperfine', ['--version']).status === 0;

/** Median wall (ms) of each command: hyperfine when installed, else our own repeated runs. */
async function timeAll(commands, runs, env, log) {
  if (hasHyperfine()) {
    const report = join(DATA_DIR, 'startup-hyperfine.json');
    const args = ['-N', '--warmup', '3', '--runs', String(runs), '--export-json', report, '--style', 'none'];
    for (const c of commands) args.push('-n', c.name, c.argv.join(' '));
    const run = spawnSync('hyperfine', args, { env, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`hyperfine failed:\n${run.stderr}`);
    const { results } = JSON.parse(readFileSync(report, 'utf8'));
    rmSync(report, { force: true });
    log?.('  (timed with hyperfine)');
    return { tool: 'hyperfine', times: results.map((r) => r.median * 1000) };
  }
  const times = [];
  for (const c of commands) {
    const samples = [];
    for (let i = 0; i < runs + 3; i += 1) {
      const started = process.hrtime.bigint();
      const r = spawnSync(c.argv[0], c.argv.slice(1), { env, stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`${c.name} failed (${r.status})`);
      if (i >= 3) samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    times.push(median(samples));
  }
  return { tool: 'spawnSync loop', times };
}

export async function runStartup({ quick, log }) {
  const runs = quick ? 10 : 30;
  const emulator = await startEmulatorProcess({ processingTime: '1s' });
  try {
    const file = join(DATA_DIR, 'startup-requests.jsonl');
    writeFileSync(file, `${requestLine('q1', 'Hello')}\n`);
    const created = await measure(process.execPath, [CLI, 'submit', file], { env: emulator.env });
    if (created.code !== 0) throw new Error(`submit failed:\n${created.stderr}`);
    const id = created.stdout.trim();
    const node = process.execPath;
    const commands = [
      { name: 'node -e 0 (floor)', argv: [node, '-e', '0'] },
      { name: 'claude-batch --version', argv: [node, CLI, '--version'] },
      { name: 'claude-batch status ID', argv: [node, CLI, 'status', id] },
      // With --verbose the bin turns on the bundle's source maps (and the SDK's debug log).
      {
        name: 'claude-batch status ID --verbose',
        argv: [node, CLI, 'status', id, '--verbose'],
        noGoal: true,
      },
    ];
    const { tool, times } = await timeAll(commands, runs, emulator.env, log);
    const rows = [];
    for (const [i, c] of commands.entries()) {
      const once = await measure(c.argv[0], c.argv.slice(1), { env: emulator.env });
      rows.push({
        case: 'start-up',
        variant: c.name,
        size: '—',
        runs,
        wallMs: times[i],
        rssBytes: once.rssBytes,
        note: i === 0 ? `${tool}; median` : `+${(times[i] - times[0]).toFixed(0)} ms over node -e 0`,
      });
    }
    const goals = commands.slice(1).flatMap((c, i) => {
      const over = times[i + 1] - times[0];
      if (c.noGoal) return [];
      return {
        goal: `start-up: ${c.name} ≤ 100 ms above node -e 0`,
        measured: `${fmtS(times[i + 1])} vs ${fmtS(times[0])}: +${over.toFixed(0)} ms`,
        pass: over <= 100,
      };
    });
    return { rows, goals };
  } finally {
    await emulator.stop();
  }
}
