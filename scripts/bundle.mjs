#!/usr/bin/env node
// Bundles the CLI (dist/cli/entry.js, built by tsc) into dist/bundle/: one minified chunk per
// lazily loaded part, the dependencies included. Loading one bundled file costs far less than
// resolving and reading the ~400 module files of the SDK, commander and friends one by one:
// `status` starts about 140 ms sooner. dist/index.js (the library) stays unbundled.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/bundle`;
await rm(out, { recursive: true, force: true });
const bundle = await rolldown({
  input: { entry: `${root}dist/cli/entry.js` },
  platform: 'node',
  external: [/^node:/],
  logLevel: 'warn',
});
await bundle.write({
  dir: out,
  format: 'esm',
  entryFileNames: '[name].js',
  chunkFileNames: '[name]-[hash].js',
  minify: true,
});
await bundle.close();
