import type { Context } from '../context.js';
import type { OptionsOf } from '../options.js';
import type { MONITOR_OPTIONS } from '../register-monitor.js';
import { watchBatches } from '../watch.js';

type Options = OptionsOf<typeof MONITOR_OPTIONS>;

/** `monitor ID...`: polls until every batch has ended, then summarises and optionally downloads. */
export async function run(ctx: Context, ids: string[], options: Options) {
  return watchBatches(ctx, ids, options);
}
