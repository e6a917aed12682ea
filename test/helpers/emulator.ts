import { afterAll, beforeAll } from 'vitest';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/server.js';

/**
 * The emulator's clock in a test: real time plus an offset that only the test moves. A batch
 * ends when the test moves the clock past its processing time, not after a sleep, so a test
 * neither waits for it nor depends on how loaded the machine is.
 */
export interface TestClock {
  /** The time the emulator sees, in ms since the epoch (give it as `now`). */
  now: () => number;
  /** Moves the emulator's time forward by `ms`. */
  advance(ms: number): void;
}

/**
 * A clock that follows real time and jumps when the test moves it forward; a `stopped` one moves
 * only then (batches never end on their own, however slow the machine).
 */
export function testClock({ stopped = false }: { stopped?: boolean } = {}): TestClock {
  const start = Date.now();
  let offset = 0;
  return {
    now: () => (stopped ? start : Date.now()) + offset,
    advance: (ms) => {
      offset += ms;
    },
  };
}

/**
 * Starts an emulator for the test file; the returned object is filled in before the tests run.
 * `stoppedClock`: the emulator's time moves only when a test moves it (see `testClock`).
 */
export function useEmulator({
  stoppedClock = false,
  ...options
}: EmulatorOptions & { stoppedClock?: boolean } = {}): {
  emulator: Emulator;
  env: Record<string, string>;
  clock: TestClock;
  /** Ends every batch created so far (moves the clock past the processing time); no waiting. */
  endBatches(): void;
} {
  const clock = testClock({ stopped: stoppedClock });
  const processingTimeMs = options.processingTimeMs ?? 200;
  const holder = {
    clock,
    endBatches: () => clock.advance(processingTimeMs),
  } as ReturnType<typeof useEmulator>;
  beforeAll(async () => {
    holder.emulator = await startEmulator({ now: clock.now, ...options, processingTimeMs });
    holder.env = { ANTHROPIC_BASE_URL: holder.emulator.url, ANTHROPIC_API_KEY: 'test-key-not-secret' };
  });
  afterAll(async () => {
    await holder.emulator?.close();
  });
  return holder;
}

/** Total requests the emulator answered on routes matching `pattern`. */
export function requestsTo(emulator: Emulator, pattern: RegExp): number {
  return Object.entries(emulator.counts)
    .filter(([route]) => pattern.test(route))
    .reduce((sum, [, n]) => sum + n, 0);
}

/**
 * Polls `check` every `everyMs` until it holds; fails with "timed out waiting for WHAT" after
 * `timeoutMs`. For events a test cannot be told of (a file appears, a process prints a line).
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 10_000, everyMs = 10 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A loopback URL on which nothing listens (a port that was free a moment ago). */
export async function closedPortUrl(): Promise<string> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
