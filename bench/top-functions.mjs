/**
 * Summarises a V8 CPU profile (from `node --cpu-prof`): the functions with the most self time,
 * and the files (src/ vs node_modules vs node internals) they belong to.
 * Usage: node bench/top-functions.mjs PROFILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';

const [file, top = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/top-functions.mjs PROFILE.cpuprofile [N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const total = profile.timeDeltas.reduce((sum, d) => sum + d, 0);
for (let i = 0; i < profile.samples.length; i += 1) {
  const node = byId.get(profile.samples[i]);
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(node.id, (self.get(node.id) ?? 0) + dt);
}
const shorten = (url) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'node_modules/')
    .replace(/^.*\/(dist|bench)\//, '$1/');
const byFunction = new Map();
const byFile = new Map();
for (const [id, us] of self) {
  const { callFrame: f } = byId.get(id);
  const where = f.url ? `${shorten(f.url)}:${f.lineNumber + 1}` : '(native)';
  const key = `${f.functionName || '(anonymous)'}  ${where}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const area = f.url
    ? shorten(f.url).replace(/^(node_modules\/(@[^/]+\/)?[^/]+).*$/, '$1')
    : f.functionName.startsWith('(')
      ? f.functionName
      : '(native)';
  byFile.set(area, (byFile.get(area) ?? 0) + us);
}
const print = (title, map, n) => {
  console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(
      `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`,
    );
  }
};
print('self time by function', byFunction, Number(top));
print('self time by file', byFile, 15);
