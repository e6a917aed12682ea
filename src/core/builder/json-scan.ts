import { InputError } from '../errors.js';

/** One value read from a JSON document, with the line it starts on. */
export interface JsonItem {
  value: unknown;
  line: number;
}

const WS_SPACE = 0x20;
const WS_TAB = 0x09;
const WS_CR = 0x0d;
const NL = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Drop the consumed part of the buffer once it passes this many characters. */
const COMPACT_AT = 1 << 20;

/**
 * A small pull scanner over a UTF-8 byte stream. It finds where each JSON value ends (tracking
 * strings, escapes and nesting) and hands that slice to JSON.parse, so only one value is in
 * memory at a time, whatever the size of the document around it.
 */
class JsonScanner {
  private buf = '';
  private pos = 0;
  private ended = false;
  private started = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly chunks: AsyncIterator<Uint8Array>;
  /** 1-based line of `pos`. */
  line = 1;

  constructor(
    source: AsyncIterable<Uint8Array>,
    private readonly file: string,
  ) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  /** An InputError at the current line. */
  fail(message: string, line = this.line, hint?: string): InputError {
    return new InputError([{ file: this.file, line, field: 'json', message }], 1, hint);
  }

  /** Reads more text; false at the end of the input. Keeps the buffer from `pos` on. */
  private async more(): Promise<boolean> {
    if (this.ended) return false;
    let text: string;
    try {
      const next = await this.chunks.next();
      if (next.done) {
        this.ended = true;
        text = this.decoder.decode();
      } else {
        text = this.decoder.decode(next.value, { stream: true });
      }
    } catch (error) {
      if (error instanceof TypeError && /encoded data|decode/i.test(error.message)) {
        throw this.fail('not valid UTF-8 (save the file as UTF-8)');
      }
      throw error;
    }
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pos >= COMPACT_AT || this.pos === this.buf.length) {
      this.buf = this.buf.slice(this.pos) + text;
      this.pos = 0;
    } else {
      this.buf += text;
    }
    return text.length > 0 || !this.ended;
  }

  /** Skips whitespace; returns the next character code without consuming it (undefined at the end). */
  async peek(): Promise<number | undefined> {
    for (;;) {
      const { buf } = this;
      while (this.pos < buf.length) {
        const c = buf.charCodeAt(this.pos);
        if (c === WS_SPACE || c === WS_TAB || c === WS_CR) this.pos += 1;
        else if (c === NL) {
          this.pos += 1;
          this.line += 1;
        } else return c;
      }
      if (!(await this.more())) return undefined;
    }
  }

  /** Consumes one character (after `peek` returned it). */
  skip(): void {
    this.pos += 1;
  }

  /** Reads the next complete value and parses it. */
  async value(): Promise<JsonItem> {
    const first = await this.peek();
    const line = this.line;
    if (first === undefined) throw this.fail('unexpected end of the file: a value is missing');
    const container = first === OPEN_OBJ || first === OPEN_ARR;
    const string = first === QUOTE;
    let depth = 0;
    let inString = false;
    let escaped = false;
    let i = this.pos;
    let end = -1;
    for (;;) {
      const { buf } = this;
      for (; i < buf.length; i += 1) {
        const c = buf.charCodeAt(i);
        if (inString) {
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) {
            inString = false;
            if (string) {
              end = i + 1;
              break;
            }
          }
        } else if (c === QUOTE) inString = true;
        else if (container && (c === OPEN_OBJ || c === OPEN_ARR)) depth += 1;
        else if (container && (c === CLOSE_OBJ || c === CLOSE_ARR)) {
          depth -= 1;
          if (depth === 0) {
            end = i + 1;
            break;
          }
        } else if (c === NL) {
          if (!container && !string) {
            end = i;
            break;
          }
          this.line += 1;
        } else if (
          !container &&
          !string &&
          (c === COMMA || c === CLOSE_ARR || c === CLOSE_OBJ || c === WS_SPACE || c === WS_TAB || c === WS_CR)
        ) {
          end = i;
          break;
        }
      }
      if (end !== -1) break;
      const offset = i - this.pos;
      if (!(await this.more())) {
        if (container || string) throw this.fail('unexpected end of the file inside a value', line);
        end = this.pos + offset;
        break;
      }
      i = this.pos + offset;
    }
    const text = this.buf.slice(this.pos, end);
    this.pos = end;
    try {
      return { value: JSON.parse(text), line };
    } catch (error) {
      throw this.fail(`not valid JSON (${(error as Error).message})`, line);
    }
  }

  /** Consumes an expected character, or fails naming what was found. */
  async expect(code: number, what: string): Promise<void> {
    const c = await this.peek();
    if (c !== code) {
      throw this.fail(
        `expected ${what}, found ${c === undefined ? 'the end of the file' : JSON.stringify(String.fromCharCode(c))}`,
      );
    }
    this.skip();
  }
}

/** Yields each element of the array that starts at the scanner's position. */
async function* arrayItems(scanner: JsonScanner): AsyncGenerator<JsonItem> {
  await scanner.expect(OPEN_ARR, '"["');
  if ((await scanner.peek()) === CLOSE_ARR) {
    scanner.skip();
    return;
  }
  for (;;) {
    yield await scanner.value();
    const c = await scanner.peek();
    if (c === COMMA) scanner.skip();
    else if (c === CLOSE_ARR) {
      scanner.skip();
      return;
    } else await scanner.expect(COMMA, '"," or "]" after an array element');
  }
}

/**
 * Streams the items of a JSON document: the elements of a top-level array, the elements of a
 * top-level object's `items` array, or else the single top-level object itself. Large arrays
 * are never held whole.
 */
export async function* jsonItems(source: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<JsonItem> {
  const scanner = new JsonScanner(source, file);
  const first = await scanner.peek();
  if (first === undefined) return;
  if (first === OPEN_ARR) {
    yield* arrayItems(scanner);
  } else if (first === OPEN_OBJ) {
    const line = scanner.line;
    scanner.skip();
    const object: Record<string, unknown> = {};
    let streamed = false;
    if ((await scanner.peek()) === CLOSE_OBJ) scanner.skip();
    else
      for (;;) {
        if ((await scanner.peek()) !== QUOTE) await scanner.expect(QUOTE, 'a key in quotes');
        const key = (await scanner.value()).value as string;
        await scanner.expect(COLON, '":" after a key');
        if (key === 'items' && !streamed && (await scanner.peek()) === OPEN_ARR) {
          streamed = true;
          yield* arrayItems(scanner);
        } else {
          object[key] = (await scanner.value()).value;
        }
        const c = await scanner.peek();
        if (c === COMMA) scanner.skip();
        else if (c === CLOSE_OBJ) {
          scanner.skip();
          break;
        } else await scanner.expect(COMMA, '"," or "}" in an object');
      }
    if (!streamed) yield { value: object, line };
  } else {
    throw scanner.fail(
      'expected a JSON array or object',
      scanner.line,
      'for one JSON value a line (JSON Lines), name the file .jsonl or pass --jsonl',
    );
  }
  if ((await scanner.peek()) !== undefined) {
    throw scanner.fail(
      'more data after the end of the JSON value',
      scanner.line,
      'for one JSON value a line (JSON Lines), name the file .jsonl or pass --jsonl',
    );
  }
}
