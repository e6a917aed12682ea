#!/usr/bin/env node
// The claude-batch command. All the work is in dist/bundle/ (built by `npm run build`, run on install).
import { runProcess } from '../dist/bundle/entry.js';

await runProcess(process.argv.slice(2));
