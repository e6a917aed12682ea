import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { closedPortUrl, requestsTo, useEmulator } from '../helpers/emulator.js';
import { tempDir, writeRequests, writeText } from '../helpers/files.js';

// A batch runs until a test ends it (by moving the emulator's clock): it is surely still running
// right after submit, even on a loaded machine, and no test waits for it to end.
const ctx = useEmulator({ processingTimeMs: 10 * 60_000 });
const dir = tempDir();

async function submitted(count = 3, prompt?: (i: number) => string): Promise<string> {
  const file = writeRequests(dir, `r${Math.random().toString(36).slice(2)}.jsonl`, count, prompt);
  const { code, stdout } = await runCli(['submit', file], { env: ctx.env });
  expect(code).toBe(0);
  return stdout.trim();
}

/** Ends the batch (and every other one) now, and checks that the API says so. */
async function ended(id: string): Promise<void> {
  ctx.endBatches();
  const r = await runCli(['status', id, '--json'], { env: ctx.env });
  expect(JSON.parse(r.stdout).processing_status).toBe('ended');
}

describe('submit', () => {
  it('prints only the batch id on stdout and a summary on stderr', async () => {
    const file = writeRequests(dir, 'three.jsonl', 3);
    const r = await runCli(['submit', file], { env: ctx.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^msgbatch_\w+\n$/);
    const id = r.stdout.trim();
    expect(r.stderr).toContain('✓ Submitted 3 requests');
    expect(r.stderr).toContain(`Batch    ${id}`);
    expect(r.stderr).toContain('Status   in_progress');
    expect(r.stderr).toMatch(/Created {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(r.stderr).toMatch(/Expires {2}\d{4}-/);
    expect(r.stderr).toContain(`Next: claude-batch monitor ${id}`);
  });

  it('reads stdin with -', async () => {
    const text = readFileSync(writeRequests(dir, 'stdin.jsonl', 2));
    const r = await runCli(['submit', '-'], { env: ctx.env, stdin: text });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^msgbatch_\w+\n$/);
  });

  it('--json prints the MessageBatch', async () => {
    const r = await runCli(['submit', writeRequests(dir, 'json.jsonl', 2), '--json'], { env: ctx.env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'message_batch', request_counts: { processing: 2 } });
  });

  it('--dry-run validates and sends nothing (and needs no key)', async () => {
    const before = requestsTo(ctx.emulator, /./);
    const r = await runCli(['submit', writeRequests(dir, 'dry.jsonl', 4), '--dry-run'], { env: {} });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('4 valid requests');
    expect(r.stderr).toContain('Dry run: nothing was sent.');
    expect(requestsTo(ctx.emulator, /./)).toBe(before);
  });

  it('--dry-run shows the cost estimate; --max-cost refuses to send over it', async () => {
    const file = writeRequests(dir, 'costly.jsonl', 10);
    const dry = await runCli(['submit', file, '--dry-run'], { env: {} });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toMatch(/claude-haiku-4-5 +10 +\d+ \(≈ chars\/4\) +640 +\$[\d.]+ – \$[\d.]+/);
    const before = requestsTo(ctx.emulator, /./);
    const refused = await runCli(['submit', file, '--max-cost', '0.0001'], { env: ctx.env });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      /^error: The estimated ceiling \$[\d.]+ is over --max-cost \$0\.0001; nothing was sent\n/,
    );
    expect(requestsTo(ctx.emulator, /./)).toBe(before);
    const allowed = await runCli(['submit', file, '--max-cost', '5'], { env: ctx.env });
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/^msgbatch_/);
  });

  it('refuses a bad file with FILE:LINE messages, exit 2, and sends nothing', async () => {
    const file = writeText(
      dir,
      'bad.jsonl',
      [
        JSON.stringify({
          custom_id: 'a.b',
          params: { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] },
        }),
        '{oops',
        JSON.stringify({
          custom_id: 'c',
          params: { model: 'm', messages: [{ role: 'user', content: 'x' }] },
        }),
      ].join('\n'),
    );
    const before = requestsTo(ctx.emulator, /./);
    const r = await runCli(['submit', file], { env: ctx.env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`error: 3 problems in ${file}; nothing was sent`);
    expect(r.stderr).toContain(`${file}:1: custom_id: "a.b" is not a valid custom_id`);
    expect(r.stderr).toContain(`${file}:2: json: not valid JSON`);
    expect(r.stderr).toContain(`${file}:3: params.max_tokens: is required`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(requestsTo(ctx.emulator, /./)).toBe(before);
  });

  it('says so when the file does not exist', async () => {
    const r = await runCli(['submit', join(dir, 'nope.jsonl')], { env: ctx.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: cannot read .*nope\.jsonl: no such file\nhint: /);
  });

  it('without a key: one line and a hint, exit 4, nothing sent', async () => {
    const before = requestsTo(ctx.emulator, /./);
    const r = await runCli(['submit', writeRequests(dir, 'nokey.jsonl', 1)], {
      env: { ANTHROPIC_BASE_URL: ctx.emulator.url },
    });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: ANTHROPIC_API_KEY is not set\nhint: export ANTHROPIC_API_KEY=<your key> (or ANTHROPIC_AUTH_TOKEN); to try offline, run `claude-batch emulator`\n',
    );
    expect(requestsTo(ctx.emulator, /./)).toBe(before);
  });

  it('ANTHROPIC_AUTH_TOKEN works as well', async () => {
    const r = await runCli(['submit', writeRequests(dir, 'token.jsonl', 1)], {
      env: { ANTHROPIC_BASE_URL: ctx.emulator.url, ANTHROPIC_AUTH_TOKEN: 'tok' },
    });
    expect(r.code).toBe(0);
  });
});

describe('status', () => {
  it('shows one batch for people', async () => {
    const id = await submitted(3);
    const r = await runCli(['status', id], { env: ctx.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Batch     ${id}`);
    expect(r.stdout).toContain('Status    in_progress');
    expect(r.stdout).toMatch(/Expires {3}.* \(in 23h 59m\)/);
    expect(r.stdout).toContain('Requests  3 total · 3 processing · 0 succeeded');
    expect(r.stdout).not.toContain('Success');
    await ended(id);
    const done = await runCli(['status', id], { env: ctx.env });
    expect(done.stdout).toContain('Status    ended');
    expect(done.stdout).toContain('Success   100.0%');
    expect(done.stdout).toContain(`Results   ${ctx.emulator.url}/v1/messages/batches/${id}/results`);
  });

  it('--json gives the MessageBatch, and an array for several ids', async () => {
    const a = await submitted(1);
    const b = await submitted(1);
    const one = await runCli(['status', a, '--json'], { env: ctx.env });
    expect(JSON.parse(one.stdout)).toMatchObject({ id: a, type: 'message_batch' });
    const two = await runCli(['status', a, b, '--json'], { env: ctx.env });
    expect(JSON.parse(two.stdout).map((x: { id: string }) => x.id)).toEqual([a, b]);
  });

  it('an unknown id: Batch not found, exit 3', async () => {
    const r = await runCli(['status', 'msgbatch_unknown'], { env: ctx.env });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: Batch not found: msgbatch_unknown\nhint: /);
  });
});

describe('list', () => {
  it('--limit caps the rows', async () => {
    for (let i = 0; i < 4; i += 1) await submitted(1);
    const r = await runCli(['list', '--limit', '3', '--wide'], { env: ctx.env });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^ID\s+STATUS\s+TOTAL\s+PROCESSING\s+SUCCEEDED\s+ERRORED\s+CANCELED\s+EXPIRED\s+CREATED\s+ENDED\s+LABEL\s+SOURCE$/,
    );
    expect(lines).toHaveLength(4);
    expect(r.stderr).toContain('Showing the 3 newest');
  });

  it('--all walks every page; --json is an array', async () => {
    const all = await runCli(['list', '--all', '--json'], { env: ctx.env });
    const some = await runCli(['list', '--limit', '2', '--json'], { env: ctx.env });
    const batches = JSON.parse(all.stdout) as Array<{ id: string }>;
    expect(batches.length).toBeGreaterThan(5);
    expect(JSON.parse(some.stdout).map((b: { id: string }) => b.id)).toEqual(
      batches.slice(0, 2).map((b) => b.id),
    );
  });

  it('refuses a bad --limit with exit 2', async () => {
    const r = await runCli(['list', '--limit', 'lots'], { env: ctx.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--limit must be a whole number');
  });
});

describe('cancel and delete', () => {
  it('cancels, refuses to delete until ended, then deletes', async () => {
    const id = await submitted(5);
    const c = await runCli(['cancel', id], { env: ctx.env });
    expect(c.code).toBe(0);
    expect(c.stdout).toBe(`${id} canceling\n`);
    const early = await runCli(['delete', id], { env: ctx.env });
    expect(early.code).toBe(3);
    expect(early.stderr).toContain(`error: Batch ${id} is canceling: only an ended batch can be deleted`);
    await ended(id);
    const d = await runCli(['delete', id, '--json'], { env: ctx.env });
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout)).toEqual({ id, type: 'message_batch_deleted' });
  });
});

describe('results', () => {
  it('refuses while the batch runs: its status, exit 3, nothing written', async () => {
    const id = await submitted(2);
    const out = join(dir, 'early.jsonl');
    const r = await runCli(['results', id, '-o', out], { env: ctx.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`error: Batch ${id} has not ended yet (status: in_progress, 2 requests)`);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('early'))).toEqual([]);
  });

  it('writes every line as the API sent it, with a summary on stderr', async () => {
    const id = await submitted(4, (i) => (i === 1 ? 'EMULATE_ERROR=api_error' : `q${i}`));
    await ended(id);
    const out = join(dir, 'all.jsonl');
    const r = await runCli(['results', id, '-o', out], { env: ctx.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).custom_id).sort()).toEqual(['req-0', 'req-1', 'req-2', 'req-3']);
    const raw = await fetch(`${ctx.emulator.url}/v1/messages/batches/${id}/results`, {
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    });
    expect(readFileSync(out, 'utf8')).toBe(await raw.text());
    expect(r.stderr).toContain('Results: 4 · 3 succeeded · 1 errored · 0 canceled · 0 expired');
    expect(r.stderr).toContain('Success rate: 75.0%');
    expect(r.stderr).toContain('1 × api_error: Emulated api_error');
    expect(r.stderr).toContain(`Wrote ${out}`);

    const again = await runCli(['results', id, '-o', out], { env: ctx.env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`error: ${out} already exists`);
    expect((await runCli(['results', id, '-o', out, '--force'], { env: ctx.env })).code).toBe(0);
  });

  it('--format compact to stdout; --json summary with -o', async () => {
    const id = await submitted(2);
    await ended(id);
    const r = await runCli(['results', id, '--format', 'compact'], { env: ctx.env });
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    expect(Object.keys(rows[0])).toEqual([
      'custom_id',
      'type',
      'text',
      'stop_reason',
      'input_tokens',
      'output_tokens',
      'error_type',
      'error_message',
    ]);
    const j = await runCli(['results', id, '-o', join(dir, 'sum.jsonl'), '--json'], { env: ctx.env });
    expect(JSON.parse(j.stdout)).toMatchObject({ batch_id: id, total: 2, succeeded: 2, successRate: 1 });
    const bad = await runCli(['results', id, '--json'], { env: ctx.env });
    expect(bad.code).toBe(2);
  });

  it('exits 1 with a warning when no request succeeded', async () => {
    const id = await submitted(2, () => 'EMULATE_ERROR=invalid_request_error');
    await ended(id);
    const r = await runCli(['results', id, '-o', join(dir, 'failed.jsonl')], { env: ctx.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('warning: no request succeeded');
    expect(existsSync(join(dir, 'failed.jsonl'))).toBe(true);
  });
});

describe('errors from the API and the network', () => {
  it('a refused connection names the base URL, exit 1', async () => {
    const url = await closedPortUrl();
    const r = await runCli(['status', 'msgbatch_x'], {
      env: { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: url },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: Cannot reach the API at ${url}: connection refused (ECONNREFUSED)\nhint: is the server running at --base-url? for an offline API run \`claude-batch emulator\`\n`,
    );
  });

  it('--base-url overrides the environment', async () => {
    const r = await runCli(['--base-url', ctx.emulator.url, 'list', '--limit', '1'], {
      env: { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: await closedPortUrl() },
    });
    expect(r.code).toBe(0);
  });

  it('an unknown command or flag is a usage error, exit 2', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    const r = await runCli(['list', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--bogus'");
  });
});

describe('a refused key', () => {
  const strict = useEmulator({ apiKey: 'right' });
  it('401: exit 4 with a hint, and the key is not printed', async () => {
    const r = await runCli(['list', '--verbose'], {
      env: { ANTHROPIC_API_KEY: 'wrong-key-1234', ANTHROPIC_BASE_URL: strict.emulator.url },
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('error: The API refused the credentials');
    expect(r.stderr).toContain('hint: check ANTHROPIC_API_KEY');
    expect(r.stdout + r.stderr).not.toContain('wrong-key-1234');
    writeFileSync(join(dir, 'unused'), '');
  });
});
