import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { request, tempDir } from '../helpers/files.js';

const ctx = useEmulator({ processingTimeMs: 50, faults: 'result-error=0.5', seed: 3 });
const dir = tempDir();

/** The anthropic-beta header of each create the emulator received since `from`. */
const createBetas = (from: number) =>
  ctx.emulator.log
    .slice(from)
    .filter((e) => e.method === 'POST' && e.path === '/v1/messages/batches')
    .map((e) => e.beta);

function requests(name: string, count: number): string {
  const path = join(dir, name);
  const lines = Array.from({ length: count }, (_, i) => JSON.stringify(request(`r${i}`)));
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('--beta', () => {
  it('submit: repeatable and comma lists, once each, in order, as the anthropic-beta header of the create', async () => {
    const file = requests('submit.jsonl', 2);
    const from = ctx.emulator.log.length;
    const r = await runCli(
      [
        'submit',
        file,
        '--beta',
        'computer-use-2025-01-24, context-1m-2025-08-07',
        '--beta',
        'computer-use-2025-01-24',
        '--beta',
        'output-128k-2025-02-19',
      ],
      {
        env: ctx.env,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^msgbatch_\w+\n$/);
    expect(createBetas(from)).toEqual([
      'computer-use-2025-01-24,context-1m-2025-08-07,output-128k-2025-02-19',
    ]);
    // Without --beta, no header at all.
    const plain = ctx.emulator.log.length;
    expect((await runCli(['submit', file], { env: ctx.env })).code).toBe(0);
    expect(createBetas(plain)).toEqual([undefined]);
  });

  it('a name this version does not know is a warning with the closest known one; --strict refuses it, sending nothing', async () => {
    const file = join(dir, 'typo.jsonl');
    writeFileSync(file, `${JSON.stringify(request('typo'))}\n`);
    const dry = await runCli(['submit', file, '--dry-run', '--beta', 'files-api-2025-04-1'], {
      env: ctx.env,
    });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(
      'warning: beta "files-api-2025-04-1" is not one this version knows (did you mean files-api-2025-04-14?); the API refuses a beta it does not know',
    );
    const from = ctx.emulator.log.length;
    const strict = await runCli(['submit', file, '--strict', '--beta', 'files-api-2025-04-1'], {
      env: ctx.env,
    });
    expect(strict.code).toBe(2);
    expect(strict.stdout).toBe('');
    expect(ctx.emulator.log.slice(from).filter((e) => e.method === 'POST')).toEqual([]);
  });

  it('an empty name is a usage error before anything is sent', async () => {
    const file = requests('empty.jsonl', 1);
    const from = ctx.emulator.log.length;
    const r = await runCli(['submit', file, '--beta', ' , '], { env: ctx.env });
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('give a beta name, such as files-api-2025-04-14.');
    expect(r.code).toBe(2);
    expect(createBetas(from)).toEqual([]);
  });

  it("retry BATCH --beta resends with the header; retry JOB sends the job's own and refuses another", async () => {
    const file = requests('retry.jsonl', 20);
    const state = join(dir, 'job');
    const run = await runCli(
      ['run', file, '--state', state, '--beta', 'files-api-2025-04-14', '--interval', '50ms'],
      {
        env: ctx.env,
      },
    );
    expect(run.code, run.stderr).toBe(0);

    const refused = await runCli(['retry', state, '--beta', 'other'], { env: ctx.env });
    expect(refused.stderr.split('\n')[0]).toBe(
      `error: retry ${state}: --beta is for a batch id; a job's batches are sent with the betas it was run with`,
    );
    expect(refused.code).toBe(2);

    const from = ctx.emulator.log.length;
    const retried = await runCli(['retry', state, '--interval', '50ms'], { env: ctx.env });
    expect(retried.code, retried.stderr).toBe(0);
    const sent = createBetas(from);
    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent)).toEqual(new Set(['files-api-2025-04-14']));

    const id = (await runCli(['submit', file], { env: ctx.env })).stdout.trim();
    ctx.endBatches();
    const before = ctx.emulator.log.length;
    const one = await runCli(['retry', id, '--requests', file, '--beta', 'files-api-2025-04-14'], {
      env: ctx.env,
    });
    expect(one.code, one.stderr).toBe(0);
    expect(createBetas(before)).toEqual(['files-api-2025-04-14']);
  });
});
