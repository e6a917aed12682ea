import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';

// The job of 250,000 requests has its file (the slowest test, mostly CPU): the other job tests
// run in another worker meanwhile. About 30 s on an idle 2-core machine; over 2 minutes when the
// machine is shared, hence the long timeout.
const ctx = useEmulator({ processingTimeMs: 200 });
const dir = tempDir();

const creates = () => ctx.emulator.counts['POST /v1/messages/batches'] ?? 0;

describe('run: a job larger than one batch', () => {
  it('runs 250,000 requests as 3 shards and merges 250,000 unique results', async () => {
    const input = writeRequests(dir, 'quarter-million.jsonl', 250_000, (i) => `q${i}`);
    const out = join(dir, 'big-results.jsonl');
    const before = creates();
    const r = await runCli(['run', input, '--results', out, '--interval', '100ms'], {
      env: ctx.env,
      cwd: dir,
    });
    expect(r.stderr).toContain('250,000 requests in 3 shards');
    expect(r.code).toBe(0);
    expect(creates() - before).toBe(3);
    const ids = new Set<string>();
    let lines = 0;
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      if (!line) continue;
      lines += 1;
      ids.add(JSON.parse(line).custom_id);
    }
    expect(lines).toBe(250_000);
    expect(ids.size).toBe(250_000);
    expect(r.stderr).toContain('Results: 250,000 · 250,000 succeeded');
    expect(r.stderr).toMatch(/Cost: \$[\d.]+ at batch prices \(\$[\d.]+ at standard prices/);

    const again = await runCli(['run', input, '--results', out, '--force', '--interval', '100ms'], {
      env: ctx.env,
      cwd: dir,
    });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('Resuming job');
    expect(creates() - before).toBe(3);
  }, 300_000);
});
