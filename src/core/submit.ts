import { stat } from 'node:fs/promises';
import { callApi } from './api-errors.js';
import type { BatchClient } from './client.js';
import { CliError } from './errors.js';
import { isBlank, readLines } from './lines.js';
import { openSource, type RequestFileStats, validateRequests } from './request-file.js';
import { spoolToFile } from './spool.js';
import type { MessageBatch } from './types.js';

/** Where the requests come from: a file path, or a stream (stdin) that is spooled to disk first. */
export type RequestSource =
  | { path: string; name?: string }
  | { stream: AsyncIterable<Uint8Array>; name?: string };

/** Options for {@link submitRequests}. */
export interface SubmitOptions {
  /** Validate and summarise only; send nothing. */
  dryRun?: boolean;
  signal?: AbortSignal | undefined;
  /** Called once the file is known to be valid, before anything is sent. */
  onValidated?: (stats: RequestFileStats) => void;
}

/** What a submit did: the file's figures, and the batch unless it was a dry run. */
export interface SubmitResult {
  stats: RequestFileStats;
  batch?: MessageBatch;
}

const CHUNK_BYTES = 1 << 20;

/**
 * The create body, streamed from the file: `{"requests":[` + each non-blank line + `]}`.
 * Lines are sent as they are in the file (already validated), grouped into ~1 MB chunks, so
 * memory stays flat whatever the file's size.
 */
export async function* requestBody(path: string): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [Buffer.from('{"requests":[')];
  let size = parts[0]?.length ?? 0;
  let first = true;
  const comma = Buffer.from(',');
  for await (const { bytes } of readLines(openSource(path))) {
    if (isBlank(bytes)) continue;
    if (!first) {
      parts.push(comma);
      size += 1;
    }
    first = false;
    parts.push(bytes);
    size += bytes.length;
    if (size >= CHUNK_BYTES) {
      yield Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  parts.push(Buffer.from(']}'));
  yield Buffer.concat(parts);
}

/**
 * Validates a request file, then creates one batch from it with a streamed body. Nothing is
 * sent unless every line is valid. The create is never retried automatically: a retry after a
 * lost answer could create a second batch.
 */
export async function submitRequests(
  client: BatchClient | undefined,
  source: RequestSource,
  options: SubmitOptions = {},
): Promise<SubmitResult> {
  const spooled = 'stream' in source ? await spoolToFile(source.stream) : undefined;
  const path = spooled?.path ?? (source as { path: string }).path;
  const name = source.name ?? ('path' in source ? source.path : 'stdin');
  try {
    const before = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read ${name}: ${error.code === 'ENOENT' ? 'no such file' : error.code}`, {
        exitCode: 2,
        hint: 'check the path (use - to read stdin)',
      });
    });
    if (before.isDirectory()) throw new CliError(`${name} is a folder, not a request file`, { exitCode: 2 });
    const stats = await validateRequests(openSource(path), { file: name });
    options.onValidated?.(stats);
    if (options.dryRun || !client) return { stats };

    const now = await stat(path);
    if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) {
      throw new CliError(`${name} changed while it was being checked; nothing was sent`, {
        exitCode: 2,
        hint: 'run the command again once the file is complete',
      });
    }
    const batch = await callApi({ baseUrl: client.baseUrl }, () =>
      client.sdk.messages.batches.create(
        { requests: [] },
        {
          body: requestBody(path),
          headers: { 'content-type': 'application/json' },
          maxRetries: 0,
          signal: options.signal,
        },
      ),
    );
    return { stats, batch };
  } finally {
    await spooled?.remove();
  }
}
