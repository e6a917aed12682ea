import { deleteBatch } from '../../core/api/batches.js';
import type { Context } from '../context.js';
import { println } from '../io.js';
import type { OptionsOf } from '../options.js';
import type { DELETE_OPTIONS } from '../register-batches.js';

type Options = OptionsOf<typeof DELETE_OPTIONS>;

/** `delete ID`: deletes an ended batch (refuses one still processing, with the cancel command). */
export async function run(ctx: Context, [id]: string[], options: Options) {
  const deleted = await deleteBatch(await ctx.client(), id as string, { signal: ctx.io.signal });
  const registry = ctx.registry();
  // The registry keeps its entry, marked: what it was made from stays known.
  if (registry.batch(deleted.id))
    registry.append({ event: 'deleted', id: deleted.id, at: new Date().toISOString() });
  println(ctx.io.stdout, options.json ? JSON.stringify(deleted, null, 2) : `${deleted.id} deleted`);
  return 0;
}
