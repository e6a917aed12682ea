import {
  type BuildOptions,
  type BuildSource,
  type BuildSummary,
  buildRequestFile,
} from '../../core/builder/build.js';
import { skippedText } from '../../core/builder/rows.js';
import { loadPrices } from '../../core/cost/prices.js';
import { UsageError } from '../../core/errors.js';
import { type Sink, streamSink } from '../../core/fs/atomic-file.js';
import { formatBytes } from '../../core/requests/file.js';
import type { Context } from '../context.js';
import { count, n } from '../format.js';
import { println } from '../io.js';
import type { OptionsOf } from '../options.js';
import { pricesPath } from '../prices.js';
import { startProgress } from '../progress.js';
import type { AnySourceOptions, BUILD_OPTIONS } from '../register-build.js';

/** The flags of `build <source>`: where the output goes, and those of the source. */
type Options = OptionsOf<typeof BUILD_OPTIONS> & AnySourceOptions;

/** The summary block printed on stderr after a build. */
export function summaryText(s: BuildSummary): string {
  const lines = [
    `✓ ${count(s.requests, 'request')} written to ${s.output}${s.output === 'stdout' ? '' : ` (${formatBytes(s.bytes)})`}`,
  ];
  if (Object.keys(s.skipped).length > 0) {
    lines.push(`  skipped: ${skippedText(s.skipped)}`);
  }
  if (s.hashedIds > 0) lines.push(`  ${count(s.hashedIds, 'id')} replaced by a hash (--hash-ids)`);
  const models = Object.entries(s.models)
    .map(([model, count]) => `${model} ×${n(count)}`)
    .join(', ');
  lines.push(`  models: ${models} · input ≈ ${n(s.inputTokensEstimate)} tokens (estimate)`);
  if (s.map) lines.push(`  sidecar: ${s.map} (custom_id → input row)`);
  for (const warning of s.warnings) lines.push(`warning: ${warning}`);
  if (s.output !== 'stdout' && !s.overLimits) lines.push(`Next: claude-batch submit ${s.output}`);
  return lines.join('\n');
}

/** `build <source> INPUT`: parse → core → render. */
export function runner(source: BuildSource) {
  return async (ctx: Context, [input]: string[], options: Options): Promise<number> => {
    const { io } = ctx;
    const toStdout = options.output === '-';
    if (options.json && toStdout) {
      throw new UsageError('--json prints the summary on stdout, so it needs -o FILE for the requests');
    }
    if (source === 'custom' && input === '-') {
      throw new UsageError(
        'build custom reads a module file, not stdin',
        'pass the path to a .js, .mjs or .py module',
      );
    }
    const prices = await loadPrices(pricesPath(ctx, undefined));
    const output: string | Sink = toStdout ? streamSink(io.stdout) : options.output;
    const progress = await startProgress(io, `Building requests from ${input}…`, options);
    try {
      const build: BuildOptions = {
        ...options,
        source,
        input: input === '-' ? { stream: io.stdin, name: 'stdin' } : (input as string),
        output,
        map: toStdout && typeof options.map !== 'string' ? false : options.map,
        env: io.env,
        cwd: io.cwd,
        prices,
        signal: io.signal,
        onModuleOutput: (text) => io.stderr.write(text),
        onProgress: (rows) => progress.update(`Building requests from ${input}… ${n(rows)} rows`),
      };
      const summary = await buildRequestFile(build);
      progress.stop();
      if (options.json) {
        println(io.stdout, JSON.stringify(summary, null, 2));
        for (const warning of summary.warnings) println(io.stderr, `warning: ${warning}`);
      } else println(io.stderr, summaryText(summary));
      return 0;
    } finally {
      progress.stop();
    }
  };
}
