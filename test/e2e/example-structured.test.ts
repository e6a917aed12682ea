import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/files.js';

// examples/structured.sh, run as written against the emulator (the built binary on the PATH),
// writes exactly the examples/feedback-joined.csv committed beside it.
const ROOT = join(import.meta.dirname, '..', '..');
const emu = useEmulator({ processingTimeMs: 0 });

describe('the structured-extraction example', () => {
  it('structured.sh produces the committed feedback-joined.csv', async () => {
    const dir = join(tempDir(), 'examples');
    cpSync(join(ROOT, 'examples'), dir, { recursive: true });
    rmSync(join(dir, 'feedback-joined.csv'));
    const bin = join(dir, '.bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'claude-batch'), `#!/bin/sh\nexec node ${JSON.stringify(BIN)} "$@"\n`, {
      mode: 0o755,
    });
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('sh', ['structured.sh'], {
        cwd: dir,
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          HOME: dir,
          ANTHROPIC_BASE_URL: emu.emulator.url,
          ANTHROPIC_API_KEY: 'emulator',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (c) => {
        text += c;
      });
      child.stderr.on('data', (c) => {
        text += c;
      });
      child.on('close', (exit) => resolve({ code: exit, output: text }));
    });
    expect(code, output).toBe(0);
    expect(output).toContain('Structured answers: 4 checked · all valid');
    expect(existsSync(join(dir, 'feedback-joined.csv'))).toBe(true);
    expect(readFileSync(join(dir, 'feedback-joined.csv'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'examples', 'feedback-joined.csv'), 'utf8'),
    );
  }, 60_000);
});
