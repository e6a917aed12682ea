import type { Readable, Writable } from 'node:stream';
import type { Env } from '../core/api/client.js';

/** Everything a command may touch of the outside world; injected so tests run commands in-process. */
export interface Io {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: Env;
  cwd: string;
  /** True when stderr is a terminal: spinners and live displays only then. */
  stderrIsTTY: boolean;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
}

/** Builds an Io over the real process. */
export function processIo(signal: AbortSignal): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    signal,
  };
}

/** Writes a line (or several) to a stream. */
export function println(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}

/** Whether colour may be used on stderr (never with NO_COLOR, never off a terminal). */
export function useColor(io: Io): boolean {
  return io.stderrIsTTY && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
}
