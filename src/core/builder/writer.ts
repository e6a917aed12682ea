import { estimateTokens } from '../cost/tokens.js';
import type { Sink } from '../fs/atomic-file.js';
import { ChunkWriter } from '../fs/streams.js';

/** Write to the sinks in chunks of about this many characters. */
const CHUNK_BYTES = 1 << 18;

/** Writes request lines (and their sidecar lines) and keeps the figures of the summary. */
export class RequestWriter {
  private readonly out: ChunkWriter;
  private readonly map: ChunkWriter | undefined;
  requests = 0;
  inputTokens = 0;
  readonly models: Record<string, number> = {};

  constructor(output: Sink, map: Sink | undefined) {
    this.out = new ChunkWriter(output, CHUNK_BYTES, true);
    this.map = map ? new ChunkWriter(map, CHUNK_BYTES, true) : undefined;
  }

  /**
   * Adds one request (synchronously: no promise per row); `promptChars` feeds the token estimate, with `extraTokens` (images).
   * Returns true when the buffers are full: the caller then awaits {@link flush}.
   */
  add(line: string, mapLine: string, model: string, promptChars: number, extraTokens = 0): boolean {
    this.requests += 1;
    this.inputTokens += estimateTokens(promptChars) + extraTokens;
    this.models[model] = (this.models[model] ?? 0) + 1;
    const full = this.out.add(line);
    return (this.map?.add(mapLine) ?? false) || full;
  }

  /** Writes the full chunks (after {@link add} said so), or with `all`, everything still buffered. */
  async flush(all = false): Promise<void> {
    await this.out.flush(!all);
    await this.map?.flush(!all);
  }

  /** Bytes of the request file. */
  get bytes(): number {
    return this.out.bytes;
  }
}
