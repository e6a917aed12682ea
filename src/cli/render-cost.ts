import { actualCost, usd } from '../core/cost/cost.js';
import type { PriceTable } from '../core/cost/prices.js';
import type { ResultsSummary } from '../core/results/summary.js';

/** The cost lines of a results summary: what the usage cost at batch prices, and at standard ones. */
export function costText(summary: Pick<ResultsSummary, 'byModel'>, prices: PriceTable): string {
  const cost = actualCost(summary.byModel, prices);
  if (cost.models.length === 0) return 'Cost: $0.00 (nothing billed: only succeeded requests are)';
  const saved = cost.standard - cost.batch;
  const lines = [
    `Cost: ${usd(cost.batch)} at batch prices (${usd(cost.standard)} at standard prices; saved ${usd(saved)})`,
  ];
  if (cost.models.length > 1 || cost.unknownModels.length > 0) {
    for (const m of cost.models) lines.push(`  ${m.model}: ${usd(m.batch)}`);
  }
  if (cost.unknownModels.length > 0)
    lines.push(`  (no price for ${cost.unknownModels.join(', ')}: not counted)`);
  lines.push(`  prices: ${prices.source}, taken ${prices.taken}`);
  return lines.join('\n');
}

/** The cost of a results summary as JSON fields (for `--json` summaries): USD, null when unknown. */
export function costRecord(summary: Pick<ResultsSummary, 'byModel'>, prices: PriceTable) {
  const cost = actualCost(summary.byModel, prices);
  return {
    batch_usd: cost.batch,
    standard_usd: cost.standard,
    by_model: Object.fromEntries(cost.models.map((m) => [m.model, m.batch ?? null])),
    unknown_models: cost.unknownModels,
    prices: { source: prices.source, taken: prices.taken },
  };
}
