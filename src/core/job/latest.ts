import { join } from 'node:path';
import { decodeUtf8, readLines } from '../fs/lines.js';
import { openSource } from '../requests/file.js';
import { type ResultFacts, resultFacts } from '../results/line.js';
import type { Attempt, Shard } from './manifest.js';

/**
 * Visits the latest result of every custom_id of a shard: attempts are read newest first and an
 * id seen in a newer attempt is skipped in older ones. Memory: the ids of one shard.
 */
export async function visitLatestResults(
  dir: string,
  shard: Shard,
  visit: (facts: ResultFacts, line: Buffer, attempt: Attempt) => void | Promise<void>,
): Promise<number> {
  const seen = new Set<string>();
  for (const attempt of [...shard.attempts].reverse()) {
    if (!attempt.results_file) continue;
    for await (const { bytes } of readLines(openSource(join(dir, attempt.results_file)))) {
      if (bytes.length === 0) continue;
      const facts = resultFacts(JSON.parse(decodeUtf8(bytes) ?? 'null'));
      if (seen.has(facts.custom_id)) continue;
      seen.add(facts.custom_id);
      await visit(facts, bytes, attempt);
    }
  }
  return seen.size;
}
