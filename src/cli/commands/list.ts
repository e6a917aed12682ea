import { listBatches } from '../../core/api/batches.js';
import type { MessageBatch } from '../../core/api/types.js';
import type { Context } from '../context.js';
import { count } from '../format.js';
import { println } from '../io.js';
import type { OptionsOf } from '../options.js';
import type { LIST_OPTIONS } from '../register-batches.js';
import { batchTable } from '../render-batch.js';

type Options = OptionsOf<typeof LIST_OPTIONS>;

/** `list`: newest first; `--limit` caps the rows, `--all` walks every page. */
export async function run(ctx: Context, _args: string[], options: Options) {
  const client = await ctx.client();
  const { batches, hasMore } = await listBatches(client, {
    limit: options.limit,
    all: options.all === true,
    signal: ctx.io.signal,
  });
  const more = `Showing the ${count(batches.length, 'newest batch', 'newest batches')}; use --limit N or --all for more.`;
  if (options.json) {
    println(ctx.io.stdout, JSON.stringify(batches, null, 2));
    // The JSON is the page asked for; that there is more is said where people look.
    if (hasMore) println(ctx.io.stderr, more);
    return 0;
  }
  if (batches.length === 0) {
    println(ctx.io.stderr, 'No batches.');
    return 0;
  }
  println(ctx.io.stdout, options.wide ? wideTable(batches) : narrowTable(batches));
  if (hasMore) println(ctx.io.stderr, more);
  return 0;
}

/** Within 100 columns: the id, status, requests, succeeded, failed (errored + canceled + expired), created. */
function narrowTable(batches: MessageBatch[]): string {
  return batchTable(batches, ['id', 'status', 'requests', 'succeeded', 'failed', 'created']);
}

/** `--wide`: every count apart, and when the batch ended. */
function wideTable(batches: MessageBatch[]): string {
  return batchTable(batches, [
    'id',
    'status',
    'total',
    'processing',
    'succeeded',
    'errored',
    'canceled',
    'expired',
    'created',
    'ended',
  ]);
}
