import { noTokens, type TokenUse } from '../cost/cost.js';
import type { ResultFacts } from './line.js';
import { type OutputCounts, OutputTally, type StructuredOutput } from './output.js';

/** Totals over a results file. */
export interface ResultsSummary {
  total: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
  /** Share of succeeded results among all, 0 to 1 (0 for an empty file). */
  successRate: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Billed tokens by model (succeeded results only: the others are not billed). */
  byModel: Record<string, TokenUse>;
  /** Errored results by error type. */
  errorTypes: Record<string, number>;
  /** The most common error messages, most frequent first (at most 5). */
  topErrors: Array<{ type: string; message: string; count: number }>;
  /** Structured answers (when the requests or --schema said what was asked): checked, and invalid. */
  outputs?: OutputCounts;
}

/** Accumulates a {@link ResultsSummary} one result at a time, in constant memory (errors capped). */
export class SummaryBuilder {
  private counts = { total: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  private tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  private errorTypes: Record<string, number> = {};
  private byModel: Record<string, TokenUse> = {};
  private messages = new Map<string, { type: string; message: string; count: number }>();
  private tally: OutputTally | undefined;

  /** Counts the structured answers too (see {@link addOutput}). */
  countOutputs(): this {
    this.tally ??= new OutputTally();
    return this;
  }

  /** Counts one result's structured answer (after {@link countOutputs}). */
  addOutput(f: ResultFacts, out: StructuredOutput | undefined): void {
    this.tally?.add(f, out);
  }

  add(f: ResultFacts): void {
    this.counts.total += 1;
    if (f.type === 'succeeded' || f.type === 'errored' || f.type === 'canceled' || f.type === 'expired') {
      this.counts[f.type] += 1;
    }
    this.tokens.input += f.input_tokens ?? 0;
    this.tokens.output += f.output_tokens ?? 0;
    this.tokens.cacheRead += f.cache_read_input_tokens ?? 0;
    this.tokens.cacheWrite += f.cache_creation_input_tokens ?? 0;
    if (f.type === 'succeeded' && f.model) {
      const use = this.byModel[f.model] ?? noTokens();
      const write = f.cache_creation_input_tokens ?? 0;
      const write1h = Math.min(write, f.cache_write_1h_tokens ?? 0);
      use.input += f.input_tokens ?? 0;
      use.output += f.output_tokens ?? 0;
      use.cacheRead += f.cache_read_input_tokens ?? 0;
      use.cacheWrite1h += write1h;
      use.cacheWrite5m += write - write1h;
      this.byModel[f.model] = use;
    }
    if (f.type === 'errored') {
      const type = f.error_type ?? 'unknown';
      this.errorTypes[type] = (this.errorTypes[type] ?? 0) + 1;
      const message = (f.error_message ?? '').slice(0, 200);
      const key = `${type}\u0000${message}`;
      const entry = this.messages.get(key);
      if (entry) entry.count += 1;
      else if (this.messages.size < 1000) this.messages.set(key, { type, message, count: 1 });
    }
  }

  build(): ResultsSummary {
    const c = this.counts;
    return {
      ...c,
      successRate: c.total === 0 ? 0 : c.succeeded / c.total,
      inputTokens: this.tokens.input,
      outputTokens: this.tokens.output,
      cacheReadTokens: this.tokens.cacheRead,
      cacheWriteTokens: this.tokens.cacheWrite,
      byModel: structuredClone(this.byModel),
      errorTypes: { ...this.errorTypes },
      topErrors: [...this.messages.values()].sort((a, b) => b.count - a.count).slice(0, 5),
      ...(this.tally ? { outputs: this.tally.build() } : {}),
    };
  }
}
