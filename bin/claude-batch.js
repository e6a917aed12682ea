#!/usr/bin/env node
// The claude-batch command. All the work is in dist/bundle/ (built by `npm run build`, run on install).
// With --verbose, stack traces name the TypeScript sources (src/…ts:LINE) through the bundle's
// source maps. Only then: reading the maps costs start-up time. They apply to modules loaded
// after this call, hence the dynamic import.
const argv = process.argv.slice(2);
const dashdash = argv.indexOf('--');
if ((dashdash < 0 ? argv : argv.slice(0, dashdash)).includes('--verbose')) process.setSourceMapsEnabled(true);
const { runProcess } = await import('../dist/bundle/entry.js');

await runProcess(argv);
