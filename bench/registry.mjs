// The registry's costs: one append per batch, and reading (folding) 10,000 batches.
// node bench/registry.mjs (after npm run build)
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '../dist/core/registry/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'cb-registry-bench-'));
const registry = new Registry(dir);
const N = 10_000;
const record = (i) => ({
  event: 'batch',
  id: `msgbatch_${String(i).padStart(24, '0')}`,
  base_url: 'https://api.anthropic.com',
  workspace: null,
  label: `experiment-${i % 50}`,
  requests_file: `/home/someone/projects/reviews/requests-${i}.jsonl`,
  requests_sha256: 'f'.repeat(64),
  requests: 1000,
  source: `/home/someone/projects/reviews/reviews-${i}.csv`,
  map: `/home/someone/projects/reviews/requests-${i}.jsonl.map`,
  job: i % 2 ? { id: `job-${i}`, dir: `/home/someone/projects/reviews/.claude-batch/jobs/job-${i}` } : null,
  command: 'run',
  created_at: new Date().toISOString(),
});
let t = process.hrtime.bigint();
for (let i = 0; i < N; i += 1) {
  registry.append(record(i));
  if (i % 2 === 0)
    registry.append({
      event: 'downloaded',
      id: record(i).id,
      at: new Date().toISOString(),
      path: '/tmp/r.jsonl',
    });
}
const appends = N + N / 2;
const writeUs = Number(process.hrtime.bigint() - t) / 1000 / appends;
const bytes = statSync(registry.file).size;
const runs = [];
for (let k = 0; k < 5; k += 1) {
  t = process.hrtime.bigint();
  const view = new Registry(dir).read();
  runs.push(Number(process.hrtime.bigint() - t) / 1e6);
  if (view.batches.size !== N) throw new Error('lost records');
}
runs.sort((a, b) => a - b);
console.log(
  `append: ${writeUs.toFixed(1)} µs per event (open, 1-byte tail check, one write, close; ${appends} events)`,
);
console.log(
  `read: ${N} batches, ${(bytes / 1e6).toFixed(1)} MB, median ${runs[2].toFixed(0)} ms to read and fold`,
);
rmSync(dir, { recursive: true, force: true });
