import { getBatch } from '../../core/api/batches.js';
import type { MessageBatch } from '../../core/api/types.js';
import type { Context } from '../context.js';
import { println } from '../io.js';
import { describeBatch } from '../render-batch.js';

/** `status ID...`: one block per batch, or the MessageBatch JSON (an array for several ids). */
export async function run(ctx: Context, ids: string[], options: { json?: boolean }) {
  const client = await ctx.client();
  const batches: MessageBatch[] = [];
  for (const id of ids) batches.push(await getBatch(client, id, { signal: ctx.io.signal }));
  if (options.json) {
    println(ctx.io.stdout, JSON.stringify(batches.length === 1 ? batches[0] : batches, null, 2));
  } else {
    println(ctx.io.stdout, batches.map((b) => describeBatch(b, ctx.now())).join('\n\n'));
  }
  return 0;
}
