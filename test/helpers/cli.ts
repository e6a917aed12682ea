import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { Env } from '../../src/core/api/client.js';

/** What a run of the CLI produced, each stream kept apart. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

/** Runs `main()` in-process with captured stdout/stderr and the given environment. */
export async function runCli(
  argv: string[],
  options: { env?: Env; stdin?: string | Buffer; cwd?: string; tty?: boolean; signal?: AbortSignal } = {},
): Promise<RunResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const code = await main(argv, {
    stdout,
    stderr,
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    // The registry is the tests' own (test/setup/registry-home.ts) unless a test names one.
    env: { CLAUDE_BATCH_HOME: process.env.CLAUDE_BATCH_HOME, ...options.env },
    cwd: options.cwd ?? process.cwd(),
    stderrIsTTY: options.tty ?? false,
    signal: options.signal ?? new AbortController().signal,
  });
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: out(), stderr: err() };
}

export { BIN, runBin } from './spawn.js';
