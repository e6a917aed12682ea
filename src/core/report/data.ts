/**
 * What an HTML report holds: the figures of a results set, computed once here (the page only
 * draws them), and its rows in a compact form. Everything is accumulated one result at a time:
 * counts, cost, stop reasons and errors in constant memory (error groups capped), token counts
 * in 8 bytes a result (for the histograms' bins and percentiles), and the rows, which the page
 * needs, each answer cut at {@link ANSWER_LIMIT} characters unless the report is `full`.
 *
 * Structured outputs: when the report is told what was asked (results/output.ts), each result's
 * structured part is given to {@link ReportBuilder.add} too, and `outputs` summarises the answers
 * per output field (fields.ts: bounded, whatever the number of results).
 */
import { type ActualCost, actualCost, usd } from '../cost/cost.js';
import type { PriceTable } from '../cost/prices.js';
import { formatDuration } from '../duration.js';
import type { ResultFacts } from '../results/line.js';
import type { OutputColumns, StructuredOutput } from '../results/output.js';
import { type ResultsSummary, SummaryBuilder } from '../results/summary.js';

export { ANSWER_LIMIT } from './limits.js';

import { OutputsBuilder, type OutputsSummary } from './fields.js';
import { cut, type Histogram, histogram } from './histogram.js';

export type { FieldSummary, OutputsSummary } from './fields.js';
export { type Bin, binWidth, cut, HISTOGRAM_BINS, type Histogram, histogram } from './histogram.js';

/** The most error groups (type × message) a report lists, most frequent first. */
export const MAX_ERROR_GROUPS = 50;

/** Example custom_ids kept per error group. */
export const ERROR_EXAMPLES = 3;

/** What the report is about. */
export interface ReportSource {
  kind: 'batch' | 'job' | 'file';
  /** The page's title: a batch id, a job id, or a file name. */
  title: string;
  batch_ids: string[];
  job_id: string | null;
  file: string | null;
  /** ISO times, when known (a results file alone does not say). */
  created_at: string | null;
  ended_at: string | null;
}

/** A group of errored results with the same error type and message. */
export interface ErrorGroup {
  type: string;
  message: string;
  count: number;
  examples: string[];
}

/**
 * One row of the table, as an array (a 100,000-row page stays small):
 * `[custom_id, result type, stop_reason, input tokens, output tokens, answer (cut at the limit),
 * the answer's full length, "error_type: message", input cells (null when not joined),
 * output_error]`. A joined input row without a result has a null type. The last two are left
 * out when not needed: input cells with no join and no structured answers, output_error when no
 * structured answer was asked for.
 */
export type ReportRow = [
  string,
  string | null,
  string | null,
  number | null,
  number | null,
  string | null,
  number | null,
  string | null,
  (string[] | null)?,
  (string | null)?,
];

/** The report's figures (the page's `report-data`). */
export interface ReportData {
  version: 1;
  generated_at: string;
  source: ReportSource & { duration_ms: number | null; duration_text: string | null };
  models: string[];
  counts: {
    total: number;
    succeeded: number;
    errored: number;
    canceled: number;
    expired: number;
    other: number;
  };
  cost: {
    batch: number;
    standard: number;
    saving: number;
    batch_text: string;
    standard_text: string;
    saving_text: string;
    unknown_models: string[];
    prices: { source: string; taken: string };
    tokens: { input: number; output: number; cache_read: number; cache_write: number };
    by_model: Array<{
      model: string;
      input: number;
      output: number;
      cache_read: number;
      cache_write_5m: number;
      cache_write_1h: number;
      batch_text: string;
      standard_text: string;
    }>;
  };
  histograms: { input_tokens: Histogram; output_tokens: Histogram };
  /** Succeeded results by stop_reason, most frequent first. */
  stop_reasons: Array<{ stop_reason: string; count: number }>;
  /** What the structured answers said, per output field (null when none was asked for). */
  outputs: OutputsSummary | null;
  /** Errored results by type × message, most frequent first (at most {@link MAX_ERROR_GROUPS}). */
  errors: ErrorGroup[];
  /** Error groups left out of `errors`. */
  more_error_groups: number;
  table: {
    /** The input's columns, when joined (each row's input cells are in this order). */
    columns: string[];
    rows: number;
    /** Characters an answer or input cell keeps (null: everything, `--full`). */
    answer_limit: number | null;
    /** Answers cut at the limit. */
    truncated: number;
  };
  /** With an input joined: its file and how rows and results matched. */
  join: {
    input: string;
    rows: number;
    without_result: number;
    unmatched_results: number;
  } | null;
}

/** A growable list of non-negative integers (token counts), 4 bytes each. */
class Counts {
  values = new Uint32Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.values.length) {
      const next = new Uint32Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.length] = Math.min(Math.max(0, Math.round(value)), 0xffffffff);
    this.length += 1;
  }
}

/** The error of a result in one line, `type: message`, or null. */
function errorText(type: string | null, message: string | null): string | null {
  if (type === null && message === null) return null;
  return `${type ?? 'unknown'}: ${message ?? ''}`;
}

