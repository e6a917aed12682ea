/** A job's results into a SQLite database: each custom_id from its latest attempt, with that attempt's batch id. */
import type { ResultsDatabase } from '../results/sqlite.js';
import { visitLatestResults } from './latest.js';
import type { Manifest } from './manifest.js';

/** Adds the job's merged results to `db` (memory: the ids of one shard, and one batch of rows). */
export async function addJobResults(db: ResultsDatabase, dir: string, manifest: Manifest): Promise<void> {
  for (const shard of manifest.shards) {
    await visitLatestResults(dir, shard, (facts, _line, attempt) => db.add(facts, attempt.batch_id));
  }
  db.flush();
}
