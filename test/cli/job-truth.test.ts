import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../../src/core/job/manifest.js';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { request, tempDir, writeText } from '../helpers/files.js';

// Every attempt of a request draws anew whether it errors (retryable types), so a retry changes results.
const ctx = useEmulator({ processingTimeMs: 100, faults: 'result-error=0.4', seed: 5 });
const clean = useEmulator({ processingTimeMs: 100 });
const dir = tempDir();
const creates = () => ctx.emulator.counts['POST /v1/messages/batches'] ?? 0;

/** Every file under a folder with its sha256: to prove nothing changed. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(root);
  return out;
}

const CSV = 'id,text\n1,Great product\n2,Broke after a day\n3,Fine I guess\n';

describe('jobs that tell the truth', () => {
  it('run <source> --dry-run writes nothing anywhere, even over a finished job', async () => {
    const csv = writeText(dir, 'reviews.csv', CSV);
    const state = join(dir, 'csv-job');
    const args = ['run', 'csv', csv, '--prompt-column', 'text', '--state', state, '--interval', '50ms'];
    expect((await runCli(args, { env: clean.env, cwd: dir })).code).toBe(0);
    const before = snapshot(state);
    // The same options: the plan, exit 0.
    const dry = await runCli([...args, '--dry-run'], { env: clean.env, cwd: dir });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('Dry run: nothing was sent.');
    expect(dry.stderr).toContain('(dry run: not kept)');
    expect(snapshot(state)).toEqual(before);
    // Other options: the dry run says what the real run would refuse, and still writes nothing.
    const other = await runCli([...args, '--max-tokens', '50', '--dry-run'], { env: clean.env, cwd: dir });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('  --max-tokens: was 1024, now 50\n');
    expect(snapshot(state)).toEqual(before);
    // A dry run of a new job does not create its folder.
    const fresh = join(dir, 'never-made');
    const dry2 = await runCli(['run', 'csv', csv, '--prompt-column', 'text', '--state', fresh, '--dry-run'], {
      env: clean.env,
      cwd: dir,
    });
    expect(dry2.code).toBe(0);
    expect(() => statSync(fresh)).toThrow();
  });

  it('run <source> with one option changed names it, from what to what, and changes nothing', async () => {
    const csv = writeText(dir, 'reviews2.csv', CSV);
    const state = join(dir, 'csv-job-2');
    const args = ['run', 'csv', csv, '--prompt-column', 'text', '--state', state, '--interval', '50ms'];
    expect((await runCli(args, { env: clean.env, cwd: dir })).code).toBe(0);
    const before = snapshot(state);
    const r = await runCli([...args, '--max-tokens', '50'], { env: clean.env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: The options changed since job \S+ started; refusing to mix two runs\n/);
    expect(r.stderr).toContain('  --max-tokens: was 1024, now 50\n');
    expect(r.stderr).toMatch(/hint: .*start a new job with --state <new folder>/);
    expect(snapshot(state)).toEqual(before);
  });

  it('run <source> whose input was edited since is refused, and the job is left as it was', async () => {
    const csv = writeText(dir, 'reviews3.csv', CSV);
    const state = join(dir, 'csv-job-3');
    const args = ['run', 'csv', csv, '--prompt-column', 'text', '--state', state, '--interval', '50ms'];
    expect((await runCli(args, { env: clean.env, cwd: dir })).code).toBe(0);
    const before = snapshot(state);
    writeText(dir, 'reviews3.csv', `${CSV}4,One more\n`);
    const r = await runCli(args, { env: clean.env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: The input changed since job \S+ started; refusing to mix two runs\n/);
    expect(r.stderr).toContain('no longer builds the requests the job was made from');
    expect(snapshot(state)).toEqual(before);
  });

  it('the results file a user named stays current: a re-run is a no-op that exits 0, a retry rewrites it', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify(request(`q${i}`, `Question ${i}`)));
    const input = writeText(dir, 'many.jsonl', `${lines.join('\n')}\n`);
    const state = join(dir, 'many-job');
    const named = join(dir, 'many-res.jsonl');
    const args = ['run', input, '--state', state, '--results', named, '--interval', '50ms'];
    const first = await runCli(args, { env: ctx.env, cwd: dir });
    expect(first.code).toBe(0);
    expect(readManifest(state)?.results_files).toEqual([named]);
    expect(readFileSync(named, 'utf8')).toBe(readFileSync(join(state, 'results.jsonl'), 'utf8'));
    const errored = readFileSync(named, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"errored"')).length;
    expect(errored).toBeGreaterThan(0);

    // The identical command again: nothing sent, exit 0, the file rewritten (not "already exists").
    const made = creates();
    const again = await runCli(args, { env: ctx.env, cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('already exists');
    expect(creates()).toBe(made);

    const retry = await runCli(['retry', state, '--interval', '50ms'], { env: ctx.env, cwd: dir });
    expect(retry.code).toBe(0);
    expect(retry.stderr).toContain(`Wrote ${join(state, 'results.jsonl')}, ${named}`);
    const after = readFileSync(named, 'utf8');
    expect(after).toBe(readFileSync(join(state, 'results.jsonl'), 'utf8'));
    expect(after.split('\n').filter((l) => l.includes('"errored"')).length).toBeLessThan(errored);
  });

  it('a run whose only failures expired says how to retry them (--expired), and retry says what the job holds', async () => {
    const lines = [
      JSON.stringify(request('ok', 'Hello')),
      JSON.stringify(request('late', 'EMULATE_EXPIRE please')),
    ];
    const input = writeText(dir, 'expiring.jsonl', `${lines.join('\n')}\n`);
    const state = join(dir, 'expiring-job');
    const r = await runCli(['run', input, '--state', state, '--interval', '50ms'], {
      env: clean.env,
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Retry what failed: claude-batch retry ${state} --expired`);
    const nothing = await runCli(['retry', state], { env: clean.env, cwd: dir });
    expect(nothing.code).toBe(0);
    expect(nothing.stderr).toMatch(
      /Nothing to retry in job \S+: it holds 1 succeeded, 1 expired \(add --expired to retry them\)/,
    );
  });
});
