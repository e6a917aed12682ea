import { cancelBatch } from '../../core/api/batches.js';
import type { Context } from '../context.js';
import { println } from '../io.js';
import type { OptionsOf } from '../options.js';
import type { CANCEL_OPTIONS } from '../register-batches.js';
import { countsLine } from '../render-batch.js';

type Options = OptionsOf<typeof CANCEL_OPTIONS>;

/** `cancel ID`: starts the cancel and prints the batch's new status. */
export async function run(ctx: Context, [id]: string[], options: Options) {
  const batch = await cancelBatch(await ctx.client(), id as string, { signal: ctx.io.signal });
  if (options.json) {
    println(ctx.io.stdout, JSON.stringify(batch, null, 2));
    return 0;
  }
  println(ctx.io.stdout, `${batch.id} ${batch.processing_status}`);
  println(ctx.io.stderr, `Requests: ${countsLine(batch)}`);
  if (batch.processing_status !== 'ended') {
    println(
      ctx.io.stderr,
      `Requests already done keep their results; the rest end as canceled. Watch: claude-batch monitor ${batch.id}`,
    );
  }
  return 0;
}
