import { InterruptedError } from '../core/errors.js';
import { removeTempFilesSync } from '../core/fs/atomic-file.js';
import { releaseLocksSync } from '../core/job/lock.js';
import { ExitCode } from './exit-codes.js';
import { processIo } from './io.js';
import { main } from './main.js';

/**
 * The process entry: turns SIGINT/SIGTERM into an abort that commands observe (so they clean up
 * and exit 130), and a second signal into an immediate exit after removing temporary files.
 */
export async function runProcess(argv: string[]): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      removeTempFilesSync();
      releaseLocksSync();
      process.exit(ExitCode.INTERRUPTED);
    }
    controller.abort(new InterruptedError(`Interrupted (${signal})`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', removeTempFilesSync);
  process.on('exit', releaseLocksSync);
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    // A closed pipe (`| head`) is not a failure of ours.
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  process.exitCode = await main(argv, processIo(controller.signal));
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}
