import { deleteBatch } from '../../core/api/batches.js';
import type { Context } from '../context.js';
import { println } from '../io.js';

/** `delete ID`: deletes an ended batch (refuses one still processing, with the cancel command). */
export async function run(ctx: Context, [id]: string[], options: { json?: boolean }) {
  const deleted = await deleteBatch(await ctx.client(), id as string, { signal: ctx.io.signal });
  println(ctx.io.stdout, options.json ? JSON.stringify(deleted, null, 2) : `${deleted.id} deleted`);
  return 0;
}
