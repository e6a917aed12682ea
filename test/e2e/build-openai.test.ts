import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/files.js';

// The built binary: convert the OpenAI batch example, submit it to the emulator, and find every
// request succeeded, then join the results back to the OpenAI file through the sidecar.
const ctx = useEmulator({ processingTimeMs: 300 });
const dir = tempDir();
const EXAMPLE = resolve('examples/openai-batch.jsonl');

const jsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('build openai, then submit, then results (spawned binary, emulator)', () => {
  it('every converted request succeeds and joins back to its OpenAI line', async () => {
    const out = join(dir, 'from-openai.jsonl');
    const build = await runBin(['build', 'openai', EXAMPLE, '--model', 'claude-haiku-4-5', '-o', out], {
      env: ctx.env,
    });
    expect(build.stderr).toMatch(/^✓ 5 requests written/);
    expect(build.stdout).toBe('');
    expect(build.code).toBe(0);
    const requests = jsonl(out);
    expect(requests.map((r) => r.custom_id)).toEqual(['req-1', 'req-2', 'req-3', 'req-4', 'req-5']);
    expect(requests[2].params.tools[0]).toMatchObject({
      name: 'get_weather',
      input_schema: { type: 'object' },
    });
    expect(requests[2].params.tool_choice).toEqual({ type: 'auto' });

    const submit = await runBin(['submit', out], { env: ctx.env });
    expect(submit.code).toBe(0);
    const id = submit.stdout.trim();
    expect(id).toMatch(/^msgbatch_\w+$/);

    ctx.endBatches();
    const resultsPath = join(dir, 'results.jsonl');
    const results = await runBin(['results', id, '-o', resultsPath], { env: ctx.env });
    expect(results.code).toBe(0);
    const got = jsonl(resultsPath);
    expect(got.map((r) => r.custom_id).sort()).toEqual(['req-1', 'req-2', 'req-3', 'req-4', 'req-5']);
    for (const r of got) expect(r.result.type).toBe('succeeded');

    const joined = join(dir, 'joined.jsonl');
    const joinRun = await runBin(
      [
        'results',
        '--join',
        EXAMPLE,
        '--requests',
        out,
        '--from',
        resultsPath,
        '--format',
        'jsonl',
        '-o',
        joined,
      ],
      { env: ctx.env },
    );
    expect(joinRun.stderr).toContain('Joined: 5 rows · 5 with a result · 0 without');
    expect(joinRun.code).toBe(0);
    const rows = jsonl(joined);
    expect(rows).toHaveLength(5);
    expect(rows.map((row) => row.custom_id)).toEqual(['req-1', 'req-2', 'req-3', 'req-4', 'req-5']);
    for (const row of rows) expect(row.result.result_type).toBe('succeeded');
    expect(rows[1].body.messages[0]).toEqual({
      role: 'developer',
      content: 'Describe images in one sentence.',
    });
  });
});
