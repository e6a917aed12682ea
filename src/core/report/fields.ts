/**
 * A report's summary of structured answers (see results/output.ts for what makes an answer
 * structured): how many were checked and invalid (with a few examples and their reasons), the
 * forced tools' names, and per output field (schema order) the values the valid answers gave:
 * value counts for text, booleans and nested values, a histogram for numbers, and how many had
 * no value. Memory is bounded: at most {@link MAX_DISTINCT} distinct values a field (each cut at
 * {@link VALUE_LIMIT} characters; values first seen after the cap count as "other"), and 8 bytes a
 * number for the histogram (as the token histograms).
 */
import { isRecord } from '../is-record.js';
import type { ResultFacts } from '../results/line.js';
import type { OutputColumns, StructuredOutput } from '../results/output.js';
import { cut, type Histogram, histogram } from './histogram.js';

/** Distinct values kept per field; later new values are counted as "other". */
export const MAX_DISTINCT = 1000;

/** Values a field's summary lists, most frequent first (the rest are summed as "other"). */
export const TOP_VALUES = 10;

/** Characters a listed value keeps. */
export const VALUE_LIMIT = 200;

/** Invalid answers listed as examples (custom_id and reason). */
export const INVALID_EXAMPLES = 5;

/** The values one output field took in the valid answers. */
export interface FieldSummary {
  name: string;
  /** Valid answers with a value (not null) for the field. */
  present: number;
  /** Valid answers without the field, or with null. */
  missing: number;
  /** Text, boolean and nested values (JSON text), most frequent first, at most {@link TOP_VALUES}. */
  values: Array<{ value: string; count: number }>;
  /** Text, boolean and nested values not listed in `values`. */
  other: number;
  /** Distinct such values seen (a lower bound when `capped`). */
  distinct: number;
  /** More than {@link MAX_DISTINCT} distinct values: those seen after the cap are in `other` only. */
  capped: boolean;
  /** The numbers, when the field had any. */
  numbers: Histogram | null;
}

/** The report's `outputs` entry: what the structured answers said. */
export interface OutputsSummary {
  /** Succeeded results whose request asked for a structured answer. */
  checked: number;
  valid: number;
  /** Of those, answers with an output_error (not JSON, cut, not matching the schema…). */
  invalid: number;
  /** The first invalid answers: their custom_id and output_error. */
  invalid_examples: Array<{ custom_id: string; reason: string }>;
  /** Forced tools: how often each tool was called (null when no request forces a tool). */
  tools: Array<{ name: string; count: number }> | null;
  /** One summary per output field, in schema order. */
  fields: FieldSummary[];
  limits: { distinct: number; top: number; value_chars: number };
}

/** A growable list of numbers, 8 bytes each. */
class Numbers {
  values = new Float64Array(256);
  length = 0;
  push(value: number): void {
    if (this.length === this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.length] = value;
    this.length += 1;
  }
}

class FieldTally {
  present = 0;
  missing = 0;
  other = 0;
  capped = false;
  readonly counts = new Map<string, number>();
  readonly numbers = new Numbers();

  constructor(readonly name: string) {}

  add(value: unknown): void {
    if (value === null || value === undefined) {
      this.missing += 1;
      return;
    }
    this.present += 1;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) this.numbers.push(value);
      return;
    }
    const key = cut(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''), VALUE_LIMIT);
    const seen = this.counts.get(key);
    if (seen !== undefined) this.counts.set(key, seen + 1);
    else if (this.counts.size < MAX_DISTINCT) this.counts.set(key, 1);
    else {
      this.capped = true;
      this.other += 1;
    }
  }

  build(): FieldSummary {
    const sorted = [...this.counts]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    const listed = sorted.slice(0, TOP_VALUES);
    let other = this.other;
    for (const v of sorted.slice(TOP_VALUES)) other += v.count;
    return {
      name: this.name,
      present: this.present,
      missing: this.missing,
      values: listed,
      other,
      distinct: this.counts.size,
      capped: this.capped,
      numbers:
        this.numbers.length === 0
          ? null
          : histogram(this.numbers.values.subarray(0, this.numbers.length), { continuous: true }),
    };
  }
}

/** Accumulates an {@link OutputsSummary} one result at a time. */
export class OutputsBuilder {
  private checked = 0;
  private invalid = 0;
  private readonly examples: OutputsSummary['invalid_examples'] = [];
  private readonly tools: Map<string, number> | null;
  private readonly fields: FieldTally[];

  constructor(columns: OutputColumns) {
    this.tools = columns.tool ? new Map() : null;
    this.fields = columns.fields.map((name) => new FieldTally(name));
  }

  add(facts: ResultFacts, out: StructuredOutput | undefined): void {
    if (!out || facts.type !== 'succeeded') return;
    this.checked += 1;
    if (this.tools && out.tool_name !== null)
      this.tools.set(out.tool_name, (this.tools.get(out.tool_name) ?? 0) + 1);
    if (out.output_error !== null) {
      this.invalid += 1;
      if (this.examples.length < INVALID_EXAMPLES)
        this.examples.push({ custom_id: facts.custom_id, reason: cut(out.output_error, 500) });
      return;
    }
    const value = isRecord(out.value) ? out.value : {};
    for (const field of this.fields)
      field.add(Object.hasOwn(value, field.name) ? value[field.name] : undefined);
  }

  build(): OutputsSummary {
    return {
      checked: this.checked,
      valid: this.checked - this.invalid,
      invalid: this.invalid,
      invalid_examples: this.examples,
      tools: this.tools
        ? [...this.tools]
            .map(([name, count]) => ({ name, count }))
            .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1))
        : null,
      fields: this.fields.map((f) => f.build()),
      limits: { distinct: MAX_DISTINCT, top: TOP_VALUES, value_chars: VALUE_LIMIT },
    };
  }
}
