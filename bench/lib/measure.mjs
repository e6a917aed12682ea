/**
 * Runs commands under GNU time for their peak RSS (from the OS: wait4's ru_maxrss of the
 * child) and times them with the monotonic clock. Every child is tracked so that it can be
 * killed when the bench stops early.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TIME = '/usr/bin/time';
const live = new Set();
const scratch = mkdtempSync(join(tmpdir(), 'claude-batch-bench-'));

/** Throws a clear error unless GNU time is installed (it reports the peak RSS of a child). */
export function assertGnuTime() {
  const probe = existsSync(TIME) ? spawnSync(TIME, ['-f', '%e %M', 'true'], { encoding: 'utf8' }) : undefined;
  if (probe?.status !== 0 || !/^\d+\.\d+ \d+\s*$/m.test(probe.stderr)) {
    throw new Error(
      `GNU time (${TIME}) is needed to measure the peak RSS of each command. Install it with: sudo apt-get install -y time`,
    );
  }
}

/** Tracks a child process until it exits. */
export function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Kills every child still running (the emulators, a command cut short). */
export function killAll(signal = 'SIGTERM') {
  for (const child of live) {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

/** Removes the scratch folder of GNU time's reports. */
export function cleanScratch() {
  rmSync(scratch, { recursive: true, force: true });
}

let seq = 0;

/**
 * Runs `command args` once under GNU time: wall time (ms), peak RSS (bytes), exit code, and
 * the start of stdout and the end of stderr (for ids and error messages).
 */
export function measure(command, args, { env = process.env, cwd, timeoutMs = 20 * 60_000 } = {}) {
  seq += 1;
  const report = join(scratch, `time-${seq}.txt`);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = track(
      spawn(TIME, ['-f', '%e %M', '-o', report, command, ...args], {
        env,
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      if (stdout.length < 1 << 20) stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-8192);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      let rssBytes = Number.NaN;
      try {
        const text = readFileSync(report, 'utf8').trim().split('\n').at(-1) ?? '';
        rssBytes = Number(text.split(' ')[1]) * 1024;
        rmSync(report, { force: true });
      } catch {
        // No report: the command could not be started.
      }
      resolve({ wallMs, rssBytes, code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Runs a command `runs` times (with `before` run untimed ahead of each, e.g. to remove an
 * output) and summarises: median wall, max peak RSS. Throws with the command's stderr when a
 * run fails, unless `allowFail`.
 */
export async function repeat(label, runs, command, args, options = {}) {
  const samples = [];
  for (let i = 0; i < runs; i += 1) {
    await options.before?.();
    const sample = await measure(command, args, options);
    if (sample.code !== 0) {
      throw new Error(`${label}: exit ${sample.code}\n${sample.stderr.trim()}`);
    }
    await options.after?.(sample);
    samples.push(sample);
    options.log?.(
      `  ${label} run ${i + 1}/${runs}: ${(sample.wallMs / 1000).toFixed(2)} s, ${(sample.rssBytes / 1e6).toFixed(0)} MB`,
    );
  }
  return summarise(samples);
}

/** Median wall and max peak RSS of some samples. */
export function summarise(samples) {
  return {
    runs: samples.length,
    wallMs: median(samples.map((s) => s.wallMs)),
    minWallMs: Math.min(...samples.map((s) => s.wallMs)),
    maxWallMs: Math.max(...samples.map((s) => s.wallMs)),
    rssBytes: Math.max(...samples.map((s) => s.rssBytes)),
    last: samples.at(-1),
  };
}

/**
 * Runs several variants `runs` times each, taking turns run by run (A B C, A B C…), so that
 * load from elsewhere on a shared machine falls on every variant alike. Each variant is
 * `{ label, command, args, options }` as for {@link repeat}; returns one summary per variant.
 */
export async function interleave(runs, variants, log) {
  const samples = variants.map(() => []);
  for (let i = 0; i < runs; i += 1) {
    for (const [k, v] of variants.entries()) {
      const options = v.options ?? {};
      await options.before?.();
      const sample = await measure(v.command, v.args, options);
      if (sample.code !== 0) throw new Error(`${v.label}: exit ${sample.code}\n${sample.stderr.trim()}`);
      await options.after?.(sample);
      samples[k].push(sample);
      log?.(
        `  ${v.label} run ${i + 1}/${runs}: ${(sample.wallMs / 1000).toFixed(2)} s, ${(sample.rssBytes / 1e6).toFixed(0)} MB`,
      );
    }
  }
  return samples.map(summarise);
}
