import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeRequests } from '../helpers/files.js';
import { startOddApi } from '../helpers/odd-api.js';

// What a user installs: the packed tarball, installed globally into a temporary prefix, offline.
// (Needs the build: `npm test` runs it first.)
const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const ctx = useEmulator({ processingTimeMs: 100 });
const dir = tempDir();

/** Bytes of every file under `path` (the apparent size), and the files' paths. */
function walk(path: string, files: string[] = []): { bytes: number; files: string[] } {
  let bytes = 0;
  for (const entry of readdirSync(path)) {
    const full = join(path, entry);
    const stat = lstatSync(full);
    if (stat.isDirectory()) bytes += walk(full, files).bytes;
    else {
      bytes += stat.size;
      files.push(full);
    }
  }
  return { bytes, files };
}

describe('the published package', () => {
  it('installs from its tarball with nothing else, under 10 MB, and runs: CLI, library, source maps', async () => {
    const npmEnv = { PATH: process.env.PATH, HOME: dir, npm_config_cache: join(dir, 'npm-cache') };
    const npmFlags = ['--offline', '--no-audit', '--no-fund', '--loglevel=error'];
    const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, ...npmFlags], {
      cwd: root,
      env: npmEnv,
    });
    const tarball = join(dir, packed.stdout.trim().split('\n').at(-1) ?? '');
    const prefix = join(dir, 'global');
    await run('npm', ['i', '-g', '--prefix', prefix, tarball, ...npmFlags], { env: npmEnv });

    const installed = join(prefix, 'lib', 'node_modules', 'claude-batch');
    const { bytes, files } = walk(installed);
    const relative = files.map((f) => f.slice(installed.length + 1));
    expect(bytes).toBeLessThan(10_000_000);
    // Nothing installed beside it: the dependencies are in the bundle.
    expect(relative.filter((f) => f.startsWith('node_modules/'))).toEqual([]);
    // tsc's JavaScript output is not shipped (only the bundle runs); its types are.
    expect(
      relative.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/bundle/') && !f.endsWith('.d.ts')),
    ).toEqual([]);
    expect(relative).toContain('dist/index.d.ts');
    expect(relative).toContain('dist/bundle/entry.js.map');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies ?? {}).toEqual({});

    const bin = join(prefix, 'bin', 'claude-batch');
    const env = { PATH: process.env.PATH, ...ctx.env };
    const version = await run(bin, ['--version'], { env });
    expect(version.stdout).toBe(`${pkg.version}\n`);
    const submitted = await run(bin, ['submit', writeRequests(dir, 'pkg.jsonl', 3)], { env });
    const id = submitted.stdout.trim();
    expect(id).toMatch(/^msgbatch_\w+$/);

    // better-sqlite3 is an optional peer, not installed: only --format sqlite says so (exit 1).
    expect(existsSync(join(prefix, 'lib', 'node_modules', 'better-sqlite3'))).toBe(false);
    const sqlite = await run(bin, ['results', id, '--format', 'sqlite', '-o', join(dir, 'pkg.db')], {
      env,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(sqlite.code).toBe(1);
    expect(sqlite.stderr).toMatch(
      /^error: --format sqlite needs the better-sqlite3 module, which could not be loaded/m,
    );
    expect(sqlite.stderr).toContain('hint: install it beside claude-batch: npm install -g better-sqlite3@12');

    // The library entry, imported from the installed copy in a plain Node process.
    const script = `
      const lib = await import(${JSON.stringify(join(installed, 'dist/bundle/index.js'))});
      const client = await lib.createClient({ env: ${JSON.stringify(ctx.env)} });
      const batch = await lib.getBatch(client, ${JSON.stringify(id)});
      console.log(JSON.stringify({ id: batch.id, total: lib.totalRequests(batch), exit: lib.ExitCode.OK }));`;
    const library = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH },
    });
    expect(JSON.parse(library.stdout)).toEqual({ id, total: 3, exit: 0 });

    // --verbose stack traces name the TypeScript sources through the shipped maps.
    const odd = await startOddApi();
    try {
      const failed = await run(bin, ['status', 'msgbatch_odd', '--verbose', '--base-url', odd.url], {
        env,
      }).then(
        () => ({ stderr: 'exited 0' }),
        (error: { stderr: string }) => error,
      );
      expect(failed.stderr).toMatch(/^error: unexpected failure: Cannot read properties of undefined/m);
      expect(failed.stderr).toMatch(/\(\/.*\/src\/cli\/render-batch\.ts:\d+:\d+\)/);
    } finally {
      await odd.close();
    }
  }, 30_000);
});
