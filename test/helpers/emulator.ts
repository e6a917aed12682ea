import { afterAll, beforeAll } from 'vitest';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/server.js';

/** Starts an emulator for the test file; the returned object is filled in before the tests run. */
export function useEmulator(options: EmulatorOptions = {}): {
  emulator: Emulator;
  env: Record<string, string>;
} {
  const holder = {} as { emulator: Emulator; env: Record<string, string> };
  beforeAll(async () => {
    holder.emulator = await startEmulator({ processingTimeMs: 200, ...options });
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

/** Waits `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A loopback URL on which nothing listens (a port that was free a moment ago). */
export async function closedPortUrl(): Promise<string> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
