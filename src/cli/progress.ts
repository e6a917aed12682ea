import type { Io } from './io.js';

/** A status line on stderr while something slow runs: an ora spinner on a terminal, nothing elsewhere. */
export interface Progress {
  update(text: string): void;
  stop(): void;
  /** Starts the spinner again after a stop (to print lines between updates). */
  start?(): void;
}

const silent: Progress = { update() {}, stop() {} };

/** Starts a spinner on stderr if it is a terminal (and output is not JSON); otherwise a silent stand-in. */
export async function startProgress(
  io: Io,
  text: string,
  options: { json?: boolean } = {},
): Promise<Progress> {
  if (!io.stderrIsTTY || options.json) return silent;
  const { default: ora } = await import('ora');
  const spinner = ora({
    text,
    stream: io.stderr as NodeJS.WritableStream,
    color: io.env.NO_COLOR === undefined ? 'cyan' : false,
    discardStdin: false,
  }).start();
  return {
    update: (t) => {
      spinner.text = t;
    },
    stop: () => spinner.stop(),
    start: () => {
      spinner.start();
    },
  };
}
