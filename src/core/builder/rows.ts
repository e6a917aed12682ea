import type { InputProblem } from '../errors.js';

/** One prompt read from the input, before it becomes a request. */
export interface PromptRow {
  kind: 'row';
  /** 1-based number of the row, line, paragraph or item: the N of a generated id. */
  row: number;
  /** 1-based line of the input where it starts, when known. */
  line?: number | undefined;
  prompt: string;
  /** The value of the id column or field, as text, when one was asked for. */
  key?: string | undefined;
  /** That value as it was in the input (kept in the sidecar). */
  keyValue?: unknown;
  /** Template names that were empty for this row (the prompt was made without them). */
  emptyFields?: string[] | undefined;
  /** Images for the request (paths, URLs or data: URIs), placed before the prompt's text. */
  images?: string[] | undefined;
  /** Documents for the request (PDF or text paths, URLs), placed before the images. */
  documents?: string[] | undefined;
  /** The whole conversation (json `--messages-field`), sent as given instead of `prompt`; checked per row. */
  messages?: unknown[] | undefined;
}

/** A row left out, and why (counted by reason in the summary). */
export interface SkippedRow {
  kind: 'skip';
  reason: string;
}

/** A row that is wrong: reported with the others, and nothing is written. */
export interface ProblemRow {
  kind: 'problem';
  problem: InputProblem;
}

/** What a source yields, in input order. */
export type SourceEvent = PromptRow | SkippedRow | ProblemRow;

/**
 * A source of prompts: its rows, and the word used in generated ids (`csv-row`, `text-line`…).
 * Events come one at a time or in arrays (csv hands over every row parsed from a chunk at once,
 * which saves a promise per row).
 */
export interface RowSource {
  idKind: string;
  events: AsyncIterable<SourceEvent | SourceEvent[]>;
}

/** Reasons a row is skipped, as keys (in `--json` summaries). */
export const SKIP = {
  EMPTY: 'empty_prompt',
  BAD_ROW: 'wrong_field_count',
} as const;

/** The same reasons in words, for people. */
export const SKIP_WORDS: Record<string, string> = {
  empty_prompt: 'empty prompt',
  wrong_field_count: 'wrong number of fields',
};

/** `2 empty prompt, 1 wrong number of fields`: skipped counts in words. */
export function skippedText(skipped: Record<string, number>): string {
  return Object.entries(skipped)
    .map(([reason, n]) => `${n.toLocaleString('en-US')} ${SKIP_WORDS[reason] ?? reason}`)
    .join(', ');
}

/** Whether a text is empty once trimmed. */
export function isBlankText(text: string): boolean {
  return text.trim().length === 0;
}
