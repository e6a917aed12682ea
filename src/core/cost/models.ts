import { DEFAULT_MODEL } from '../builder/request-shape.js';
import { nearest } from '../closest.js';
import { BUILT_IN_PRICES, type PriceTable, priceOf } from './prices.js';

/**
 * Model names the API knows: the SDK's `Model` type (a test keeps this list in step with it) and
 * the built-in price table. A name outside this list (and outside a user's price file) is warned
 * about, with the closest known name.
 */
export const KNOWN_MODELS: readonly string[] = [
  ...new Set([
    'claude-haiku-4-5',
    'claude-haiku-4-5-20251001',
    'claude-sonnet-4-6',
    'claude-opus-4-6',
    'claude-opus-4-7',
    'claude-opus-4-8',
    'claude-opus-4-5',
    'claude-opus-4-5-20251101',
    'claude-sonnet-4-5',
    'claude-sonnet-4-5-20250929',
    'claude-haiku-5-5',
    'claude-sonnet-5-5',
    'claude-opus-5-5',
    'claude-sonnet-5',
    'claude-opus-5',
    'claude-fable-5',
    'claude-fable-5-1',
    'claude-fable-5-2',
    'claude-mythos-5',
    'claude-mythos-5-1',
    'claude-mythos-5-2',
    'claude-mythos-preview',
    ...Object.keys(BUILT_IN_PRICES.models),
  ]),
];

const withoutDate = (model: string) => model.replace(/-\d{8}$/, '');

/** Whether a model name is known: listed, priced in `prices`, or one of those with a `-YYYYMMDD` date. */
export function isKnownModel(model: string, prices: PriceTable = BUILT_IN_PRICES): boolean {
  return (
    KNOWN_MODELS.includes(model) ||
    KNOWN_MODELS.includes(withoutDate(model)) ||
    priceOf(prices, model) !== undefined
  );
}

const FAMILIES = ['haiku', 'sonnet', 'opus', 'fable', 'mythos'];

/**
 * The known model name closest to a misspelt one (`claude-hiaku-4-5` → `claude-haiku-4-5`): by
 * edit distance, among the names of the same family when it names one. A name close to none
 * (`gpt-4o`) gets the default model.
 */
export function closestModel(model: string, prices: PriceTable = BUILT_IN_PRICES): string {
  const lower = model.toLowerCase();
  const family = FAMILIES.find((f) => lower.includes(f));
  const names = [...new Set([...KNOWN_MODELS, ...Object.keys(prices.models)])];
  const best = nearest(lower, family ? names.filter((n) => n.includes(family)) : names);
  if (best && (family || best.distance <= Math.max(2, Math.floor(model.length / 3)))) return best.name;
  return DEFAULT_MODEL;
}

/**
 * Warnings about the models of some requests, before money is spent: a name the API does not
 * know (with the closest known one), or a known model without a price (its cost cannot be told).
 */
export function modelWarnings(models: Iterable<string>, prices: PriceTable = BUILT_IN_PRICES): string[] {
  const warnings: string[] = [];
  for (const model of models) {
    if (!isKnownModel(model, prices)) {
      const near = closestModel(model, prices);
      warnings.push(
        `model ${JSON.stringify(model)} is not a known model name (did you mean ${near}?): the API refuses requests for a model it does not know`,
      );
    } else if (priceOf(prices, model) === undefined) {
      warnings.push(
        `no known price for ${model}: its cost cannot be estimated (add it with a price file: --prices FILE or $CLAUDE_BATCH_PRICES)`,
      );
    }
  }
  return warnings;
}
