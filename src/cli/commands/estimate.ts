import { usd } from '../../core/cost/cost.js';
import { type Estimate, estimateCost } from '../../core/cost/estimate.js';
import { loadPrices } from '../../core/cost/prices.js';
import { CliError } from '../../core/errors.js';
import { assertReadableFile, openSource, validateRequests } from '../../core/requests/file.js';
import type { Context } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { n, table } from '../format.js';
import { println } from '../io.js';

interface Options {
  exactSample?: number;
  prices?: string;
  json?: boolean;
}

/** The estimate as a table (stdout) — shared by `estimate`, `submit --dry-run` and `run --dry-run`. */
export function estimateText(e: Estimate): string {
  const rows = e.models.map((m) => [
    m.model,
    n(m.requests),
    `${n(m.inputTokens)}${m.inputMethod === 'heuristic' ? ' (≈ chars/4)' : ' (count_tokens)'}`,
    n(m.maxOutputTokens),
    m.price ? `${usd(m.costMin)} – ${usd(m.costMax)}` : 'unknown',
    m.price ? `${usd((m.costMin ?? 0) * 2)} – ${usd((m.costMax ?? 0) * 2)}` : 'unknown',
  ]);
  const lines = [
    table(['MODEL', 'REQUESTS', 'INPUT TOKENS', 'MAX OUTPUT', 'BATCH COST', 'AT STANDARD PRICES'], rows),
    e.unknownModels.length === e.models.length
      ? 'Total at batch prices: unknown (no price for any model here)'
      : `Total at batch prices: ${usd(e.costMin)} – ${usd(e.costMax)}${e.unknownModels.length ? ' for the priced models; the others are unknown' : ''} (the ceiling assumes every request uses its max_tokens)`,
  ];
  if (e.unknownModels.length)
    lines.push(`No price for: ${e.unknownModels.join(', ')} (cost unknown; add it with --prices FILE)`);
  lines.push(`Prices: ${e.prices.source}, taken ${e.prices.taken}; batch = 50% of standard.`);
  return lines.join('\n');
}

/** Refuses (exit 2) when an estimate's ceiling is over `maxCost`, or cannot be known. */
export function checkMaxCost(estimate: Estimate, maxCost: number | undefined): void {
  if (maxCost === undefined) return;
  if (estimate.unknownModels.length > 0) {
    throw new CliError(`Cannot check --max-cost: no price for ${estimate.unknownModels.join(', ')}`, {
      kind: 'usage',
      hint: 'add the model to a price file (--prices FILE), or drop --max-cost',
    });
  }
  if (estimate.costMax > maxCost) {
    throw new CliError(
      `The estimated ceiling ${usd(estimate.costMax)} is over --max-cost ${usd(maxCost)}; nothing was sent`,
      { kind: 'usage', hint: 'lower max_tokens, use a smaller model, or raise --max-cost' },
    );
  }
}

/** The `--prices` file: the option, else $CLAUDE_BATCH_PRICES. */
export function pricesPath(ctx: Context, option: string | undefined): string | undefined {
  return option ?? ctx.io.env.CLAUDE_BATCH_PRICES;
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
