import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/files.js';

// The built binary: build a request file from a real CSV, submit it to the emulator, and join
// every result back to its input row through the sidecar.
const ctx = useEmulator({ processingTimeMs: 300 });
const dir = tempDir();
const FIX = resolve('test/fixtures/build');

const jsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('build, then submit, then results (spawned binary, emulator)', () => {
  it('one result per row, joined back to the input through the sidecar', async () => {
    const out = join(dir, 'reviews.jsonl');
    const build = await runBin(
      [
        'build',
        'csv',
        `${FIX}/reviews.csv`,
        '--template',
        '{{product}}: {{text}}',
        '--id-column',
        'review_id',
        '--system',
        'Answer in one word.',
        '--cache-system',
        '-o',
        out,
      ],
      { env: ctx.env },
    );
    expect(build.stderr).toMatch(/^✓ 5 requests written/);
    expect(build.code).toBe(0);
    expect(build.stdout).toBe('');

    const dry = await runBin(['submit', out, '--dry-run'], { env: {} });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('5 valid requests');

    const submit = await runBin(['submit', out], { env: ctx.env });
    expect(submit.code).toBe(0);
    const id = submit.stdout.trim();
    expect(id).toMatch(/^msgbatch_\w+$/);

    ctx.endBatches();
    expect((await runBin(['status', id], { env: ctx.env })).stdout).toContain('ended');
    const resultsPath = join(dir, 'results.jsonl');
    const results = await runBin(['results', id, '-o', resultsPath], { env: ctx.env });
    expect(results.code).toBe(0);
    const byId = new Map(jsonl(resultsPath).map((r) => [r.custom_id as string, r]));
    expect(byId.size).toBe(5);

    const [header, ...map] = jsonl(join(dir, 'reviews.jsonl.map'));
    expect(header).toMatchObject({ claude_batch_map: 1, source: 'csv', delimiter: ',' });
    expect(map.map((m) => m.id)).toEqual(['r-001', 'r-002', 'r-003', 'r-004', 'r_005']);
    for (const entry of map) expect(byId.get(entry.custom_id)?.result.type).toBe('succeeded');
  });

  it('stdin to stdout: a pipe from build into submit', async () => {
    const built = await runBin(['build', 'text', '-', '-o', '-'], { input: 'one\ntwo\nthree\n' });
    expect(built.code).toBe(0);
    expect(built.stderr).toContain('✓ 3 requests written to stdout');
    const submit = await runBin(['submit', '-', '--dry-run'], { input: built.stdout });
    expect(submit.code).toBe(0);
    expect(submit.stderr).toContain('3 valid requests');
  });

  it("a Python builder written as the original skill's README example: built, submitted, answered", async () => {
    const out = join(dir, 'python.jsonl');
    const build = await runBin(['build', 'custom', 'examples/builder.py', '-o', out], { env: ctx.env });
    expect(build.stderr).toMatch(/^✓ 3 requests written/);
    expect(build.code).toBe(0);
    expect(build.stdout).toBe('');
    expect(jsonl(out).map((l) => [l.custom_id, l.params.model, l.params.max_tokens])).toEqual([
      ['question-1', 'claude-haiku-4-5', 1024],
      ['question-2', 'claude-haiku-4-5', 1024],
      ['question-3', 'claude-haiku-4-5', 1024],
    ]);
    const [header, ...map] = jsonl(`${out}.map`);
    expect(header).toEqual({ claude_batch_map: 1, source: 'custom', input: { name: 'examples/builder.py' } });
    expect(map.map((m) => m.custom_id)).toEqual(['question-1', 'question-2', 'question-3']);

    const submit = await runBin(['submit', out], { env: ctx.env });
    expect(submit.code).toBe(0);
    const id = submit.stdout.trim();
    expect(id).toMatch(/^msgbatch_\w+$/);
    ctx.endBatches();
    const resultsPath = join(dir, 'python-results.jsonl');
    const results = await runBin(['results', id, '-o', resultsPath], { env: ctx.env });
    expect(results.code).toBe(0);
    expect(
      jsonl(resultsPath)
        .map((r) => [r.custom_id, r.result.type])
        .sort(),
    ).toEqual([
      ['question-1', 'succeeded'],
      ['question-2', 'succeeded'],
      ['question-3', 'succeeded'],
    ]);
  });

  it('a Python builder without python3 (CLAUDE_BATCH_PYTHON at a missing path): exit 1, what to do', async () => {
    const missing = join(dir, 'no-python-here');
    const r = await runBin(['build', 'custom', 'examples/builder.py', '-o', join(dir, 'never.jsonl')], {
      env: { CLAUDE_BATCH_PYTHON: missing },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: cannot run ${missing}: not found\nhint: a .py builder needs Python 3: install it, or set CLAUDE_BATCH_PYTHON to its path\n`,
    );
  });

  it('a TypeScript module runs where Node strips types; otherwise the error says what to do', async () => {
    const out = join(dir, 'typed.jsonl');
    const r = await runBin(['build', 'custom', `${FIX}/typed.ts`, '-o', out]);
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    if (major > 22 || (major === 22 && minor >= 18)) {
      expect(r.code).toBe(0);
      expect((await runBin(['submit', out, '--dry-run'])).code).toBe(0);
    } else {
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('does not run TypeScript');
      expect(r.stderr).toContain('hint: use Node 22.18+');
    }
  });
});
