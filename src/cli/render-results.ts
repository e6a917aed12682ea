import type { ResultsSummary } from '../core/results/summary.js';
import { n, pct } from './format.js';

/** The summary block printed on stderr after a download. */
export function summaryText(s: ResultsSummary): string {
  const lines = [
    `Results: ${n(s.total)} · ${n(s.succeeded)} succeeded · ${n(s.errored)} errored · ${n(s.canceled)} canceled · ${n(s.expired)} expired`,
    `Success rate: ${pct(s.successRate)} · tokens: ${n(s.inputTokens)} in, ${n(s.outputTokens)} out` +
      (s.cacheReadTokens || s.cacheWriteTokens
        ? ` (cache: ${n(s.cacheReadTokens)} read, ${n(s.cacheWriteTokens)} written)`
        : ''),
  ];
  for (const e of s.topErrors) lines.push(`  ${n(e.count)} × ${e.type}: ${e.message}`);
  return lines.join('\n');
}
