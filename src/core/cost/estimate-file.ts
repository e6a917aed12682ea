/** `estimate FILE|-`: a whole request file's cost outlook. */
import type { BatchClient } from '../api/client.js';
import { spoolToFile } from '../fs/spool.js';
import { assertReadableFile, openSource, validateRequests } from '../requests/file.js';
import { requestFileWarnings, strictError } from '../requests/warnings.js';
import { type Estimate, estimateCost } from './estimate.js';
import type { PriceTable } from './prices.js';

/**
 * Validates a request file (a path, or a stream such as stdin, spooled to a private temporary
 * file and removed after) with no size limit, then estimates its cost. With `client` and
 * `exactSample`, input tokens are scaled from `count_tokens` on a sample.
 */
export async function estimateRequestFile(
  source: { path: string } | { stream: AsyncIterable<Uint8Array>; name: string },
  prices: PriceTable,
  options: {
    client?: BatchClient | undefined;
    exactSample?: number | undefined;
    signal?: AbortSignal;
    /** Called with each warning (unknown model or price, prompts over the context window). */
    onWarning?: (message: string) => void;
    /** Refuse on any such warning (before count_tokens is called). */
    strict?: boolean | undefined;
  } = {},
): Promise<Estimate> {
  const spooled = 'stream' in source ? await spoolToFile(source.stream) : undefined;
  const path = spooled?.path ?? (source as { path: string }).path;
  const name = 'stream' in source ? source.name : source.path;
  try {
    await assertReadableFile(path, name, 'check the path (use - to read stdin)');
    const stats = await validateRequests(openSource(path), {
      file: name,
      maxRequests: Number.POSITIVE_INFINITY,
      maxBytes: Number.POSITIVE_INFINITY,
    });
    const warnings = requestFileWarnings(stats, prices);
    if (options.strict && warnings.length > 0) throw strictError(warnings);
    for (const warning of warnings) options.onWarning?.(warning);
    return await estimateCost(stats, prices, {
      ...(options.client && options.exactSample
        ? { client: options.client, path, exactSample: options.exactSample }
        : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    await spooled?.remove();
  }
}
