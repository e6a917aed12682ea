import { estimateTokens, mediaTokens, promptCharacters, toolTokens } from '../cost/tokens.js';
import type { Sink } from '../fs/atomic-file.js';
import { ChunkWriter } from '../fs/streams.js';
import { type LineSample, overContextWindow } from '../requests/warnings.js';

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

  /**
   * Adds a request made whole elsewhere (a custom module's, a converted OpenAI line's): its prompt
   * size, media and tools are counted from its params, and `where` (a line or item number) goes
   * into `overContext` when the prompt may not fit the context window. Returns as {@link add}.
   */
  addRequest(
    request: { custom_id: string; params: unknown },
    mapLine: string,
    overContext: LineSample,
    where: number,
  ): boolean {
    const params = request.params as { model: string; messages: unknown; system?: unknown; tools?: unknown };
    const promptChars = promptCharacters(params);
    if (overContextWindow(promptChars)) overContext.add(where);
    return this.add(
      JSON.stringify(request),
      mapLine,
      params.model,
      promptChars,
      mediaTokens(params) + toolTokens(params),
    );
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
