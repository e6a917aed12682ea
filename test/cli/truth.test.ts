import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../../src/core/job/manifest.js';
import { runCli } from '../helpers/cli.js';
import { useEmulator, waitFor } from '../helpers/emulator.js';
import { request, tempDir, writeRequests, writeText } from '../helpers/files.js';

describe('messages that tell the truth', () => {
  const emu = useEmulator();
  const slow = useEmulator({ processingTimeMs: 60_000 });

  it('monitor of an id the API does not know: not found at once (exit 3), no retrying', async () => {
    const started = Date.now();
    const r = await runCli(['monitor', 'msgbatch_nope', '--timeout', '30s'], { env: emu.env });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: Batch not found: msgbatch_nope\n/m);
    expect(r.stderr).not.toMatch(/retrying|still running/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('status GOOD BAD shows the good one on stdout and reports the bad one (exit 3)', async () => {
    const dir = tempDir();
    const id = (await runCli(['submit', writeRequests(dir, 'one.jsonl', 2)], { env: emu.env })).stdout.trim();
    const r = await runCli(['status', id, 'msgbatch_nope'], { env: emu.env });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`Batch     ${id}`);
    expect(r.stderr).toMatch(/^error: Batch not found: msgbatch_nope\n/);
    const json = await runCli(['status', id, 'msgbatch_nope', '--json'], { env: emu.env });
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout).map((b: { id: string }) => b.id)).toEqual([id]);
  });

  it('status of a running batch gives its age once (no "(… ago)" beside it)', async () => {
    const dir = tempDir();
    const id = (
      await runCli(['submit', writeRequests(dir, 'age.jsonl', 1)], { env: slow.env })
    ).stdout.trim();
    const r = await runCli(['status', id], { env: slow.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Created +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/m);
    expect(r.stdout).toMatch(/^Age +\S+$/m);
    expect(r.stdout).not.toContain(' ago)');
  });

  it('Ctrl-C during monitor --results: the hint keeps --results and -o', async () => {
    const dir = tempDir();
    const id = (
      await runCli(['submit', writeRequests(dir, 'long.jsonl', 1)], { env: slow.env })
    ).stdout.trim();
    const controller = new AbortController();
    const out = join(dir, 'long results.jsonl');
    const log = join(dir, 'log.jsonl');
    const polls = () => slow.emulator.log.filter((l) => l.method === 'GET').length;
    const before = polls();
    const report = join(dir, 'report.html');
    const watching = runCli(
      ['monitor', id, '--results', out, '-o', log, '--report', report, '--interval', '50ms'],
      {
        env: slow.env,
        signal: controller.signal,
      },
    );
    await waitFor(() => polls() > before, 'the first poll of the monitor');
    controller.abort();
    const r = await watching;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(
      `hint: watch again with: claude-batch monitor ${id} --results '${out}' -o ${log} --report ${report}\n`,
    );
  });

  it('several batches end with one table, the totals and the cost of what was downloaded', async () => {
    const dir = tempDir();
    const ids: string[] = [];
    for (const name of ['a.jsonl', 'b.jsonl', 'c.jsonl'])
      ids.push((await runCli(['submit', writeRequests(dir, name, 2)], { env: emu.env })).stdout.trim());
    const r = await runCli(['monitor', ...ids, '--interval', '50ms', '--results', join(dir, 'all')], {
      env: emu.env,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^BATCH +STATUS +TOTAL +SUCCEEDED +ERRORED +EXPIRED +CANCELED +TOOK$/m);
    for (const id of ids) expect(r.stderr).toMatch(new RegExp(`^${id} +ended +2 +2 +0 +0 +0 `, 'm'));
    expect(r.stderr).toContain(
      '3 batches: 6 requests · 6 succeeded (100.0%) · 0 errored · 0 expired · 0 canceled',
    );
    expect(r.stderr).toMatch(/^Cost: \$[\d.]+ at batch prices/m);
    expect(r.stderr).not.toContain('  Processing');
  });

  it('submit --dry-run labels the file size and the request body size apart; one request is singular', async () => {
    const dir = tempDir();
    const file = writeRequests(dir, 'one.jsonl', 1);
    const r = await runCli(['submit', file, '--dry-run'], { env: {} });
    expect(r.code).toBe(0);
    const size = statSync(file).size;
    expect(r.stderr).toContain(
      `: 1 valid request (claude-haiku-4-5 ×1) · file ${size} B · request body ${size - 1 + 15} B`,
    );
    const json = await runCli(['submit', file, '--dry-run', '--json'], { env: {} });
    expect(JSON.parse(json.stdout)).toMatchObject({
      dry_run: true,
      fileBytes: size,
      bodyBytes: size - 1 + 15,
    });
  });

  it('no "(s)" or "(es)" in what people read', async () => {
    const dir = tempDir();
    const file = writeRequests(dir, 'job.jsonl', 3);
    const r = await runCli(['run', file, '--state', join(dir, 'job'), '--max-requests', '1', '--dry-run'], {
      env: {},
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('3 requests in 3 shards');
    expect(r.stderr).not.toMatch(/\((s|es)\)/);
  });

  it('the same formats wherever results are written: results --format csv (flat), job results --format compact|csv', async () => {
    const dir = tempDir();
    const file = writeText(
      dir,
      'fmt.jsonl',
      `${[request('a', 'Hello, "world"'), request('b', 'EMULATE_ERROR=overloaded_error')].map((r) => JSON.stringify(r)).join('\n')}\n`,
    );
    const state = join(dir, 'fmt-job');
    const run = await runCli(['run', file, '--state', state, '--interval', '50ms'], { env: emu.env });
    expect(run.code).toBe(0);
    const id = readManifest(state)?.shards[0]?.attempts[0]?.batch_id as string;

    const csv = await runCli(['results', id, '--format', 'csv'], { env: emu.env });
    expect(csv.code).toBe(0);
    const rows = csv.stdout.trimEnd().split('\n').sort();
    expect(rows[0]).toMatch(/^a,succeeded,"?Emulated answer /);
    expect(rows[1]).toMatch(/^b,errored,,,,,overloaded_error,Emulated overloaded_error/);
    expect(rows[2]).toBe(
      'custom_id,result_type,result_text,result_stop_reason,result_input_tokens,result_output_tokens,result_error_type,result_error_message',
    );

    const compact = await runCli(['job', 'results', state, '--format', 'compact'], { env: emu.env });
    expect(compact.code).toBe(0);
    const lines = compact.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.custom_id).sort()).toEqual(['a', 'b']);
    expect(lines.find((l) => l.custom_id === 'b')).toMatchObject({
      type: 'errored',
      error_type: 'overloaded_error',
    });

    const jobCsv = await runCli(['job', 'results', state, '--format', 'csv'], { env: emu.env });
    expect(jobCsv.stdout.trimEnd().split('\n').sort()).toEqual(rows);
  });

  it('jobs are found from a subfolder of where run started (walking up)', async () => {
    const dir = tempDir();
    const file = writeRequests(dir, 'up.jsonl', 2);
    const run = await runCli(['run', file, '--interval', '50ms'], { env: emu.env, cwd: dir });
    expect(run.code).toBe(0);
    const deep = join(dir, 'a', 'b');
    mkdirSync(deep, { recursive: true });
    const list = await runCli(['job', 'list', '--here', '--json'], { env: emu.env, cwd: deep });
    const jobs = JSON.parse(list.stdout);
    expect(jobs).toHaveLength(1);
    const status = await runCli(['job', 'status', jobs[0].job_id], { env: emu.env, cwd: deep });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/\(done\) · 2 requests · 1 shard/);
  });

  it('estimate - reads stdin, as submit - and build - do', async () => {
    const dir = tempDir();
    const text = readFileSync(writeRequests(dir, 'est.jsonl', 3), 'utf8');
    const r = await runCli(['estimate', '-', '--json'], { env: {}, stdin: text });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ requests: 3 });
    const bad = await runCli(['estimate', '-'], { env: {}, stdin: 'not json\n' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: stdin:1: /);
  });

  it('output files in missing folders: every output flag creates the parents', async () => {
    const dir = tempDir();
    const csv = writeText(dir, 'in.csv', 'text\nhello\n');
    const built = await runCli(
      ['build', 'csv', csv, '--prompt-column', 'text', '-o', join(dir, 'new', 'r.jsonl')],
      {
        env: {},
      },
    );
    expect(built.code).toBe(0);
    expect(statSync(join(dir, 'new', 'r.jsonl')).isFile()).toBe(true);
    const id = (await runCli(['submit', join(dir, 'new', 'r.jsonl')], { env: emu.env })).stdout.trim();
    const mon = await runCli(
      ['monitor', id, '--interval', '50ms', '--results', join(dir, 'out', 'deeper', 'x.jsonl')],
      {
        env: emu.env,
      },
    );
    expect(mon.code).toBe(0);
    const res = await runCli(['results', id, '-o', join(dir, 'nodir', 'r.jsonl')], { env: emu.env });
    expect(res.code).toBe(0);
    expect(readFileSync(join(dir, 'nodir', 'r.jsonl'), 'utf8')).toBe(
      readFileSync(join(dir, 'out', 'deeper', 'x.jsonl'), 'utf8'),
    );
    // A file where a folder should be: a clear one-line error, exit 2.
    const blocked = await runCli(['results', id, '-o', join(csv, 'r.jsonl')], { env: emu.env });
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toMatch(
      /^error: cannot write .*in\.csv\/r\.jsonl: a part of the path is not a folder\n/,
    );
  });

  it('--json documents: a poll from run --json has the shape of one from monitor --json; results --json has its cost', async () => {
    const dir = tempDir();
    const file = writeRequests(dir, 'poll.jsonl', 2);
    const run = await runCli(['run', file, '--state', join(dir, 'job'), '--interval', '50ms', '--json'], {
      env: emu.env,
    });
    expect(run.code).toBe(0);
    const events = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const poll = events.find((e) => e.type === 'poll');
    const id = poll.batches[0].id as string;
    const mon = await runCli(['monitor', id, '--json'], { env: emu.env });
    const monPoll = mon.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((e) => e.type === 'poll');
    expect(Object.keys(poll).sort()).toEqual(Object.keys(monPoll).sort());
    expect(Object.keys(poll.batches[0]).sort()).toEqual(Object.keys(monPoll.batches[0]).sort());

    const res = await runCli(['results', id, '--json', '-o', join(dir, 'r.jsonl')], { env: emu.env });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).cost).toMatchObject({
      batch_usd: expect.any(Number),
      standard_usd: expect.any(Number),
      unknown_models: [],
    });
  });

  it('list --json says on stderr when more batches exist than it shows', async () => {
    const dir = tempDir();
    for (const name of ['l1.jsonl', 'l2.jsonl', 'l3.jsonl'])
      await runCli(['submit', writeRequests(dir, name, 1)], { env: emu.env });
    const r = await runCli(['list', '--limit', '2', '--json'], { env: emu.env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveLength(2);
    expect(r.stderr).toBe('Showing the 2 newest batches; use --limit N or --all for more.\n');
    const all = await runCli(['list', '--all', '--json'], { env: emu.env });
    expect(all.stderr).toBe('');
  });

  it("job list names the input the user gave (reviews.csv), not the job's internal request file", async () => {
    const dir = tempDir();
    writeText(dir, 'reviews.csv', 'text\nnice\n');
    const r = await runCli(['run', 'csv', 'reviews.csv', '--prompt-column', 'text', '--interval', '50ms'], {
      env: emu.env,
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    const list = await runCli(['job', 'list', '--here'], { env: emu.env, cwd: dir });
    expect(list.stdout).toMatch(/ reviews\.csv\n$/);
    expect(list.stdout).not.toContain('input.jsonl');
    const json = JSON.parse(
      (await runCli(['job', 'list', '--here', '--json'], { env: emu.env, cwd: dir })).stdout,
    );
    expect(json[0].input).toBe(join(dir, 'reviews.csv'));
  });

  it('run on a terminal shows polls as the live line (like monitor), not a timestamped line per poll', async () => {
    const dir = tempDir();
    const file = writeRequests(dir, 'tty.jsonl', 2);
    const plain = await runCli(['run', file, '--state', join(dir, 'plain'), '--interval', '50ms'], {
      env: emu.env,
    });
    expect(plain.stderr).toMatch(/^\[\d\d:\d\d:\d\d\] msgbatch_/m);
    const tty = await runCli(['run', file, '--state', join(dir, 'tty'), '--interval', '50ms'], {
      env: emu.env,
      tty: true,
    });
    expect(tty.code).toBe(0);
    expect(tty.stderr).not.toMatch(/^\[\d\d:\d\d:\d\d\]/m);
    expect(tty.stderr).toContain('Results: 2 · 2 succeeded');
  });

  it('a missing input file is worded the same by every command', async () => {
    const dir = tempDir();
    const cases: string[][] = [
      ['submit', 'nope.jsonl'],
      ['estimate', 'nope.jsonl'],
      ['build', 'csv', 'nope.jsonl', '--prompt-column', 'text', '-o', 'x.jsonl'],
      ['build', 'json', 'nope.jsonl', '--prompt-field', 'q', '-o', 'y.jsonl'],
      ['build', 'text', 'nope.jsonl', '-o', 'z.jsonl'],
      ['run', 'nope.jsonl'],
      ['run', 'csv', 'nope.jsonl', '--prompt-column', 'text'],
    ];
    for (const argv of cases) {
      const r = await runCli(argv, { env: emu.env, cwd: dir });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(/^error: cannot read (\S*\/)?nope\.jsonl: no such file\n/);
    }
  });

  it('list and job list fit 100 columns (--wide shows more); --limit names its real bounds', async () => {
    const dir = tempDir();
    await runCli(['submit', writeRequests(dir, 'w.jsonl', 1)], { env: emu.env });
    const list = await runCli(['list', '--limit', '5'], { env: emu.env });
    expect(list.code).toBe(0);
    for (const line of list.stdout.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    const wide = await runCli(['list', '--limit', '5', '--wide'], { env: emu.env });
    expect(wide.stdout.split('\n')[0]).toMatch(/PROCESSING.*ENDED\s+LABEL\s+SOURCE$/);
    const zero = await runCli(['list', '--limit', '0'], { env: emu.env });
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--limit must be a whole number from 1 to 100,000');

    const deep = join(
      dir,
      'a-long-folder-name-to-make-the-input-path-long',
      'and-longer-still-for-the-table',
    );
    mkdirSync(deep, { recursive: true });
    const input = writeRequests(deep, 'input-with-a-long-name.jsonl', 1);
    expect((await runCli(['run', input, '--interval', '50ms'], { env: emu.env, cwd: dir })).code).toBe(0);
    const jobs = await runCli(['job', 'list'], { env: emu.env, cwd: '/' });
    expect(jobs.code).toBe(0);
    const inDir = await runCli(['job', 'list', '--here'], { env: emu.env, cwd: dir });
    for (const line of inDir.stdout.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(inDir.stdout).toContain('…');
    const jobsWide = await runCli(['job', 'list', '--here', '--wide'], { env: emu.env, cwd: dir });
    expect(jobsWide.stdout).toContain('input-with-a-long-name.jsonl');
    expect(jobsWide.stdout).toContain('a-long-folder-name-to-make-the-input-path-long');
  });

  it('every job subcommand takes --state DIR', async () => {
    const dir = tempDir();
    const state = join(dir, 'my-job');
    const file = writeRequests(dir, 'st.jsonl', 2);
    expect((await runCli(['run', file, '--state', state, '--interval', '50ms'], { env: emu.env })).code).toBe(
      0,
    );
    const elsewhere = tempDir();
    const status = await runCli(['job', 'status', '--state', state], { env: emu.env, cwd: elsewhere });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^Job my-job \(done\)/);
    const results = await runCli(['job', 'results', '--state', state, '--format', 'compact'], {
      env: emu.env,
      cwd: elsewhere,
    });
    expect(results.stdout.trimEnd().split('\n')).toHaveLength(2);
    const list = await runCli(['job', 'list', '--state', state, '--json'], { env: emu.env, cwd: elsewhere });
    expect(JSON.parse(list.stdout).map((j: { job_id: string }) => j.job_id)).toEqual(['my-job']);
    const cancel = await runCli(['job', 'cancel', '--state', state], { env: emu.env, cwd: elsewhere });
    expect(cancel.code).toBe(0);
    const neither = await runCli(['job', 'status'], { env: emu.env, cwd: elsewhere });
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('job status needs a job: its id or its folder (--state DIR)');
  });

  it('build --json has no key with a space: skipped rows are counted by a key, and said in words on stderr', async () => {
    const dir = tempDir();
    const csv = writeText(dir, 'skip.csv', 'id,text\n1,hello\n2,\n');
    const r = await runCli(
      ['build', 'csv', csv, '--prompt-column', 'text', '-o', join(dir, 'r.jsonl'), '--json'],
      {
        env: {},
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).skipped).toEqual({ empty_prompt: 1 });
    const human = await runCli(['build', 'csv', csv, '--prompt-column', 'text', '-o', join(dir, 'h.jsonl')], {
      env: {},
    });
    expect(human.stderr).toContain('skipped: 1 empty prompt');
  });

  it('an empty or impossible batch id is a usage error, not a bug', async () => {
    for (const argv of [
      ['status', ''],
      ['monitor', ''],
      ['results', ''],
      ['cancel', ''],
      ['delete', ''],
      ['status', '..'],
    ]) {
      const r = await runCli(argv, { env: emu.env });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(
        /^error: (no batch id given \(the argument is empty\)|"\.\." is not a batch id)\n/,
      );
      expect(r.stderr).not.toContain('bug');
    }
    const retry = await runCli(['retry', ''], { env: emu.env });
    expect(retry.code).toBe(2);
    expect(retry.stderr).toContain('the argument is empty');
    const job = await runCli(['job', 'status', ''], { env: emu.env });
    expect(job.code).toBe(2);
    expect(job.stderr).toContain('no job given (the argument is empty)');
  });

  it('submit of a CSV says to build requests from it', async () => {
    const dir = tempDir();
    const csv = writeText(dir, 'data.csv', 'id,text\n1,hello\n');
    const r = await runCli(['submit', csv], { env: emu.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /hint: .*data\.csv looks like data, not a request file: make requests from it with `claude-batch build csv /,
    );
  });
});
