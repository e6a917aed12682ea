import type { Context } from '../context.js';
import { type WatchOptions, watchBatches } from '../watch.js';

/** `monitor ID...`: polls until every batch has ended, then summarises and optionally downloads. */
export async function run(ctx: Context, ids: string[], options: WatchOptions) {
  return watchBatches(ctx, ids, options);
}
