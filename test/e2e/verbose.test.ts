import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { startOddApi } from '../helpers/odd-api.js';

// The built binary runs a minified bundle; with --verbose its source maps turn the stack of an
// unexpected failure back into src/…ts:LINE frames.
let odd: Awaited<ReturnType<typeof startOddApi>>;
const env = { ANTHROPIC_API_KEY: 'test-key-not-secret' };
const root = new URL('../..', import.meta.url).pathname;

beforeAll(async () => {
  odd = await startOddApi();
});
afterAll(async () => {
  await odd.close();
});

describe('an unexpected failure of the built binary', () => {
  it('with --verbose, names the TypeScript source files and lines', async () => {
    const { code, stderr } = await runBin(['status', 'msgbatch_odd', '--verbose', '--base-url', odd.url], {
      env,
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: unexpected failure: Cannot read properties of undefined/m);
    const frames = [...stderr.matchAll(/^\s+at .*?\(?(\/[^\s()]+):(\d+):\d+\)?$/gm)].map((m) => ({
      file: m[1] ?? '',
      line: Number(m[2]),
    }));
    const ours = frames.filter((f) => f.file.startsWith(`${root}src/`));
    expect(ours.map((f) => f.file.slice(root.length))).toContain('src/cli/render-batch.ts');
    expect(ours.map((f) => f.file.slice(root.length))).toContain('src/cli/commands/status.ts');
    // Each frame points at a real line of a real source file, and none at the minified bundle.
    for (const frame of ours) {
      expect(existsSync(frame.file)).toBe(true);
      expect(frame.line).toBeLessThanOrEqual(readFileSync(frame.file, 'utf8').split('\n').length);
    }
    expect(frames.filter((f) => f.file.includes('/dist/bundle/'))).toEqual([]);
  });

  it('without --verbose, shows no stack but says it is a bug', async () => {
    const { code, stderr } = await runBin(['status', 'msgbatch_odd', '--base-url', odd.url], { env });
    expect(code).toBe(1);
    expect(stderr).toBe(
      "error: unexpected failure: Cannot read properties of undefined (reading 'processing')\n" +
        'hint: this is a bug in claude-batch; run again with --verbose and report the output\n',
    );
  });
});
