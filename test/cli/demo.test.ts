import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';

const dir = join(tempDir(), 'a', 'new', 'folder');

describe('demo', () => {
  it('runs build → submit → monitor → results offline, with no key, and prints the real commands', async () => {
    const started = Date.now();
    const r = await runBin(['demo', '--dir', dir, '--processing-time', '500ms'], { env: {} });
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    // A few answers on stdout, the errored row among them.
    expect(r.stdout).toMatch(/^ {3}r001 {2}Emulated answer [0-9a-f]{8} to: "…/);
    expect(r.stdout).toContain('r030  errored: overloaded_error');
    // The story on stderr.
    expect(r.stderr).toContain('1. build: examples/reviews.csv → requests.jsonl');
    expect(r.stderr).toContain('30 requests (model claude-haiku-4-5)');
    expect(r.stderr).toContain('Results: 30 · 29 succeeded · 1 errored');
    expect(r.stderr).toContain('id=$(claude-batch submit requests.jsonl)');
    expect(r.stderr).toContain('claude-batch monitor "$id" --results results.jsonl');
    // The files are there to look at.
    expect(readFileSync(join(dir, 'results.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(30);
    expect(existsSync(join(dir, 'requests.jsonl.map'))).toBe(true);
  });

  it('without --dir, leaves no temporary folder behind', async () => {
    const tmp = join(tempDir(), 'tmp');
    mkdirSync(tmp);
    const r = await runBin(['demo', '--processing-time', '300ms'], { env: { TMPDIR: tmp } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('removed at the end');
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('talks to its local emulator directly, whatever proxy the environment names', async () => {
    const r = await runBin(['demo', '--dir', `${dir}-proxy`, '--processing-time', '200ms'], {
      env: { HTTP_PROXY: 'http://127.0.0.1:9', http_proxy: 'http://127.0.0.1:9', NO_PROXY: 'example.com' },
    });
    expect(r.stderr).toContain('Results: 30 · 29 succeeded · 1 errored');
    expect(r.code).toBe(0);
  });
});
