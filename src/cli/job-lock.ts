import { type LockOptions, withJobLock } from '../core/job/lock.js';
import type { Context } from './context.js';
import { println } from './io.js';

/**
 * Runs `work` holding the job's lock (see src/core/job/lock.ts): another process working on the
 * job is named (exit 2), or waited for with `--wait`; notes go to stderr.
 */
export function holdingJob<T>(
  ctx: Context,
  dir: string,
  command: string,
  wait: boolean | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const options: LockOptions = {
    command,
    wait: wait === true,
    signal: ctx.io.signal,
    onNotice: (message) => println(ctx.io.stderr, `note: ${message}`),
  };
  return withJobLock(dir, options, work);
}
