/** A spending limit checked before anything is sent. */
import { CliError } from '../errors.js';
import { usd } from './cost.js';
import type { Estimate } from './estimate.js';

/**
 * Refuses (a `usage` error) when an estimate's ceiling is over `maxCost` USD, or cannot be known
 * because a model has no price. Nothing is refused when there is no limit.
 */
export function checkBudget(estimate: Estimate, maxCost: number | undefined): void {
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
