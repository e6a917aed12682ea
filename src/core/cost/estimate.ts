import type { BatchClient } from '../api/client.js';
import { callApi } from '../api/errors.js';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';
import { openSource, type RequestFileStats } from '../requests/file.js';
import type { BatchRequest } from '../requests/schema.js';
import { batchCost, noTokens } from './cost.js';
import { type PriceTable, priceOf } from './prices.js';
import { requestTokens } from './tokens.js';

/** The cost outlook of one model's requests. */
export interface ModelEstimate {
  model: string;
  requests: number;
  inputTokens: number;
  /** `heuristic` (characters ÷ 4) or `count_tokens` (scaled from an exact count of a sample). */
  inputMethod: 'heuristic' | 'count_tokens';
  /** The most output the requests can produce: the sum of their max_tokens. */
  maxOutputTokens: number;
  /** Batch cost with no output (the floor) and with every max_tokens used (the ceiling); undefined when the price is unknown. */
  costMin: number | undefined;
  costMax: number | undefined;
  /** Batch prices used, per million tokens. */
  price: { input: number; output: number } | undefined;
}

/** The cost outlook of a request file. */
export interface Estimate {
  requests: number;
  models: ModelEstimate[];
  /** Totals over models with a known price; `unknownModels` lists the others. */
  costMin: number;
  costMax: number;
  unknownModels: string[];
  prices: { source: string; taken: string };
}

const COUNTABLE = ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking'] as const;

/** Exact input tokens per model for an evenly spread sample of requests, as a ratio to the heuristic. */
async function sampleRatios(
  client: BatchClient,
  path: string,
  total: number,
  sample: number,
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const step = Math.max(1, Math.floor(total / sample));
  const sums = new Map<string, { exact: number; heuristic: number }>();
  let index = 0;
  let taken = 0;
  for await (const { bytes } of readLines(openSource(path))) {
    if (isBlank(bytes)) continue;
    const pick = index % step === 0 && taken < sample;
    index += 1;
    if (!pick) continue;
    taken += 1;
    const request = JSON.parse(decodeUtf8(bytes) ?? '') as BatchRequest;
    const body: Record<string, unknown> = {};
    for (const key of COUNTABLE) if (request.params[key] !== undefined) body[key] = request.params[key];
    const answer = await callApi({ baseUrl: client.baseUrl }, () =>
      client.sdk.messages.countTokens(body as never, { signal }),
    );
    const s = sums.get(request.params.model) ?? { exact: 0, heuristic: 0 };
    s.exact += answer.input_tokens;
    s.heuristic += requestTokens(request.params);
    sums.set(request.params.model, s);
  }
  return new Map([...sums].map(([model, s]) => [model, s.heuristic === 0 ? 1 : s.exact / s.heuristic]));
}

/**
 * Estimates what a valid request file will cost at batch prices: input tokens by a stated
 * heuristic (or scaled from `count_tokens` on a sample), the output ceiling from max_tokens, and
 * the range between. Models without a known price are listed as unknown, never guessed.
 */
export async function estimateCost(
  stats: RequestFileStats,
  prices: PriceTable,
  options: { client?: BatchClient; path?: string; exactSample?: number; signal?: AbortSignal } = {},
): Promise<Estimate> {
  const ratios =
    options.client && options.path && options.exactSample
      ? await sampleRatios(options.client, options.path, stats.requests, options.exactSample, options.signal)
      : new Map<string, number>();
  const models: ModelEstimate[] = Object.entries(stats.byModel).map(([model, m]) => {
    const ratio = ratios.get(model);
    const inputTokens = Math.round(m.inputTokens * (ratio ?? 1));
    const price = priceOf(prices, model);
    const floor = { ...noTokens(), input: inputTokens };
    return {
      model,
      requests: m.requests,
      inputTokens,
      inputMethod: ratio === undefined ? 'heuristic' : 'count_tokens',
      maxOutputTokens: m.maxTokens,
      costMin: price ? batchCost(floor, price) : undefined,
      costMax: price ? batchCost({ ...floor, output: m.maxTokens }, price) : undefined,
      price,
    };
  });
  const known = models.filter((m) => m.price);
  return {
    requests: stats.requests,
    models,
    costMin: known.reduce((s, m) => s + (m.costMin ?? 0), 0),
    costMax: known.reduce((s, m) => s + (m.costMax ?? 0), 0),
    unknownModels: models.filter((m) => !m.price).map((m) => m.model),
    prices: { source: prices.source, taken: prices.taken },
  };
}