/** A table row from a result line's facts (and a joined row's input cells). */
export function reportRow(
  f: Pick<
    ResultFacts,
    'custom_id' | 'stop_reason' | 'input_tokens' | 'output_tokens' | 'text' | 'error_type' | 'error_message'
  > & { type: string | null },
  limit: number | undefined,
  inputs?: string[],
  /** The result's structured part, when structured answers were asked for (null: none for it). */
  output?: StructuredOutput | null,
): ReportRow {
  const answer = f.text === null ? null : cut(f.text, limit);
  const row: ReportRow = [
    f.custom_id,
    f.type,
    f.stop_reason,
    f.input_tokens,
    f.output_tokens,
    answer,
    f.text === null ? null : f.text.length,
    errorText(f.error_type, f.error_message),
  ];
  if (inputs || output !== undefined) row.push(inputs ?? null);
  if (output !== undefined) row.push(output?.output_error ?? null);
  return row;
}

/** Accumulates a report's figures one result at a time (see the top of this file for memory). */
export class ReportBuilder {
  private readonly summary = new SummaryBuilder();
  private readonly inputTokens = new Counts();
  private readonly outputTokens = new Counts();
  private readonly stopReasons = new Map<string, number>();
  private readonly errors = new Map<string, ErrorGroup>();
  private readonly models = new Set<string>();
  private readonly outputs: OutputsBuilder | undefined;

  /** `outputs`: the columns structured answers fill, when they were asked for. */
  constructor(outputs?: OutputColumns) {
    if (outputs) {
      this.outputs = new OutputsBuilder(outputs);
      this.summary.countOutputs();
    }
  }

  /** Adds one result, and its structured part when structured answers were asked for. */
  add(f: ResultFacts, out?: StructuredOutput): void {
    this.summary.add(f);
    if (this.outputs) {
      this.summary.addOutput(f, out);
      this.outputs.add(f, out);
    }
    if (f.model) this.models.add(f.model);
    if (f.input_tokens !== null) this.inputTokens.push(f.input_tokens);
    if (f.output_tokens !== null) this.outputTokens.push(f.output_tokens);
    if (f.type === 'succeeded') {
      const reason = f.stop_reason ?? 'none';
      this.stopReasons.set(reason, (this.stopReasons.get(reason) ?? 0) + 1);
    }
    if (f.type === 'errored') {
      const type = f.error_type ?? 'unknown';
      const message = (f.error_message ?? '').slice(0, 300);
      const key = `${type}\u0000${message}`;
      const group = this.errors.get(key);
      if (group) {
        group.count += 1;
        if (group.examples.length < ERROR_EXAMPLES) group.examples.push(f.custom_id);
      } else if (this.errors.size < 1000) {
        this.errors.set(key, { type, message, count: 1, examples: [f.custom_id] });
      }
    }
  }

  /** The totals so far, as the other commands report them. */
  results(): ResultsSummary {
    return this.summary.build();
  }

  /** The report's figures; `table` and `join` come from whoever wrote the rows. */
  build(options: {
    source: ReportSource;
    prices: PriceTable;
    now: Date;
    table: ReportData['table'];
    join?: ReportData['join'];
  }): ReportData {
    const s = this.summary.build();
    const cost: ActualCost = actualCost(s.byModel, options.prices);
    const { created_at, ended_at } = options.source;
    const duration =
      created_at && ended_at ? Math.max(0, Date.parse(ended_at) - Date.parse(created_at)) : Number.NaN;
    const groups = [...this.errors.values()].sort(
      (a, b) => b.count - a.count || a.type.localeCompare(b.type),
    );
    return {
      version: 1,
      generated_at: options.now.toISOString(),
      source: {
        ...options.source,
        duration_ms: Number.isFinite(duration) ? duration : null,
        duration_text: Number.isFinite(duration) ? formatDuration(duration) : null,
      },
      models: [...this.models].sort(),
      counts: {
        total: s.total,
        succeeded: s.succeeded,
        errored: s.errored,
        canceled: s.canceled,
        expired: s.expired,
        other: s.total - s.succeeded - s.errored - s.canceled - s.expired,
      },
      cost: {
        batch: cost.batch,
        standard: cost.standard,
        saving: cost.standard - cost.batch,
        batch_text: usd(cost.batch),
        standard_text: usd(cost.standard),
        saving_text: usd(cost.standard - cost.batch),
        unknown_models: cost.unknownModels,
        prices: { source: options.prices.source, taken: options.prices.taken },
        tokens: {
          input: s.inputTokens,
          output: s.outputTokens,
          cache_read: s.cacheReadTokens,
          cache_write: s.cacheWriteTokens,
        },
        by_model: cost.models.map((m) => ({
          model: m.model,
          input: m.use.input,
          output: m.use.output,
          cache_read: m.use.cacheRead,
          cache_write_5m: m.use.cacheWrite5m,
          cache_write_1h: m.use.cacheWrite1h,
          batch_text: usd(m.batch),
          standard_text: usd(m.standard),
        })),
      },
      histograms: {
        input_tokens: histogram(this.inputTokens.values.subarray(0, this.inputTokens.length)),
        output_tokens: histogram(this.outputTokens.values.subarray(0, this.outputTokens.length)),
      },
      stop_reasons: [...this.stopReasons]
        .map(([stop_reason, count]) => ({ stop_reason, count }))
        .sort((a, b) => b.count - a.count || a.stop_reason.localeCompare(b.stop_reason)),
      outputs: this.outputs?.build() ?? null,
      errors: groups.slice(0, MAX_ERROR_GROUPS),
      more_error_groups: Math.max(0, groups.length - MAX_ERROR_GROUPS),
      table: options.table,
      join: options.join ?? null,
    };
  }
}
