import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';

// Half of all answers are 429 or 529: the SDK's own retries give up on some polls, and the
// monitor must wait those out with a warning rather than stop.
// The emulator's clock stands still until it has injected a fault, so that however slow the
// machine, the batch is still running when the faults come (seed 3 draws its first at request 6).
let stillAt: number | undefined;
const flaky = useEmulator({
  processingTimeMs: 600,
  faults: '429=0.25,529=0.25',
  seed: 3,
  now: () => {
    if (Object.keys(flaky.emulator?.injected ?? {}).length > 0) return Date.now();
    stillAt ??= Date.now();
    return stillAt;
  },
});
const clean = useEmulator({ processingTimeMs: 600 });
const dir = tempDir();

describe('monitor under 429 and 529 answers', () => {
  it('keeps watching through them and ends normally', async () => {
    const created = await runCli(['submit', writeRequests(dir, 'flaky.jsonl', 3)], { env: flaky.env });
    // The create itself may be refused with a 429/529 (nothing created): try again, as a user would.
    let id = created.stdout.trim();
    for (let i = 0; !id && i < 5; i += 1) {
      id = (
        await runCli(['submit', writeRequests(dir, `flaky${i}.jsonl`, 3)], { env: flaky.env })
      ).stdout.trim();
    }
    expect(id).toMatch(/^msgbatch_/);
    const r = await runCli(['monitor', id, '--interval', '30ms'], { env: flaky.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${id}  ended after`);
    const injected = (flaky.emulator.injected['429'] ?? 0) + (flaky.emulator.injected['529'] ?? 0);
    expect(injected).toBeGreaterThan(0);
  });

  it('says what it is waiting out when the API keeps failing', async () => {
    const id = (
      await runCli(['submit', writeRequests(dir, 'ok.jsonl', 2)], { env: clean.env })
    ).stdout.trim();
    // Point the monitor at an address where nothing answers for a while: every poll fails.
    const r = await runCli(['monitor', id, '--interval', '30ms', '--timeout', '1s'], {
      env: { ...clean.env, ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' },
    });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /warning: Cannot reach the API at http:\/\/127\.0\.0\.1:1 .*retrying \(attempt 2\)/,
    );
  });
});
