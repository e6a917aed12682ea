import { modelWarnings } from '../cost/models.js';
import { BUILT_IN_PRICES, type PriceTable } from '../cost/prices.js';
import { CliError } from '../errors.js';
import { CONTEXT_WINDOW_TOKENS } from './limits.js';

/** How many line numbers a warning names before it only counts the rest. */
const SHOWN = 5;

/** Where something happens, line by line: every line counted, the first few kept. */
export class LineSample {
  count = 0;
  readonly lines: number[] = [];

  add(line: number): void {
    this.count += 1;
    if (this.lines.length < SHOWN) this.lines.push(line);
  }

  /** As stored in a summary: the count and the first lines. */
  toJSON(): { count: number; lines: number[] } {
    return { count: this.count, lines: [...this.lines] };
  }
}

/** `lines 3, 7, 9 and 12 more` (the noun in the singular: `line`, `request`, `row`). */
export function describeLines(sample: { count: number; lines: number[] }, noun: string): string {
  const more = sample.count - sample.lines.length;
  return `${noun}${sample.count === 1 ? '' : 's'} ${sample.lines.join(', ')}${more > 0 ? ` and ${more.toLocaleString('en-US')} more` : ''}`;
}

/** The warning for prompts over the context window, or undefined when there are none. */
export function contextWarning(over: { count: number; lines: number[] }, noun = 'line'): string | undefined {
  if (over.count === 0) return undefined;
  const prompts = over.count === 1 ? '1 prompt is' : `${over.count.toLocaleString('en-US')} prompts are`;
  return `${prompts} over the ${CONTEXT_WINDOW_TOKENS.toLocaleString('en-US')}-token context window (estimated at four characters a token) at ${describeLines(over, noun)}: the API will refuse ${over.count === 1 ? 'it' : 'them'}; shorten or split ${over.count === 1 ? 'it' : 'them'}`;
}

/** Whether a request of this many prompt characters is estimated over the context window. */
export function overContextWindow(promptChars: number): boolean {
  // estimateTokens(chars) = ceil(chars / 4) > window  ⇔  chars > 4 × window
  return promptChars > CONTEXT_WINDOW_TOKENS * 4;
}

/**
 * The warnings about a valid request file before it costs money: models the API does not know
 * or that have no price, and prompts over the context window (with their lines).
 */
export function requestFileWarnings(
  stats: { byModel: Record<string, unknown>; overContext: { count: number; lines: number[] } },
  prices: PriceTable = BUILT_IN_PRICES,
): string[] {
  const warnings = modelWarnings(Object.keys(stats.byModel), prices);
  const context = contextWarning(stats.overContext);
  if (context) warnings.push(context);
  return warnings;
}

/** The error `--strict` turns warnings into: exit 2, every warning listed, nothing done. */
export function strictError(warnings: string[], nothing?: 'sent' | 'written'): CliError {
  return new CliError(
    `--strict: ${warnings.length === 1 ? 'a warning' : `${warnings.length} warnings`} about the requests${nothing ? `; nothing was ${nothing}` : ''}`,
    {
      kind: 'usage',
      details: warnings.map((w) => `warning: ${w}`),
      hint: 'fix what the warnings say, or leave out --strict to go ahead anyway',
    },
  );
}
