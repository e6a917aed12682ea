import { estimateRequestFile } from '../../core/cost/estimate-file.js';
import { loadPrices } from '../../core/cost/prices.js';
import type { Context } from '../context.js';
import { println } from '../io.js';
import type { OptionsOf } from '../options.js';
import { pricesPath } from '../prices.js';
import type { ESTIMATE_OPTIONS } from '../register-jobs.js';
import { estimateText } from '../render-estimate.js';

type Options = OptionsOf<typeof ESTIMATE_OPTIONS>;

/** `estimate FILE|-`: requests, input tokens, the output ceiling and the cost range per model. */
export async function run(ctx: Context, [file]: string[], options: Options) {
  const prices = await loadPrices(pricesPath(ctx, options.prices));
  const source = file === '-' ? { stream: ctx.io.stdin, name: 'stdin' } : { path: file as string };
  const client = options.exactSample ? await ctx.client() : undefined;
  const estimate = await estimateRequestFile(source, prices, {
    client,
    exactSample: options.exactSample,
    signal: ctx.io.signal,
    strict: options.strict,
    onWarning: (warning) => println(ctx.io.stderr, `warning: ${warning}`),
  });
  println(ctx.io.stdout, options.json ? JSON.stringify(estimate, null, 2) : estimateText(estimate));
  return 0;
}
