import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A registry folder of the tests' own (CLAUDE_BATCH_HOME), never the user's.
    setupFiles: ['test/setup/registry-home.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Vitest's default is one worker less than the cores: a single worker on 2 cores. Most files
    // wait on sockets and child processes, so two run side by side even there.
    maxWorkers: 2,
    // One process per worker, reused from file to file: the sources and the SDK are loaded once
    // per worker instead of once per file (no test changes process-wide state).
    isolate: false,
  },
});
