import { usd } from '../core/cost/cost.js';
import type { Estimate } from '../core/cost/estimate.js';
import { n, table } from './format.js';

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
