/** Canceling a job: every batch of it that has not ended. */
import { cancelBatch } from '../api/batches.js';
import type { BatchClient } from '../api/client.js';
import { type Manifest, writeManifest } from './manifest.js';

/**
 * Asks the API to cancel each of the job's batches that has not ended, records each one's new
 * status in the manifest (written once at the end, also when a cancel fails part way), and
 * returns the ids it canceled.
 */
export async function cancelJob(
  client: BatchClient,
  dir: string,
  manifest: Manifest,
  signal?: AbortSignal,
): Promise<string[]> {
  const canceled: string[] = [];
  try {
    for (const a of manifest.shards.flatMap((s) => s.attempts)) {
      if (!a.batch_id || a.status === 'ended') continue;
      const b = await cancelBatch(client, a.batch_id, { signal });
      a.status = b.processing_status;
      a.request_counts = b.request_counts;
      canceled.push(b.id);
    }
  } finally {
    writeManifest(dir, manifest);
  }
  return canceled;
}
