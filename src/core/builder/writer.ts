import { estimateTokens } from '../cost/tokens.js';
import type { Sink } from '../fs/atomic-file.js';

/** Write to the sinks in chunks of about this many characters. */
const CHUNK_CHARS = 1 << 18;

/** A buffered line writer over a sink: lines are joined into ~1 MB writes; bytes are counted. */
class LineBuffer {
  private lines: string[] = [];
  private chars = 0;
  /** Bytes written so far (UTF-8, newlines included). */
  bytes = 0;

  constructor(private readonly sink: Sink) {}

  /** Buffers a line; true when the buffer is full and should be flushed. */
  add(line: string): boolean {
    this.lines.push(line);
    this.chars += line.length + 1;
    return this.chars >= CHUNK_CHARS;
  }

  async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    this.lines.push('');
    const chunk = this.lines.join('\n');
    this.lines = [];
    this.chars = 0;
    this.bytes += Buffer.byteLength(chunk);
    await this.sink.write(chunk);
  }
}

/** Writes request lines (and their sidecar lines) and keeps the figures of the summary. */
export class RequestWriter {
  private readonly out: LineBuffer;
  private readonly map: LineBuffer | undefined;
  requests = 0;
  inputTokens = 0;
  readonly models: Record<string, number> = {};

  constructor(output: Sink, map: Sink | undefined) {
    this.out = new LineBuffer(output);
    this.map = map ? new LineBuffer(map) : undefined;
  }

  /**
   * Adds one request (synchronously: no promise per row); `promptChars` feeds the token estimate.
   * Returns true when the buffers are full: the caller then awaits {@link flush}.
   */
  add(line: string, mapLine: string, model: string, promptChars: number): boolean {
    this.requests += 1;
    this.inputTokens += estimateTokens(promptChars);
    this.models[model] = (this.models[model] ?? 0) + 1;
    const full = this.out.add(line);
    return (this.map?.add(mapLine) ?? false) || full;
  }

  /** Writes what is still buffered. */
  async flush(): Promise<void> {
    await this.out.flush();
    await this.map?.flush();
  }

  /** Bytes of the request file. */
  get bytes(): number {
    return this.out.bytes;
  }
}
