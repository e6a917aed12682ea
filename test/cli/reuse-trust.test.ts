/**
 * Reuse is never silently wrong: a results file rewritten by another batch's download, an answer
 * replaced by a retry, a job whose API is unknown.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { request, tempDir } from '../helpers/files.js';

const emu = useEmulator({ processingTimeMs: 0 });
const faulty = useEmulator({ processingTimeMs: 50, faults: 'invalid-output=0.5', seed: 3 });

const summaryOf = (r: { stdout: string }) => JSON.parse(r.stdout.trim().split('\n').at(-1) as string);

describe('a results file downloaded again for another batch', () => {
  it('answers only for the batch that wrote it last, and not at all once it changed', async () => {
    const dir = tempDir();
    const env = { ...emu.env, CLAUDE_BATCH_HOME: join(dir, 'registry') };
    const lines = (q: string) =>
      `${['r1', 'r2'].map((id) => JSON.stringify(request(id, `Question ${q} ${id}`))).join('\n')}\n`;
    writeFileSync(join(dir, 'x.jsonl'), lines('AAA'));
    writeFileSync(join(dir, 'y.jsonl'), lines('BBB'));
    const ids: string[] = [];
    for (const file of ['x.jsonl', 'y.jsonl']) {
      const sent = await runCli(['submit', join(dir, file)], { env, cwd: dir });
      expect(sent.code, sent.stderr).toBe(0);
      const id = sent.stdout.trim();
      const m = await runCli(['monitor', id], { env, cwd: dir });
      expect(m.code, m.stderr).toBe(0);
      ids.push(id);
    }
    const [x, y] = ids as [string, string];
    const out = join(dir, 'out.jsonl');
    expect((await runCli(['results', x, '-o', out], { env, cwd: dir })).code).toBe(0);
    const again = await runCli(['results', y, '-o', out, '--force'], { env, cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out.jsonl'), 'utf8')).toContain('BBB');

    // X's questions: out.jsonl holds Y's answers now, so nothing is reused for them.
    const forX = await runCli(
      ['run', 'x.jsonl', '--state', 'fx', '--reuse', '--interval', '50ms', '--json'],
      {
        env,
        cwd: dir,
      },
    );
    expect(forX.code, forX.stderr).toBe(0);
    expect(summaryOf(forX)).toMatchObject({ total: 2, reused: 0 });
    const answers = readFileSync(join(dir, 'fx', 'results.jsonl'), 'utf8');
    expect(answers).toContain('AAA');
    expect(answers).not.toContain('BBB');
    // Y's questions, named by the file: reused.
    const forY = await runCli(['submit', join(dir, 'y.jsonl'), '--reuse', out, '--dry-run'], {
      env,
      cwd: dir,
    });
    expect(forY.code, forY.stderr).toBe(0);
    expect(forY.stderr).toContain('Reuse: 2 of 2 requests answered before');

    // Changed since downloaded: skipped, and said.
    writeFileSync(out, `${readFileSync(out, 'utf8')}\n`);
    const changed = await runCli(['submit', join(dir, 'y.jsonl'), '--reuse', '--dry-run'], { env, cwd: dir });
    expect(changed.stderr).toContain('Reuse: 0 of 2 requests answered before');
    expect(changed.stderr).toContain('Reuse: skipped 1 results file changed since downloaded');
    const named = await runCli(['submit', join(dir, 'y.jsonl'), '--reuse', out, '--dry-run'], {
      env,
      cwd: dir,
    });
    expect(named.code).toBe(2);
    expect(named.stderr).toContain('out.jsonl changed since the results of');
  }, 60_000);
});

describe('a job whose answers a retry replaced', () => {
  const SCHEMA = {
    type: 'object',
    properties: { score: { type: 'integer' }, label: { type: 'string', enum: ['a', 'b'] } },
    required: ['score', 'label'],
    additionalProperties: false,
  };

  it('reuses the latest answer, and never an invalid structured one', async () => {
    const dir = tempDir();
    const env = { ...faulty.env, CLAUDE_BATCH_HOME: join(dir, 'registry') };
    writeFileSync(join(dir, 'schema.json'), JSON.stringify(SCHEMA));
    writeFileSync(
      join(dir, 'rows.csv'),
      `text\n${Array.from({ length: 16 }, (_, i) => `row ${i}`).join('\n')}\n`,
    );
    const args = ['run', 'csv', 'rows.csv', '--prompt-column', 'text', '--schema', 'schema.json'];
    const first = await runCli([...args, '--state', 'first', '--interval', '50ms'], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    const invalid = (text: string) => Number(/(\d+) invalid/.exec(text)?.[1] ?? 0);
    const before = invalid(first.stderr);
    expect(before).toBeGreaterThan(2);
    const retry = await runCli(['retry', 'first', '--invalid-output', '--interval', '50ms'], {
      cwd: dir,
      env,
    });
    expect(retry.code, retry.stderr).toBe(0);
    const after = invalid(retry.stderr);
    expect(after).toBeLessThan(before);

    const second = await runCli(
      [...args, '--state', 'second', '--reuse', 'first', '--interval', '50ms', '--json'],
      { cwd: dir, env },
    );
    expect(second.code, second.stderr).toBe(0);
    // Every answer valid now is reused (the retried ones too); the still-invalid ones are sent again.
    expect(summaryOf(second)).toMatchObject({ total: 16, reused: 16 - after });
    const text = await runCli([...args, '--state', 'third', '--reuse', 'first', '--interval', '50ms'], {
      cwd: dir,
      env,
    });
    expect(text.code, text.stderr).toBe(0);
    if (after > 0)
      expect(text.stderr).toContain(`(${after} of them answered before with an invalid structured answer`);
  }, 60_000);
});

describe('a job the registry has no batch of', () => {
  it('is refused: its API, workspace and betas are unknown', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.jsonl'), `${JSON.stringify(request('q0', 'Unknown origin'))}\n`);
    const made = await runCli(['run', 'a.jsonl', '--state', 'first', '--interval', '50ms'], {
      env: { ...emu.env, CLAUDE_BATCH_HOME: join(dir, 'home-a') },
      cwd: dir,
    });
    expect(made.code, made.stderr).toBe(0);
    const reused = await runCli(['run', 'a.jsonl', '--state', 'again', '--reuse', 'first'], {
      env: { ...emu.env, CLAUDE_BATCH_HOME: join(dir, 'home-b') },
      cwd: dir,
    });
    expect(reused.code).toBe(2);
    expect(reused.stderr).toContain('The registry has no batch of job');
    expect(reused.stderr).toContain('are unknown');
  }, 60_000);
});
