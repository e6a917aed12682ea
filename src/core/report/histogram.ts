/** Histograms (token counts, numeric output fields) and cutting text, for the report's figures. */

/** Bars in a histogram, at most. */
export const HISTOGRAM_BINS = 20;

/** One bar of a histogram: values in [from, to). */
export interface Bin {
  from: number;
  to: number;
  count: number;
}

/** A histogram of some numbers (token counts, an output field's values). */
export interface Histogram {
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  bins: Bin[];
}

/**
 * A round bin width (1, 2 or 5 × 10^k) that covers `span` in at most `bins` bins; at least 1
 * unless `smallest` allows less (values that are not whole numbers).
 */
export function binWidth(span: number, bins = HISTOGRAM_BINS, smallest = 1): number {
  const raw = Math.max(smallest, span / bins);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= raw) return step * power;
  }
  return 10 * power;
}

/**
 * The histogram of some values: round-width bins from the lowest to the highest, and percentiles.
 * Whole numbers get bins of whole widths; with `continuous`, values that are not all whole
 * numbers (scores from 0 to 1) get finer bins.
 */
export function histogram(values: ArrayLike<number>, options: { continuous?: boolean } = {}): Histogram {
  const sorted = Float64Array.from(values).sort();
  const count = sorted.length;
  if (count === 0) return { count: 0, min: null, max: null, mean: null, p50: null, p90: null, bins: [] };
  const min = sorted[0] as number;
  const max = sorted[count - 1] as number;
  let sum = 0;
  let whole = true;
  for (const v of sorted) {
    sum += v;
    if (whole && !Number.isInteger(v)) whole = false;
  }
  // Nearest rank: the smallest value with at least p of the values at or below it.
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * count) - 1)] as number;
  const fine = options.continuous === true && !whole && max > min;
  const width = fine ? binWidth(max - min, HISTOGRAM_BINS, 1e-9) : binWidth(max - min + 1);
  const start = Math.floor(min / width) * width;
  // Bins by index (no running sum, so no drift with fractional widths).
  const last = Math.floor((max - start) / width + 1e-9);
  const bins: Bin[] = [];
  const edge = (i: number) => (fine ? Number((start + i * width).toPrecision(12)) : start + i * width);
  for (let i = 0; i <= last; i += 1) bins.push({ from: edge(i), to: edge(i + 1), count: 0 });
  for (const v of sorted) {
    const at = Math.min(last, Math.max(0, Math.floor((v - start) / width + 1e-9)));
    (bins[at] as Bin).count += 1;
  }
  return { count, min, max, mean: sum / count, p50: rank(0.5), p90: rank(0.9), bins };
}

/** A text cut at `limit` characters (never inside a surrogate pair); undefined limit: whole. */
export function cut(text: string, limit: number | undefined): string {
  if (limit === undefined || text.length <= limit) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(limit - 1)) ? limit - 1 : limit;
  return text.slice(0, end);
}
