import { UsageError } from '../../core/errors.js';
import type { Context } from '../context.js';
import { count } from '../format.js';
import { println } from '../io.js';
import type { OptionsOf } from '../options.js';
import type { FORGET_OPTIONS } from '../register-batches.js';

type Options = OptionsOf<typeof FORGET_OPTIONS>;

/** `forget ID...`: marks registry entries as forgotten (kept, not erased); sends nothing. */
export async function run(ctx: Context, ids: string[], options: Options) {
  const registry = ctx.registry();
  const unknown = ids.filter((id) => !registry.batch(id));
  if (unknown.length > 0) {
    throw new UsageError(
      `The registry (${registry.file}) has no ${count(unknown.length, 'batch', 'batches')} ${unknown.join(', ')}`,
      'forget takes ids of batches this tool created; see them with claude-batch list',
    );
  }
  const at = new Date().toISOString();
  const marked = ids.filter((id) => !registry.batch(id)?.forgotten_at);
  if (!registry.append(...marked.map((id) => ({ event: 'forgotten' as const, id, at })))) return 1;
  if (options.json) println(ctx.io.stdout, JSON.stringify({ forgotten: ids }));
  else for (const id of ids) println(ctx.io.stdout, `${id} forgotten`);
  println(
    ctx.io.stderr,
    `Marked ${count(ids.length, 'batch', 'batches')} as forgotten in ${registry.file} (kept, not erased).`,
  );
  return 0;
}
