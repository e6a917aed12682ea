import type { Context } from './context.js';

/** The `--prices` file: the option, else $CLAUDE_BATCH_PRICES. */
export function pricesPath(ctx: Context, option: string | undefined): string | undefined {
  return option ?? ctx.io.env.CLAUDE_BATCH_PRICES;
}
