/**
 * Every test process gets its own registry folder: no test ever reads or writes the real user's
 * registry (the helpers that run the CLI pass it on: runCli, runBin, spawnBin, the docs blocks).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (!process.env.CLAUDE_BATCH_TEST_HOME) {
  process.env.CLAUDE_BATCH_TEST_HOME = mkdtempSync(join(tmpdir(), 'claude-batch-home-'));
}
process.env.CLAUDE_BATCH_HOME = process.env.CLAUDE_BATCH_TEST_HOME;
