import { describe, expect, it } from 'vitest';
import { redact } from '../../src/core/api/client.js';
import { runCli } from '../helpers/cli.js';
import { closedPortUrl } from '../helpers/emulator.js';

const KEY = 'sk-ant-api03-abcdefghijklmnop_QRSTUV-wxyz';

describe('redact', () => {
  it('hides a secret-looking key wherever it stands as a token', () => {
    expect(redact(`x-api-key: ${KEY}`, KEY)).toBe('x-api-key: [REDACTED]');
    expect(redact(`{"key":"${KEY}"}`, KEY)).toBe('{"key":"[REDACTED]"}');
    expect(redact(`${KEY}\n${KEY}`, KEY)).toBe('[REDACTED]\n[REDACTED]');
    expect(redact(`?key=${KEY}&x=1`, KEY)).toBe('?key=[REDACTED]&x=1');
  });

  it('never rewrites part of a word', () => {
    expect(redact(`${KEY}extra and pre${KEY}`, KEY)).toBe(`${KEY}extra and pre${KEY}`);
  });

  it('treats short keys as not secret: text is left as it is', () => {
    expect(redact('run `claude-batch emulator` to work offline', 'emulator')).toBe(
      'run `claude-batch emulator` to work offline',
    );
    expect(redact('msgbatch_x', 'batch')).toBe('msgbatch_x');
    expect(redact('anything', undefined)).toBe('anything');
  });

  it('ANTHROPIC_API_KEY=emulator leaves every "emulator" in a message alone', async () => {
    const url = await closedPortUrl();
    const r = await runCli(['status', 'msgbatch_x', '--base-url', url], {
      env: { ANTHROPIC_API_KEY: 'emulator' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('claude-batch emulator');
    expect(r.stderr).not.toContain('[REDACTED]');
  });

  it('a key of "batch" does not mangle batch ids', async () => {
    const url = await closedPortUrl();
    const r = await runCli(['status', 'msgbatch_x', '--base-url', url], {
      env: { ANTHROPIC_API_KEY: 'batch' },
    });
    expect(r.stderr).not.toContain('[REDACTED]');
    expect(r.stderr).toContain('claude-batch');
  });
});
