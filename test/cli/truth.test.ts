import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';

describe('messages that tell the truth', () => {
  const emu = useEmulator();

  it('monitor of an id the API does not know: not found at once (exit 3), no retrying', async () => {
    const started = Date.now();
    const r = await runCli(['monitor', 'msgbatch_nope', '--timeout', '30s'], { env: emu.env });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: Batch not found: msgbatch_nope\n/m);
    expect(r.stderr).not.toMatch(/retrying|still running/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
