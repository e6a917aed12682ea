import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/program.js';
import { runCli } from '../helpers/cli.js';

const sink = { stdout: new PassThrough(), stderr: new PassThrough() };
const names = createProgram(sink, async () => {}, '0.0.0')
  .commands.map((c) => c.name())
  .filter((name) => name !== 'help');

describe('--help', () => {
  it('is pinned for the root command', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    await expect(r.stdout).toMatchFileSnapshot('help/claude-batch.txt');
  });

  it.each(names)('is pinned for %s, with examples', async (name) => {
    const r = await runCli([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Examples:');
    await expect(r.stdout).toMatchFileSnapshot(`help/${name}.txt`);
  });

  it('prints the version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
