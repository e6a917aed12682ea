import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, paramsHash } from '../../src/core/reuse/index.js';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { request, tempDir } from '../helpers/files.js';

const emu = useEmulator({ processingTimeMs: 0 });
const other = useEmulator({ processingTimeMs: 0 });

const creates = () => emu.emulator.counts['POST /v1/messages/batches'] ?? 0;

function rowsCsv(path: string, edited: Set<number> = new Set()): void {
  const lines = ['id,text'];
  for (let i = 0; i < 1000; i += 1)
    lines.push(`r${i},question number ${i}${edited.has(i) ? ' (edited)' : ''}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
}

describe('canonical params', () => {
  it('the same params in another key order hash the same; any change hashes apart', () => {
    const a = { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] };
    const b = { messages: [{ content: 'hi', role: 'user' }], max_tokens: 5, model: 'm' };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(paramsHash(a).equals(paramsHash(b))).toBe(true);
    expect(paramsHash(a).equals(paramsHash({ ...a, max_tokens: 6 }))).toBe(false);
  });
});

describe('run --reuse: answers already paid for are not sent again', () => {
  it('after editing 10 of 1,000 rows, a re-run sends exactly 10 requests and merges 1,000 results', async () => {
    const dir = tempDir();
    const env = { ...emu.env, CLAUDE_BATCH_HOME: join(dir, 'registry') };
    const csv = join(dir, 'rows.csv');
    rowsCsv(csv);
    const args = [
      'run',
      'csv',
      'rows.csv',
      '--prompt-column',
      'text',
      '--id-column',
      'id',
      '--interval',
      '50ms',
    ];
    const first = await runCli([...args, '--state', 'first', '--max-requests', '400'], { env, cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const edited = new Set([3, 50, 99, 250, 400, 401, 600, 777, 898, 999]);
    rowsCsv(csv, edited);
    const before = creates();
    const second = await runCli([...args, '--state', 'second', '--reuse', '--json'], { env, cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(creates() - before).toBe(1);
    const summary = JSON.parse(second.stdout.trim().split('\n').at(-1) as string);
    expect(summary).toMatchObject({ total: 1000, succeeded: 1000, reused: 990 });
    expect(summary.reused_cost_usd).toBeGreaterThan(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'second', 'manifest.json'), 'utf8'));
    expect(manifest.shards.map((s: { requests: number }) => s.requests)).toEqual([10]);
    const results = readFileSync(join(dir, 'second', 'results.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(results).toHaveLength(1000);
    const ids = new Set(results.map((l) => JSON.parse(l).custom_id));
    expect(ids.size).toBe(1000);
    // An edited row got a new answer, to its own prompt; an unedited one kept the old answer.
    const byId = new Map(results.map((l) => [JSON.parse(l).custom_id, JSON.parse(l)]));
    expect(JSON.stringify(byId.get('r50'))).toContain('(edited)');
    const old = readFileSync(join(dir, 'first', 'results.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(byId.get('r51')).toEqual(old.find((r) => r.custom_id === 'r51'));
    // The job counts the reused answers as succeeded.
    const status = await runCli(['job', 'status', 'second', '--json'], { env, cwd: dir });
    expect(JSON.parse(status.stdout).totals).toMatchObject({ requests: 1000, succeeded: 1000 });
    // Text output says it too.
    rowsCsv(csv, new Set([...edited, 1]));
    const third = await runCli([...args, '--state', 'third', '--reuse', 'second'], { env, cwd: dir });
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toContain('Reused 999 answers already paid for (not sent again); 1 request to send');
    expect(third.stderr).toMatch(/Reused 999 answers already paid for: \$[\d.]+ not spent again/);
  }, 60_000);

  it('--reuse FILE takes a results file the registry knows; nothing is reused from another base URL', async () => {
    const dir = tempDir();
    const home = join(dir, 'registry');
    const env = { ...emu.env, CLAUDE_BATCH_HOME: home };
    const lines = [0, 1, 2].map((i) => JSON.stringify(request(`q${i}`, `Reusable question ${i}`)));
    writeFileSync(join(dir, 'a.jsonl'), `${lines.join('\n')}\n`);
    const id = (await runCli(['submit', join(dir, 'a.jsonl')], { env, cwd: dir })).stdout.trim();
    const monitored = await runCli(['monitor', id, '--results', join(dir, 'a-results.jsonl')], {
      env,
      cwd: dir,
    });
    expect(monitored.code, monitored.stderr).toBe(0);
    // Same params, other ids, other order, plus one new request.
    const again = [
      JSON.stringify(request('x2', 'Reusable question 2')),
      JSON.stringify(request('x0', 'Reusable question 0')),
      JSON.stringify(request('new', 'A new question')),
    ];
    writeFileSync(join(dir, 'b.jsonl'), `${again.join('\n')}\n`);
    const before = creates();
    const r = await runCli(['run', 'b.jsonl', '--reuse', 'a-results.jsonl', '--interval', '50ms', '--json'], {
      env,
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(creates() - before).toBe(1);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1) as string)).toMatchObject({ total: 3, reused: 2 });
    const unknown = await runCli(['run', 'b.jsonl', '--state', 'u', '--reuse', 'b.jsonl'], { env, cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('The registry does not know which requests b.jsonl answers');
    // Another API (base URL): nothing of the first is reused.
    const elsewhere = { ...other.env, CLAUDE_BATCH_HOME: home };
    const otherRun = await runCli(
      ['run', 'b.jsonl', '--state', 'o', '--reuse', '--interval', '50ms', '--json'],
      {
        env: elsewhere,
        cwd: dir,
      },
    );
    expect(otherRun.code, otherRun.stderr).toBe(0);
    expect(JSON.parse(otherRun.stdout.trim().split('\n').at(-1) as string)).toMatchObject({
      total: 3,
      reused: 0,
    });
    const refused = await runCli(['run', 'b.jsonl', '--state', 'o2', '--reuse', 'a-results.jsonl'], {
      env: elsewhere,
      cwd: dir,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/made against http:\/\/127\.0\.0\.1:\d+, not http/);
  }, 60_000);
});

describe('reuse only from batches sent the same way (betas, workspace)', () => {
  it('other betas or another workspace: refused, the requests sent; the same betas in another order: reused', async () => {
    const dir = tempDir();
    const env = { ...emu.env, CLAUDE_BATCH_HOME: join(dir, 'registry') };
    const lines = [0, 1, 2].map((i) => JSON.stringify(request(`b${i}`, `Beta question ${i}`)));
    writeFileSync(join(dir, 'a.jsonl'), `${lines.join('\n')}\n`);
    const betas = ['--beta', 'context-1m-2025-08-07', '--beta', 'output-128k-2025-02-19'];
    const first = await runCli(['run', 'a.jsonl', '--state', 'first', '--interval', '50ms', ...betas], {
      env,
      cwd: dir,
    });
    expect(first.code, first.stderr).toBe(0);
    const summaryOf = (r: { stdout: string }) => JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
    const json = ['--interval', '50ms', '--json'];
    // No betas: the job sent with betas is skipped, said in one line, and every request is sent.
    let before = creates();
    const plain = await runCli(['run', 'a.jsonl', '--state', 'plain', '--reuse', ...json], { env, cwd: dir });
    expect(plain.code, plain.stderr).toBe(0);
    expect(creates() - before).toBe(1);
    expect(summaryOf(plain)).toMatchObject({ total: 3, reused: 0 });
    expect(plain.stderr).toContain('Reuse: skipped 1 batch sent with other betas or another workspace');
    // One of the two betas: skipped too (the plain job now answers nothing either: it had none).
    before = creates();
    const one = await runCli(
      ['run', 'a.jsonl', '--state', 'one', '--reuse', '--beta', 'context-1m-2025-08-07', ...json],
      { env, cwd: dir },
    );
    expect(one.code, one.stderr).toBe(0);
    expect(creates() - before).toBe(1);
    expect(summaryOf(one)).toMatchObject({ total: 3, reused: 0 });
    expect(one.stderr).toContain('Reuse: skipped 2 batches');
    // Named, a job sent with other betas is refused (exit 2, nothing sent).
    before = creates();
    const named = await runCli(['run', 'a.jsonl', '--state', 'named', '--reuse', 'first'], { env, cwd: dir });
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(
      /was sent with no workspace, betas context-1m-2025-08-07,output-128k-2025-02-19/,
    );
    expect(creates()).toBe(before);
    // The same betas, in another order: reused, nothing sent.
    before = creates();
    const same = await runCli(
      ['submit', 'a.jsonl', '--reuse', '--beta', 'output-128k-2025-02-19', '--beta', 'context-1m-2025-08-07'],
      { env, cwd: dir },
    );
    expect(same.code, same.stderr).toBe(0);
    expect(creates()).toBe(before);
    expect(same.stderr).toContain('Reuse: 3 of 3 requests answered before');
    // Another workspace, same betas: skipped, sent.
    before = creates();
    const ws = await runCli(['--workspace', 'wrkspc_other', 'submit', 'a.jsonl', '--reuse', ...betas], {
      env,
      cwd: dir,
    });
    expect(ws.code, ws.stderr).toBe(0);
    expect(creates() - before).toBe(1);
    expect(ws.stderr).toContain('Reuse: 0 of 3 requests answered before');
    expect(ws.stderr).toMatch(/Reuse: skipped \d+ batches sent with other betas or another workspace/);
  }, 60_000);
});

describe('submit --reuse', () => {
  it('sends only what was not answered; results ID and monitor --results add the reused answers', async () => {
    const dir = tempDir();
    const env = { ...emu.env, CLAUDE_BATCH_HOME: join(dir, 'registry') };
    const lines = (ids: string[], edited = new Set<string>()) =>
      `${ids.map((id) => JSON.stringify(request(id, `Prompt of ${id}${edited.has(id) ? ' (edited)' : ''}`))).join('\n')}\n`;
    const ids = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const first = join(dir, 'first.jsonl');
    writeFileSync(first, lines(ids));
    const id1 = (await runCli(['submit', first], { env })).stdout.trim();
    expect((await runCli(['results', id1, '-o', join(dir, 'first-results.jsonl')], { env })).code).toBe(0);
    const second = join(dir, 'second.jsonl');
    writeFileSync(second, lines(ids, new Set(['s3', 's7'])));
    const before = creates();
    const dry = await runCli(['submit', second, '--reuse', '--dry-run'], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('Reuse: 18 of 20 requests answered before');
    expect(creates()).toBe(before);
    const r = await runCli(['submit', second, '--reuse', '--label', 'again'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(creates() - before).toBe(1);
    const id2 = r.stdout.trim();
    const status = await runCli(['status', id2, '--json'], { env });
    expect(
      JSON.parse(status.stdout).request_counts.processing +
        JSON.parse(status.stdout).request_counts.succeeded,
    ).toBe(2);
    expect(r.stderr).toMatch(
      /Reused\s+18 answers already paid for \(\$[\d.]+ not spent again\): .*second\.jsonl\.reused-msgbatch_/,
    );
    const out = join(dir, 'second-results.jsonl');
    const got = await runCli(['monitor', id2, '--results', out, '--interval', '50ms'], { env });
    expect(got.code, got.stderr).toBe(0);
    const results = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(results.map((x) => x.custom_id).sort()).toEqual([...ids].sort());
    const viaResults = await runCli(['results', id2, '--format', 'compact'], { env });
    expect(viaResults.stdout.trimEnd().split('\n')).toHaveLength(20);
    // Nothing left to send: no batch, the answers in FILE.reused.jsonl.
    const again = await runCli(['submit', second, '--reuse'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('no batch was created');
    expect(readFileSync(`${second}.reused.jsonl`, 'utf8').trimEnd().split('\n')).toHaveLength(20);
  }, 60_000);
});
