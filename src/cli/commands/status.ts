import { getBatch } from '../../core/api/batches.js';
import type { MessageBatch } from '../../core/api/types.js';
import { CliError } from '../../core/errors.js';
import { recordEnded } from '../../core/registry/record.js';
import type { Context } from '../context.js';
import { exitCodeFor } from '../exit-codes.js';
import { println } from '../io.js';
import type { OptionsOf } from '../options.js';
import type { STATUS_OPTIONS } from '../register-batches.js';
import { describeBatch, registryFields } from '../render-batch.js';
import { renderError } from '../render-error.js';

type Options = OptionsOf<typeof STATUS_OPTIONS>;

/**
 * `status ID...`: one block per batch, or the MessageBatch JSON (an array for several ids). An id
 * that is not found is reported on stderr while the others are still shown; the exit code is then
 * that failure's (3 for not found).
 */
export async function run(ctx: Context, ids: string[], options: Options) {
  const client = await ctx.client();
  const batches: MessageBatch[] = [];
  let failed: CliError | undefined;
  for (const id of ids) {
    try {
      batches.push(await getBatch(client, id, { signal: ctx.io.signal }));
    } catch (error) {
      // One id that is not there does not hide the others; anything else stops here.
      if (ids.length === 1 || !(error instanceof CliError) || error.kind !== 'not-found') throw error;
      failed ??= error;
      ctx.io.stderr.write(renderError(error, { verbose: false, secret: ctx.secret() }).text);
    }
  }
  const registry = ctx.registry();
  recordEnded(registry, batches);
  if (options.json) {
    const records = batches.map((b) => {
      const entry = registry.batch(b.id);
      return {
        ...b,
        ...registryFields(b, entry),
        downloaded_at: entry?.downloaded_at ?? null,
      };
    });
    println(ctx.io.stdout, JSON.stringify(ids.length === 1 ? records[0] : records, null, 2));
  } else if (batches.length > 0) {
    println(
      ctx.io.stdout,
      batches.map((b) => describeBatch(b, ctx.now(), registry.batch(b.id))).join('\n\n'),
    );
  }
  return failed ? exitCodeFor(failed.kind) : 0;
}
