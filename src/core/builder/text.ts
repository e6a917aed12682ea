import { InputError } from '../errors.js';
import { decodeUtf8, readLines } from '../fs/lines.js';
import { isBlankText, type RowSource, type SourceEvent } from './rows.js';
import { checkTemplateNames, type Template } from './template.js';

/** One request per non-blank line, or per paragraph (lines separated by blank lines). */
export type SplitBy = 'line' | 'paragraph';

/** How a text file becomes prompts. */
export interface TextOptions {
  splitBy?: SplitBy | undefined;
  /** A template over `{{text}}`. */
  template?: Template | undefined;
}

/**
 * Streams a UTF-8 text file into prompts: each non-blank line (`text-line-N`), or each paragraph
 * (`text-para-N`); a blank line is empty or only whitespace, LF or CRLF. Memory holds one
 * paragraph at a time.
 */
export function textRows(input: AsyncIterable<Uint8Array>, file: string, options: TextOptions): RowSource {
  const paragraphs = options.splitBy === 'paragraph';
  if (options.template) checkTemplateNames(options.template, ['text'], 'a text template has only {{text}}');
  return { idKind: paragraphs ? 'text-para' : 'text-line', events: textEvents(input, file, options) };
}

async function* textEvents(
  input: AsyncIterable<Uint8Array>,
  file: string,
  options: TextOptions,
): AsyncGenerator<SourceEvent> {
  const paragraphs = options.splitBy === 'paragraph';
  const make = (row: number, line: number, text: string): SourceEvent => ({
    kind: 'row',
    row,
    line,
    prompt: options.template ? options.template.render(() => text) : text,
  });
  let row = 0;
  let lines: string[] = [];
  let start = 0;
  for await (const { number, bytes } of readLines(input)) {
    const text = decodeUtf8(bytes);
    if (text === undefined) {
      throw new InputError([
        { file, line: number, field: 'encoding', message: 'not valid UTF-8 (save the file as UTF-8)' },
      ]);
    }
    if (isBlankText(text)) {
      if (paragraphs && lines.length > 0) {
        row += 1;
        yield make(row, start, lines.join('\n').trim());
        lines = [];
      }
      continue;
    }
    if (!paragraphs) {
      row += 1;
      yield make(row, number, text.trim());
      continue;
    }
    if (lines.length === 0) start = number;
    lines.push(text);
  }
  if (lines.length > 0) {
    row += 1;
    yield make(row, start, lines.join('\n').trim());
  }
}
