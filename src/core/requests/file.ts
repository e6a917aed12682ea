import { createReadStream } from 'node:fs';
import { isMapHeader } from '../builder/sidecar.js';
import { estimateTokens, mediaTokens, promptCharacters, toolTokens } from '../cost/tokens.js';
import { InputError, type InputProblem, UsageError } from '../errors.js';
import { decodeUtf8, isBlank, readLines } from '../fs/lines.js';
import { READ_CHUNK_BYTES } from '../fs/memory.js';
import { BODY_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_BATCH_REQUESTS } from './limits.js';
import { type BatchRequest, checkRequest } from './schema.js';
import { LineSample, overContextWindow } from './warnings.js';

/** What a request file holds, per model. */
export interface ModelStats {
  requests: number;
  /** Characters of prompt text (system and messages). */
  promptChars: number;
  /** Estimated input tokens: the sum of each request's estimate (see `requestTokens`). */
  inputTokens: number;
  /** Sum of max_tokens: the most output the requests can produce. */
  maxTokens: number;
}

/** The figures of a valid request file. */
export interface RequestFileStats {
  file: string;
  requests: number;
  /** Size of the create body these requests make, in bytes. */
  bodyBytes: number;
  byModel: Record<string, ModelStats>;
  /** Requests whose prompt is estimated over the context window: how many, and their first lines. */
  overContext: { count: number; lines: number[] };
}

/** Limits and reporting options for validation. */
export interface ValidateOptions {
  /** Name used in messages (`FILE:LINE: …`). */
  file: string;
  maxRequests?: number;
  maxBytes?: number;
  /** Problems kept in full; the rest are only counted (default 20). */
  maxProblems?: number;
  /** Called for each valid request, in file order. */
  onRequest?: (request: BatchRequest, line: number) => void;
}

/** The one readable-file check lives in fs/readable.ts; the commands import it from here too. */
export { assertReadableFile } from '../fs/readable.js';

/** Opens a file (or the given stream) as a byte source. */
export function openSource(path: string): AsyncIterable<Uint8Array> {
  return createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
}

/**
 * Reads a JSONL request file in one streaming pass and checks every line against the request
 * schema and the batch limits. Returns the file's figures, or throws an InputError listing the
 * problems as `FILE:LINE: field: what is wrong`. Memory holds one line plus the set of ids.
 */
export async function validateRequests(
  source: AsyncIterable<Uint8Array>,
  options: ValidateOptions,
): Promise<RequestFileStats> {
  const file = options.file;
  const maxRequests = options.maxRequests ?? MAX_BATCH_REQUESTS;
  const maxBytes = options.maxBytes ?? MAX_BATCH_BYTES;
  const maxProblems = options.maxProblems ?? 20;
  const problems: InputProblem[] = [];
  let problemCount = 0;
  const report = (problem: InputProblem) => {
    problemCount += 1;
    if (problems.length < maxProblems) problems.push(problem);
  };

  const seen = new Map<string, number>();
  const byModel: Record<string, ModelStats> = {};
  let requests = 0;
  let bodyBytes = BODY_OVERHEAD_BYTES;
  let overSize = false;
  const overContext = new LineSample();

  for await (const { number, bytes } of readLines(source)) {
    if (isBlank(bytes)) continue;
    requests += 1;
    bodyBytes += bytes.length + (requests > 1 ? 1 : 0);
    if (requests === maxRequests + 1) {
      report({
        file,
        line: number,
        field: 'requests',
        message: `more than ${maxRequests.toLocaleString('en-US')} requests: one batch takes at most ${maxRequests.toLocaleString('en-US')} (split the file, or use \`claude-batch run\`)`,
      });
    }
    if (!overSize && bodyBytes > maxBytes) {
      overSize = true;
      report({
        file,
        line: number,
        field: 'file',
        message: `the requests pass ${formatBytes(maxBytes)} here, the most one batch takes (split the file, or use \`claude-batch run\`)`,
      });
    }
    const text = decodeUtf8(bytes);
    if (text === undefined) {
      report({ file, line: number, field: 'encoding', message: 'not valid UTF-8 (save the file as UTF-8)' });
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      report({ file, line: number, field: 'json', message: `not valid JSON (${(error as Error).message})` });
      continue;
    }
    if (requests === 1 && isSidecarLine(value)) {
      throw new UsageError(
        `${file} is a sidecar map that build writes beside a request file (custom_id → input row), not a request file`,
        'submit the request file itself (requests.jsonl, not requests.jsonl.map or requests.map.jsonl); in a loop, a glob like part-*.jsonl skips the maps build writes now',
      );
    }
    const issues = checkRequest(value);
    const record = value as Partial<BatchRequest>;
    const id = typeof record?.custom_id === 'string' ? record.custom_id : undefined;
    if (id !== undefined) {
      const earlier = seen.get(id);
      if (earlier !== undefined) {
        issues.push({
          field: 'custom_id',
          message: `${JSON.stringify(id)} repeats the id of line ${earlier}`,
        });
      } else {
        seen.set(id, number);
      }
    }
    if (issues.length > 0) {
      for (const issue of issues) report({ file, line: number, ...issue });
      continue;
    }
    const request = value as BatchRequest;
    const stats = byModel[request.params.model] ?? {
      requests: 0,
      promptChars: 0,
      inputTokens: 0,
      maxTokens: 0,
    };
    const chars = promptCharacters(request.params);
    stats.requests += 1;
    stats.promptChars += chars;
    stats.inputTokens += estimateTokens(chars) + mediaTokens(request.params) + toolTokens(request.params);
    if (overContextWindow(chars)) overContext.add(number);
    stats.maxTokens += request.params.max_tokens;
    byModel[request.params.model] = stats;
    options.onRequest?.(request, number);
  }

  if (requests === 0) {
    report({ file, field: 'file', message: 'no requests: the file is empty or holds only blank lines' });
  }
  if (problemCount > 0) {
    // A data file given where a request file was wanted: say how to make requests from it.
    const data = /\.(csv|tsv|txt|json)$/i.exec(file)?.[1]?.toLowerCase();
    const source = data === 'tsv' ? 'csv' : data;
    const hint =
      source && Object.keys(byModel).length === 0
        ? `${file} looks like data, not a request file: make requests from it with \`claude-batch build ${source} ${file} …\` (see claude-batch build ${source} --help)`
        : 'fix the lines above; nothing was sent';
    throw new InputError(problems, problemCount, hint);
  }
  return { file, requests, bodyBytes, byModel, overContext: overContext.toJSON() };
}

/**
 * Whether a line is a build sidecar's: its header (`claude_batch_map`), or a request line of a
 * map written before headers existed (a custom_id and a row number, and no params).
 */
function isSidecarLine(value: unknown): boolean {
  if (isMapHeader(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  const line = value as Record<string, unknown>;
  return typeof line.custom_id === 'string' && typeof line.row === 'number' && !('params' in line);
}

/** Formats a byte count in decimal units (`652 B`, `12.3 kB`, `1.25 MB`), as the API states its limits. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const [value, unit] = bytes < 1_000_000 ? [bytes / 1000, 'kB'] : [bytes / 1_000_000, 'MB'];
  return `${value >= 100 ? Math.round(value) : value.toFixed(value >= 10 ? 1 : 2)} ${unit}`;
}
