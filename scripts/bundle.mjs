#!/usr/bin/env node
// Bundles the CLI (src/cli/entry.ts) and the library (src/index.ts) into dist/bundle/, straight
// from the TypeScript sources: one minified chunk per lazily loaded part, shared chunks between
// the two entries, with source maps (dist/bundle/*.js.map, naming src/…ts files and lines; used
// under `--verbose`, see bin/claude-batch.js). Loading one bundled file costs far less than
// resolving and reading the ~400 module files of the SDK, commander and friends one by one:
// `status` starts about 140 ms sooner.
//
// Everything the code imports is bundled except node: built-ins and the packages listed in
// package.json `dependencies` (kept for what cannot be bundled, such as native modules): the
// bundled ones are devDependencies, so a user's install carries only what runs. Native modules
// that are optional (NATIVE: better-sqlite3, for `results --format sqlite`) are never bundled
// either: they are optional peer dependencies, loaded lazily from beside the package when the
// user installed them (see src/core/results/sqlite-module.ts).
// tsc still emits dist/**/*.d.ts (the library's types) and dist/**/*.js (used by bench/ only;
// not published: see `files` in package.json).
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(await readFile(`${root}package.json`, 'utf8'));
const NATIVE = ['better-sqlite3'];
const installed = [...Object.keys(pkg.dependencies ?? {}), ...NATIVE];
const out = `${root}dist/bundle`;
await rm(out, { recursive: true, force: true });
const bundle = await rolldown({
  input: { entry: `${root}src/cli/entry.ts`, index: `${root}src/index.ts` },
  platform: 'node',
  external: (id) =>
    id.startsWith('node:') || installed.some((name) => id === name || id.startsWith(`${name}/`)),
  logLevel: 'warn',
  transform: { target: 'node20' },
});
await bundle.write({
  dir: out,
  format: 'esm',
  entryFileNames: '[name].js',
  chunkFileNames: '[name]-[hash].js',
  minify: true,
  // Maps name the sources (src/…, node_modules/…) and their lines, without their text.
  sourcemap: true,
  sourcemapExcludeSources: true,
});
await bundle.close();
