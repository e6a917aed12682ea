/**
 * Diagnostic preload: samples process.memoryUsage() every 10 ms and prints the peaks of RSS,
 * JS heap and external (Buffer/ArrayBuffer) memory on stderr at exit, to tell which one grows.
 * Usage: node --import ./bench/mem-sample.mjs bin/claude-batch.js results ID -o out.jsonl
 */
const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
const sample = () => {
  const m = process.memoryUsage();
  for (const key of Object.keys(peak)) peak[key] = Math.max(peak[key], m[key]);
};
setInterval(sample, 10).unref();
process.on('exit', () => {
  sample();
  const mb = (v) => `${(v / 1e6).toFixed(0)} MB`;
  process.stderr.write(
    `[mem-sample] peak rss ${mb(peak.rss)} · heapUsed ${mb(peak.heapUsed)} · heapTotal ${mb(peak.heapTotal)} · external ${mb(peak.external)} · arrayBuffers ${mb(peak.arrayBuffers)} · maxRSS ${mb(process.resourceUsage().maxRSS * 1024)}\n`,
  );
});
