import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';
import { spawnBin } from '../helpers/spawn.js';

const emu = useEmulator({ processingTimeMs: 0 });

describe('the registry, with the built binary', () => {
  it('two processes submitting at once both land in the registry', async () => {
    const dir = tempDir();
    const env = { ...emu.env, CLAUDE_BATCH_HOME: join(dir, 'registry') };
    const runs = [1, 2, 3].map((i) =>
      spawnBin(['submit', writeRequests(dir, `p${i}.jsonl`, 5), '--label', `p${i}`], { env, input: '' }),
    );
    const done = await Promise.all(runs.map((r) => r.done));
    for (const r of done) expect(r.code, r.stderr).toBe(0);
    const ids = done.map((r) => r.stdout.trim());
    const lines = readFileSync(join(dir, 'registry', 'batches.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    const records = lines.map((l) => JSON.parse(l) as { id: string; label: string; event: string });
    expect(
      records
        .filter((r) => r.event === 'batch')
        .map((r) => r.id)
        .sort(),
    ).toEqual([...ids].sort());
    expect(records.map((r) => r.label).sort()).toEqual(['p1', 'p2', 'p3']);
  });
});
