import {
  CACHE_MULTIPLIERS,
  type ModelPrice,
  type PriceTable,
  priceOf,
  STANDARD_MULTIPLIER,
} from './prices.js';

/** Tokens used by one model's requests, split the way they are billed. */
export interface TokenUse {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
}

/** An empty TokenUse. */
export function noTokens(): TokenUse {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 };
}

/** Token use by model, added up over several result sets (e.g. the batches of one watch). */
export function addTokenUse(
  into: Record<string, TokenUse>,
  add: Record<string, TokenUse>,
): Record<string, TokenUse> {
  for (const [model, use] of Object.entries(add)) {
    const sum = into[model] ?? noTokens();
    into[model] = sum;
    sum.input += use.input;
    sum.output += use.output;
    sum.cacheRead += use.cacheRead;
    sum.cacheWrite5m += use.cacheWrite5m;
    sum.cacheWrite1h += use.cacheWrite1h;
  }
  return into;
}

/** What tokens cost at batch prices, in USD (cache reads 0.1×, 5-minute writes 1.25×, 1-hour writes 2× the input price). */
export function batchCost(use: TokenUse, price: ModelPrice): number {
  const perToken = (usdPerMillion: number) => usdPerMillion / 1_000_000;
  return (
    use.input * perToken(price.input) +
    use.cacheRead * perToken(price.input * CACHE_MULTIPLIERS.read) +
    use.cacheWrite5m * perToken(price.input * CACHE_MULTIPLIERS.write5m) +
    use.cacheWrite1h * perToken(price.input * CACHE_MULTIPLIERS.write1h) +
    use.output * perToken(price.output)
  );
}

/** The same work at standard (non-batch) prices. */
export function standardCost(use: TokenUse, price: ModelPrice): number {
  return batchCost(use, price) * STANDARD_MULTIPLIER;
}

/** Three significant digits under a dollar (`$0.0153`), cents above (`$12.35`); `unknown` when the price is not known. */
export function usd(amount: number | undefined): string {
  if (amount === undefined) return 'unknown';
  if (amount === 0) return '$0.00';
  if (amount < 0.000001) return '<$0.000001';
  if (amount < 1) return `$${Number(amount.toPrecision(3))}`;
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** What the billed tokens of a results summary cost, per model and in all, at batch and standard prices. */
export interface ActualCost {
  models: Array<{ model: string; use: TokenUse; batch: number | undefined; standard: number | undefined }>;
  /** Totals over the models with a known price. */
  batch: number;
  standard: number;
  unknownModels: string[];
}

/** Prices the token use of each model; unknown models are listed, never guessed. */
export function actualCost(byModel: Record<string, TokenUse>, table: PriceTable): ActualCost {
  const models = Object.entries(byModel).map(([model, use]) => {
    const price = priceOf(table, model);
    return {
      model,
      use,
      batch: price ? batchCost(use, price) : undefined,
      standard: price ? standardCost(use, price) : undefined,
    };
  });
  return {
    models,
    batch: models.reduce((s, m) => s + (m.batch ?? 0), 0),
    standard: models.reduce((s, m) => s + (m.standard ?? 0), 0),
    unknownModels: models.filter((m) => m.batch === undefined).map((m) => m.model),
  };
}
