import { estimateCost } from '../../core/cost/estimate.js';
import { loadPrices } from '../../core/cost/prices.js';
import { assertReadableFile, openSource, validateRequests } from '../../core/requests/file.js';
import type { Context } from '../context.js';
import { println } from '../io.js';
import { pricesPath } from '../prices.js';
import { estimateText } from '../render-estimate.js';

interface Options {
  exactSample?: number;
  prices?: string;
  json?: boolean;
}

/** `estimate FILE`: requests, input tokens, the output ceiling and the cost range per model. */
export async function run(ctx: Context, [file]: string[], options: Options) {
  const prices = await loadPrices(pricesPath(ctx, options.prices));
  const path = file as string;
  await assertReadableFile(path);
  const stats = await validateRequests(openSource(path), {
    file: path,
    maxRequests: Number.POSITIVE_INFINITY,
    maxBytes: Number.POSITIVE_INFINITY,
  });
  const client = options.exactSample ? await ctx.client() : undefined;
  const estimate = await estimateCost(stats, prices, {
    ...(client ? { client, path, exactSample: options.exactSample } : {}),
    signal: ctx.io.signal,
  });
  println(ctx.io.stdout, options.json ? JSON.stringify(estimate, null, 2) : estimateText(estimate));
  return 0;
}
