import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { UsageError } from '../errors.js';

/** Batch prices of one model, in USD per million tokens (batch = 50% of the standard price). */
export interface ModelPrice {
  input: number;
  output: number;
}

/** A price table: where it came from, when it was taken, and the prices by model id. */
export interface PriceTable {
  source: string;
  taken: string;
  models: Record<string, ModelPrice>;
}

/** Multipliers of the input price for prompt caching. */
export const CACHE_MULTIPLIERS = { read: 0.1, write5m: 1.25, write1h: 2 } as const;

/** Standard (non-batch) prices are twice the batch prices. */
export const STANDARD_MULTIPLIER = 2;

/** The built-in table: batch prices from the public model pages. Prices change: override with a file. */
export const BUILT_IN_PRICES: PriceTable = {
  source: 'built-in (public model pages)',
  taken: '2026-11-20',
  models: {
    'claude-opus-5-5': { input: 2.0, output: 10.0 },
    'claude-sonnet-5-5': { input: 1.0, output: 5.0 },
    'claude-haiku-5-5': { input: 0.05, output: 0.25 },
    'claude-fable-5-1': { input: 5.0, output: 25.0 },
    'claude-opus-5': { input: 2.5, output: 12.5 },
    'claude-opus-4-8': { input: 2.5, output: 12.5 },
    'claude-opus-4-6': { input: 2.5, output: 12.5 },
    'claude-sonnet-4-6': { input: 1.5, output: 7.5 },
    'claude-haiku-4-5': { input: 0.5, output: 2.5 },
  },
};

const PriceFileSchema = z.object({
  taken: z.string().min(1),
  models: z.record(
    z.string().min(1),
    z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }),
  ),
});

/**
 * Loads a user price file (JSON: `{"taken": "2026-12-01", "models": {"id": {"input": 1, "output": 5}}}`,
 * batch USD per million tokens) over the built-in table. Without a path, the built-in table.
 */
export async function loadPrices(path: string | undefined): Promise<PriceTable> {
  if (!path) return BUILT_IN_PRICES;
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `cannot read the price file ${path}: ${(error as Error).message}`,
      'give a JSON file; see README "Cost"',
    );
  }
  const parsed = PriceFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `${path}: ${issue?.path.join('.') || 'file'}: ${issue?.message ?? 'invalid'}`,
      'expected {"taken": "YYYY-MM-DD", "models": {"model-id": {"input": N, "output": N}}}',
    );
  }
  return {
    source: path,
    taken: parsed.data.taken,
    models: { ...BUILT_IN_PRICES.models, ...parsed.data.models },
  };
}

/**
 * The price of a model: its exact id, or its id without a `-YYYYMMDD` snapshot date. Anything
 * else is unknown (undefined): a price is never guessed.
 */
export function priceOf(table: PriceTable, model: string): ModelPrice | undefined {
  return table.models[model] ?? table.models[model.replace(/-\d{8}$/, '')];
}
