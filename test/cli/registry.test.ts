import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/server.js';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';

const emu = useEmulator({ processingTimeMs: 0 });

/** A registry of the test's own, so that what it lists is only what it made. */
function home(): Record<string, string> {
  return { ...emu.env, CLAUDE_BATCH_HOME: join(tempDir(), 'registry') };
}

describe('the registry', () => {
  it('list shows the label and source of batches made here; --label filters; --json has them', async () => {
    const env = home();
    const dir = tempDir();
    const a = await runCli(['submit', writeRequests(dir, 'a.jsonl', 2), '--label', 'exp-a'], {
      env,
      cwd: dir,
    });
    const b = await runCli(['submit', writeRequests(dir, 'b.jsonl', 3), '--label', 'exp-b'], {
      env,
      cwd: dir,
    });
    expect(a.code, a.stderr).toBe(0);
    const idA = a.stdout.trim();
    const idB = b.stdout.trim();
    const list = await runCli(['list', '--limit', '50'], { env, cwd: dir });
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+REQUESTS\s+CREATED \(UTC\)\s+LABEL\s+SOURCE$/);
    expect(list.stdout).toMatch(new RegExp(`${idA}\\s+\\S+\\s+2\\s+.*exp-a\\s+a\\.jsonl`));
    expect(list.stdout).toMatch(new RegExp(`${idB}\\s+\\S+\\s+3\\s+.*exp-b\\s+b\\.jsonl`));
    const only = await runCli(['list', '--label', 'exp-b', '--json'], { env, cwd: dir });
    const rows = JSON.parse(only.stdout) as Array<{ id: string; label: string; source: string }>;
    expect(rows.map((r) => r.id)).toEqual([idB]);
    expect(rows[0]).toMatchObject({ label: 'exp-b', source: join(dir, 'b.jsonl') });
    // Batches made elsewhere (another registry) show blank.
    const other = await runCli(['list', '--limit', '50', '--json'], { env: home(), cwd: dir });
    const seen = (JSON.parse(other.stdout) as Array<{ id: string; label: unknown }>).find(
      (r) => r.id === idA,
    );
    expect(seen?.label).toBeNull();
  });

  it('status shows the label, the source, the job and until when the results can be downloaded', async () => {
    const env = home();
    const dir = tempDir();
    const file = writeRequests(dir, 'st.jsonl', 2);
    const run = await runCli(['run', file, '--label', 'nightly', '--interval', '50ms'], { env, cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const [row] = JSON.parse((await runCli(['list', '--label', 'nightly', '--json'], { env })).stdout);
    const status = await runCli(['status', row.id], { env, cwd: dir });
    expect(status.stdout).toMatch(/^Label\s+nightly$/m);
    expect(status.stdout).toContain(`Source    ${file}`);
    expect(status.stdout).toMatch(/^Job\s+job-[0-9a-f]{12} \(/m);
    expect(status.stdout).toMatch(
      /^Until\s+\d{4}-\d\d-\d\d .* UTC \(in 28d 23h\): results can be downloaded until then · downloaded/m,
    );
    const json = JSON.parse((await runCli(['status', row.id, '--json'], { env })).stdout);
    expect(json).toMatchObject({ label: 'nightly', source: file, job_id: expect.stringMatching(/^job-/) });
    expect(Date.parse(json.results_expire_at) - Date.parse(json.created_at)).toBe(29 * 24 * 3600_000);
  });

  it('results ID --join INPUT finds the map by itself (and still refuses an edited input)', async () => {
    const env = home();
    const dir = tempDir();
    const csv = join(dir, 'rows.csv');
    writeFileSync(csv, 'id,text\na,hello\nb,world\n');
    const built = await runCli(
      ['build', 'csv', csv, '--prompt-column', 'text', '--id-column', 'id', '-o', join(dir, 'req.jsonl')],
      { env },
    );
    expect(built.code, built.stderr).toBe(0);
    const id = (await runCli(['submit', join(dir, 'req.jsonl')], { env, cwd: dir })).stdout.trim();
    await runCli(['monitor', id, '--interval', '50ms'], { env });
    const joined = await runCli(['results', id, '--join', csv, '--format', 'csv'], { env, cwd: tempDir() });
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.stdout.split('\n')[0]).toMatch(/^id,text,result_type,result_text/);
    expect(joined.stdout).toMatch(/^a,hello,succeeded,/m);
    expect(joined.stderr).toContain(`the map the registry recorded for ${id}: ${join(dir, 'req.jsonl.map')}`);
    writeFileSync(csv, 'id,text\na,hello\nb,edited\n');
    const refused = await runCli(['results', id, '--join', csv], { env });
    expect(refused.code).toBe(2);
    // A batch the registry does not know: the flags are asked for.
    const unknown = await runCli(['results', id, '--join', csv], { env: home() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /registry knows none for batch .*\nhint: give --map FILE, or --requests FILE/,
    );
  });

  it('job status, job results and job list work from another folder', async () => {
    const env = home();
    const dir = tempDir();
    const file = writeRequests(dir, 'far.jsonl', 3);
    const run = await runCli(['run', file, '--interval', '50ms', '--json'], { env, cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const jobId = JSON.parse(run.stdout.trim().split('\n').at(-1) as string).job_id as string;
    const elsewhere = tempDir();
    const status = await runCli(['job', 'status', jobId], { env, cwd: elsewhere });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/\(done\) · 3 requests · 1 shard/);
    const results = await runCli(['job', 'results', jobId, '--format', 'compact'], { env, cwd: elsewhere });
    expect(results.stdout.trim().split('\n')).toHaveLength(3);
    const list = JSON.parse((await runCli(['job', 'list', '--json'], { env, cwd: elsewhere })).stdout);
    expect(list.map((j: { job_id: string }) => j.job_id)).toEqual([jobId]);
    const here = await runCli(['job', 'list', '--here', '--json'], { env, cwd: elsewhere });
    expect(JSON.parse(here.stdout)).toEqual([]);
    const retry = await runCli(['retry', jobId], { env, cwd: elsewhere });
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stderr).toMatch(/Nothing to retry in job/);
    const missing = await runCli(['job', 'status', 'job-000000000000'], { env, cwd: elsewhere });
    expect(missing.code).toBe(3);
  });

  it('report JOB finds the job through the registry from another folder', async () => {
    const env = home();
    const dir = tempDir();
    const file = writeRequests(dir, 'rep.jsonl', 3);
    const run = await runCli(['run', file, '--interval', '50ms', '--json'], { env, cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const jobId = JSON.parse(run.stdout.trim().split('\n').at(-1) as string).job_id as string;
    const elsewhere = tempDir();
    const report = await runCli(['report', jobId, '-o', 'r.html'], { env, cwd: elsewhere });
    expect(report.code, report.stderr).toBe(0);
    expect(readFileSync(join(elsewhere, 'r.html'), 'utf8')).toMatch(/<html/i);
    const missing = await runCli(['report', 'job-000000000000', '-o', 'm.html'], { env, cwd: elsewhere });
    expect(missing.code).not.toBe(0);
  });

  it('forget marks entries (kept); delete marks them deleted', async () => {
    const env = home();
    const dir = tempDir();
    const id = (
      await runCli(['submit', writeRequests(dir, 'f.jsonl', 1), '--label', 'gone'], { env })
    ).stdout.trim();
    const forget = await runCli(['forget', id], { env });
    expect(forget.code, forget.stderr).toBe(0);
    expect(forget.stdout).toBe(`${id} forgotten\n`);
    const list = await runCli(['list', '--label', 'gone'], { env });
    expect(list.stderr).toContain('No batches labelled "gone"');
    const registry = readFileSync(join(env.CLAUDE_BATCH_HOME as string, 'batches.jsonl'), 'utf8');
    expect(registry).toContain(`"event":"batch","id":"${id}"`);
    expect(registry).toContain(`"event":"forgotten","id":"${id}"`);
    expect((await runCli(['forget', 'msgbatch_nope'], { env })).code).toBe(2);
    await runCli(['monitor', id, '--interval', '50ms'], { env });
    expect((await runCli(['delete', id], { env })).code).toBe(0);
    expect(readFileSync(join(env.CLAUDE_BATCH_HOME as string, 'batches.jsonl'), 'utf8')).toContain(
      `"event":"deleted","id":"${id}"`,
    );
  });

  it('an unwritable registry never fails a submit: one warning', async () => {
    const dir = tempDir();
    const blocked = join(dir, 'not-a-folder');
    writeFileSync(blocked, '');
    const env = { ...emu.env, CLAUDE_BATCH_HOME: join(blocked, 'registry') };
    const r = await runCli(['submit', writeRequests(dir, 'w.jsonl', 1), '--label', 'x'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^msgbatch_\S+\n$/);
    expect(r.stderr.match(/warning: the batch registry/g)).toHaveLength(1);
  });

  it('the registry never holds the key', async () => {
    const env: Record<string, string> = { ...home(), ANTHROPIC_API_KEY: 'sk-ant-canary-0123456789abcdef' };
    const dir = tempDir();
    await runCli(['submit', writeRequests(dir, 'k.jsonl', 1)], { env });
    const text = readFileSync(join(env.CLAUDE_BATCH_HOME as string, 'batches.jsonl'), 'utf8');
    expect(text).toContain('"event":"batch"');
    expect(text).not.toContain('canary');
  });
});

describe('monitor with no ids', () => {
  const slow = useEmulator({ processingTimeMs: 60_000, stoppedClock: true });

  it('says so when the registry knows no unfinished batch here; else watches them all', async () => {
    const env = { ...slow.env, CLAUDE_BATCH_HOME: join(tempDir(), 'registry') };
    const none = await runCli(['monitor'], { env });
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(
      /^error: No unfinished batches in the registry for http:\/\/127\.0\.0\.1:\d+\n/,
    );
    const dir = tempDir();
    const a = (await runCli(['submit', writeRequests(dir, 'm1.jsonl', 1)], { env })).stdout.trim();
    const b = (await runCli(['submit', writeRequests(dir, 'm2.jsonl', 2)], { env })).stdout.trim();
    slow.endBatches();
    const watched = await runCli(['monitor', '--interval', '50ms', '--json'], { env });
    expect(watched.code, watched.stderr).toBe(0);
    const summary = JSON.parse(watched.stdout.trim().split('\n').at(-1) as string);
    expect(summary.batches.map((x: { id: string }) => x.id).sort()).toEqual([a, b].sort());
    // Both are now known ended: nothing left to watch.
    expect((await runCli(['monitor'], { env })).code).toBe(3);
  });
});

describe('results that the API deletes after 29 days', () => {
  let old: Emulator;
  beforeAll(async () => {
    // An API whose clock is 27 days behind: its batches were created 27 days ago.
    old = await startEmulator({ processingTimeMs: 0, now: () => Date.now() - 27 * 24 * 3600_000 });
  });
  afterAll(async () => {
    await old.close();
  });

  it('list marks ended batches whose results were not downloaded; monitor warns', async () => {
    const env = {
      ANTHROPIC_BASE_URL: old.url,
      ANTHROPIC_API_KEY: 'test-key',
      CLAUDE_BATCH_HOME: join(tempDir(), 'registry'),
    };
    const dir = tempDir();
    const id = (await runCli(['submit', writeRequests(dir, 'old.jsonl', 1)], { env })).stdout.trim();
    const list = await runCli(['list'], { env });
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+ended!`));
    expect(list.stderr).toMatch(/^! results not downloaded and deleted by the API within 3 days/m);
    const monitor = await runCli(['monitor', id, '--interval', '50ms'], { env });
    expect(monitor.stderr).toMatch(
      new RegExp(`warning: the results of ${id} are deleted by the API on .* and were not downloaded`),
    );
    expect((await runCli(['results', id, '-o', join(dir, 'kept.jsonl')], { env })).code).toBe(0);
    const after = await runCli(['list'], { env });
    expect(after.stdout).not.toContain('ended!');
    expect(after.stderr).not.toContain('results not downloaded');
  });
});
