import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Env } from '../../src/core/api/client.js';
import type { RunResult } from './cli.js';

/** The built binary (run `npm run build` first; `npm test` does). */
export const BIN = fileURLToPath(new URL('../../bin/claude-batch.js', import.meta.url));

/** A running instance of the built binary: its output so far, a way to signal it, and its end. */
export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited (killed with SIGKILL after `timeoutMs`). */
  done: Promise<RunResult>;
}

/** Spawns the built binary without waiting for it; stdin stays open unless `input` is given. */
export function spawnBin(
  argv: string[],
  options: { env?: Env; cwd?: string; input?: string | Buffer; timeoutMs?: number } = {},
): Spawned {
  const child = spawn(process.execPath, [BIN, ...argv], {
    // The registry is the tests' own (test/setup/registry-home.ts) unless a test names one.
    env: {
      PATH: process.env.PATH,
      CLAUDE_BATCH_HOME: process.env.CLAUDE_BATCH_HOME,
      ...options.env,
    } as NodeJS.ProcessEnv,
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  if (options.input !== undefined) child.stdin.end(options.input);
  const stdout = () => Buffer.concat(out).toString('utf8');
  const stderr = () => Buffer.concat(err).toString('utf8');
  const done = new Promise<RunResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: stdout(), stderr: stderr() });
    });
  });
  return { child, stdout, stderr, done };
}

/** Spawns the built binary with `input` on stdin (closed after it) and waits for it to exit. */
export function runBin(
  argv: string[],
  options: { env?: Env; input?: string | Buffer; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return spawnBin(argv, { ...options, input: options.input ?? '', timeoutMs: options.timeoutMs ?? 30_000 })
    .done;
}
