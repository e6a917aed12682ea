import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';

// `build custom builder.py`: Python builders as the original skill had them, run with python3.
const FIX = resolve('test/fixtures/build');
const dir = tempDir();
let counter = 0;
const fresh = () => {
  counter += 1;
  return join(dir, `py-${counter}.jsonl`);
};

const lines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

async function expectSubmittable(path: string, requests: number): Promise<void> {
  const dry = await runCli(['submit', path, '--dry-run']);
  expect(dry.stderr).toContain(`${requests} valid request`);
  expect(dry.code).toBe(0);
}

describe('build custom builder.py', () => {
  it("runs a builder written as the original skill's README example (returns a list)", async () => {
    const out = fresh();
    const r = await runCli(['build', 'custom', `${FIX}/readme.py`, '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^✓ 2 requests written to ${out} \\(\\d+ B\\)\n`));
    expect(r.stderr).toContain(`  sidecar: ${out}.map (custom_id → input row)\n`);
    expect(lines(readFileSync(out, 'utf8'))).toEqual([
      {
        custom_id: 'doc-0',
        params: {
          model: 'claude-sonnet-4-5',
          max_tokens: 1024,
          messages: [{ role: 'user', content: 'Summarize: first document' }],
        },
      },
      {
        custom_id: 'doc-1',
        params: {
          model: 'claude-sonnet-4-5',
          max_tokens: 1024,
          messages: [{ role: 'user', content: 'Summarize: second document' }],
        },
      },
    ]);
    expect(lines(readFileSync(`${out}.map`, 'utf8'))).toEqual([
      { claude_batch_map: 1, source: 'custom', input: { name: `${FIX}/readme.py` } },
      { custom_id: 'doc-0', row: 1 },
      { custom_id: 'doc-1', row: 2 },
    ]);
    await expectSubmittable(out, 2);
    expect(existsSync(join(FIX, '__pycache__'))).toBe(false);
  });

  it('runs a generator; --model and --max-tokens fill what it leaves out; its prints go to stderr', async () => {
    const out = fresh();
    const r = await runCli([
      'build',
      'custom',
      `${FIX}/yields.py`,
      '--model',
      'claude-opus-4-1',
      '--max-tokens',
      '99',
      '-o',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^building from yields\.py\n✓ 3 requests written/);
    const written = lines(readFileSync(out, 'utf8'));
    expect(written.map((l) => l.params.messages[0].content)).toEqual([
      'Define café',
      'Define naïve',
      'Define 日本',
    ]);
    expect(written[0].params).toMatchObject({ model: 'claude-opus-4-1', max_tokens: 99 });
    await expectSubmittable(out, 3);
  });

  it('to stdout (-o -): only the requests on stdout, the prints on stderr', async () => {
    const r = await runCli(['build', 'custom', `${FIX}/yields.py`, '-o', '-']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((l) => l.custom_id)).toEqual(['w-4-99', 'w-5-110', 'w-2-26085']);
    expect(r.stderr).toContain('building from yields.py\n');
  });

  it('streams a long generator', async () => {
    const folder = tempDir();
    const module = join(folder, 'many.py');
    writeFileSync(
      module,
      'def build_requests():\n    for i in range(20000):\n        yield {"custom_id": f"n-{i}", "params": {"messages": [{"role": "user", "content": str(i)}]}}\n',
    );
    const out = join(folder, 'many.jsonl');
    const r = await runCli(['build', 'custom', module, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^✓ 20,000 requests written/);
    const written = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(written).toHaveLength(20000);
    expect(JSON.parse(written[19999] as string).custom_id).toBe('n-19999');
  });

  it('an exception in build_requests: the traceback’s last lines, exit 2, nothing written', async () => {
    const out = fresh();
    const r = await runCli(['build', 'custom', `${FIX}/raises.py`, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const err = r.stderr.split('\n');
    expect(err[0]).toBe(`error: ${FIX}/raises.py: build_requests failed: ConnectionError: database is down`);
    expect(r.stderr).toContain(`    File "${FIX}/raises.py", line 2, in load_rows\n`);
    expect(r.stderr).toContain('      raise ConnectionError("database is down")\n');
    expect(r.stderr).toMatch(/ {2}ConnectionError: database is down\nhint: fix the module and run again\n$/);
    expect(r.stderr).not.toContain('Traceback (most recent call last)');
    expect(r.stderr).not.toContain('<string>');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.map`)).toBe(false);
  });

  it('an exception while a generator yields names the request it was producing', async () => {
    const out = fresh();
    const r = await runCli(['build', 'custom', `${FIX}/raises_later.py`, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        `error: ${FIX}/raises_later.py: failed while producing request 3: KeyError: 'prompt'`,
        `    File "${FIX}/raises_later.py", line 4, in build_requests`,
        '      raise KeyError("prompt")',
        "  KeyError: 'prompt'",
        'hint: fix the module and run again',
        '',
      ].join('\n'),
    );
    expect(existsSync(out)).toBe(false);
  });

  it('no build_requests: names what the module defines', async () => {
    const r = await runCli(['build', 'custom', `${FIX}/absent.py`, '-o', fresh()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: ${FIX}/absent.py defines no build_requests() function: it defines ROWS, make_requests\n` +
        'hint: def build_requests(): return [{"custom_id": ..., "params": {...}}, ...] (a list, an iterable or a generator)\n',
    );
  });

  it('a build_requests that returns nothing says so', async () => {
    const r = await runCli(['build', 'custom', `${FIX}/returns_none.py`, '-o', fresh()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: ${FIX}/returns_none.py: build_requests() must return a list, an iterable or a generator of requests, got NoneType\n` +
        'hint: does build_requests() end with `return requests`?\n',
    );
  });

  it('a module that does not compile: the SyntaxError, exit 2', async () => {
    const r = await runCli(['build', 'custom', `${FIX}/syntax_error.py`, '-o', fresh()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: cannot load ${FIX}/syntax_error\\.py: SyntaxError: .*\\(syntax_error\\.py, line 1\\)\n`,
      ),
    );
    expect(r.stderr).toContain('def build_requests(:');
    expect(r.stderr).not.toContain('<frozen');
  });

  it('an item that is not a request is reported with its index, as for a JS module', async () => {
    const out = fresh();
    const r = await runCli(['build', 'custom', `${FIX}/not_request.py`, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: ${FIX}/not_request.py: requests[1]: must be a JSON object with custom_id and params, got a string\n` +
        'hint: fix the input; nothing was written\n',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('an item JSON cannot hold names the item', async () => {
    const out = fresh();
    const r = await runCli(['build', 'custom', `${FIX}/not_json.py`, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: ${FIX}/not_json.py: requests[1] cannot be written as JSON: TypeError: Object of type set is not JSON serializable\n` +
        'hint: a request holds only dicts, lists, str, int, float, bool and None\n',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('python3 missing (CLAUDE_BATCH_PYTHON at a missing path): an environment error, exit 1', async () => {
    const out = fresh();
    const missing = join(dir, 'no-such-python');
    const r = await runCli(['build', 'custom', `${FIX}/readme.py`, '-o', out], {
      env: { CLAUDE_BATCH_PYTHON: missing },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: cannot run ${missing}: not found\n` +
        'hint: a .py builder needs Python 3: install it, or set CLAUDE_BATCH_PYTHON to its path\n',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('CLAUDE_BATCH_PYTHON names the interpreter', async () => {
    const out = fresh();
    const python = join(dir, 'my-python');
    writeFileSync(python, '#!/bin/sh\necho "my-python ran" >&2\nexec python3 "$@"\n', { mode: 0o755 });
    const r = await runCli(['build', 'custom', `${FIX}/readme.py`, '-o', out], {
      env: { CLAUDE_BATCH_PYTHON: python },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^my-python ran\n✓ 2 requests written/);
  });

  it('a missing module file is a usage error before python runs', async () => {
    const r = await runCli(['build', 'custom', join(dir, 'nothere.py'), '-o', fresh()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: cannot read ${join(dir, 'nothere.py')}: no such file\nhint: check the path to the module\n`,
    );
  });

  it('an interrupt kills python; exit 130, nothing written', async () => {
    const folder = tempDir();
    const module = join(folder, 'slow.py');
    const pidFile = join(folder, 'pid');
    writeFileSync(
      module,
      [
        'import os, time',
        'def build_requests():',
        '    yield {"custom_id": "a", "params": {"messages": [{"role": "user", "content": "hi"}]}}',
        `    open(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))`,
        '    time.sleep(60)',
        '',
      ].join('\n'),
    );
    const out = join(folder, 'slow.jsonl');
    const controller = new AbortController();
    const running = runCli(['build', 'custom', module, '-o', out], { signal: controller.signal });
    const started = Date.now();
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') {
      if (Date.now() - started > 10_000) throw new Error('the builder did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    const pid = Number(readFileSync(pidFile, 'utf8'));
    controller.abort();
    const r = await running;
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i += 1) await new Promise((r) => setTimeout(r, 20));
    expect(alive()).toBe(false);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('run custom builder.py --dry-run builds the job input from a Python builder', async () => {
    const r = await runCli(['run', 'custom', `${FIX}/yields.py`, '--dry-run', '--state', tempDir()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('building from yields.py\n');
    expect(r.stderr).toContain(`Built 3 requests from ${FIX}/yields.py (dry run: not kept)\n`);
  });
});
