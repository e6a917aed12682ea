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
  const outputs = outputsLine(s);
  if (outputs) lines.push(outputs);
  return lines.join('\n');
}

/** The line on structured answers: how many were checked, and how many are invalid. */
export function outputsLine(s: ResultsSummary): string | undefined {
  const o = s.outputs;
  if (!o || o.checked === 0) return undefined;
  return o.invalid === 0
    ? `Structured answers: ${n(o.checked)} checked · all valid`
    : `Structured answers: ${n(o.checked)} checked · ${n(o.invalid)} invalid (see output_error; send them again with retry --invalid-output)`;
}
