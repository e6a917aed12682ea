import { resolve } from 'node:path';
import { loadPrices } from '../../core/cost/prices.js';
import { recordBatch } from '../../core/registry/record.js';
import { formatBytes } from '../../core/requests/file.js';
import { submitRequests } from '../../core/submit/submit.js';
import type { Context } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { count, n, when } from '../format.js';
import { println } from '../io.js';
import type { OptionsOf } from '../options.js';
import { pricesPath } from '../prices.js';
import { startProgress } from '../progress.js';
import type { SUBMIT_OPTIONS } from '../register-batches.js';
import { estimateText } from '../render-estimate.js';

type Options = OptionsOf<typeof SUBMIT_OPTIONS>;

/** `submit FILE`: validate, then create; stdout is only the batch id (or the MessageBatch with --json). */
export async function run(ctx: Context, [file]: string[], options: Options) {
  const { io } = ctx;
  const source = file === '-' ? { stream: io.stdin, name: 'stdin' } : { path: file as string };
  const client = options.dryRun ? undefined : await ctx.client();
  const progress = await startProgress(io, `Checking ${source.name ?? file}…`, options);
  try {
    const { stats, batch, estimate, fileBytes, warnings } = await submitRequests(client, source, {
      dryRun: options.dryRun,
      signal: io.signal,
      betas: options.beta,
      prices: await loadPrices(pricesPath(ctx, options.prices)),
      maxCost: options.maxCost,
      strict: options.strict,
      onWarning: (message) => {
        progress.stop();
        println(io.stderr, `warning: ${message}`);
      },
      onValidated: (s) => {
        progress.update(`Uploading ${count(s.requests, 'request')} (${formatBytes(s.bodyBytes)})…`);
      },
      // The id goes out the moment the batch exists, so that even a Ctrl-C right after cannot lose it.
      onCreated: (b, sent) => {
        println(io.stdout, options.json ? JSON.stringify(b, null, 2) : b.id);
        if (client)
          recordBatch(
            ctx.registry(),
            client,
            b,
            {
              command: 'submit',
              label: options.label,
              ...(file === '-' ? {} : { requestsFile: resolve(io.cwd, file as string) }),
            },
            sent,
          );
      },
      onNotice: (message) => {
        progress.stop();
        println(io.stderr, `note: ${message}`);
      },
    });
    progress.stop();
    const models = Object.entries(stats.byModel)
      .map(([model, m]) => `${model} ×${n(m.requests)}`)
      .join(', ');
    if (!batch) {
      if (options.json)
        println(
          io.stdout,
          JSON.stringify({ dry_run: true, ...stats, fileBytes, estimate, warnings }, null, 2),
        );
      println(
        io.stderr,
        `✓ ${stats.file}: ${count(stats.requests, 'valid request')} (${models}) · file ${formatBytes(fileBytes)} · request body ${formatBytes(stats.bodyBytes)}`,
      );
      if (estimate && !options.json) println(io.stderr, estimateText(estimate));
      println(io.stderr, 'Dry run: nothing was sent.');
      return 0;
    }
    println(
      io.stderr,
      `✓ Submitted ${count(stats.requests, 'request')} (request body ${formatBytes(stats.bodyBytes)}; ${models})`,
    );
    println(io.stderr, `  Batch    ${batch.id}`);
    println(io.stderr, `  Status   ${batch.processing_status}`);
    println(io.stderr, `  Created  ${when(batch.created_at)}`);
    println(io.stderr, `  Expires  ${when(batch.expires_at)}`);
    println(io.stderr, `Next: claude-batch monitor ${batch.id}   (or: claude-batch status ${batch.id})`);
    if (io.signal.aborted) {
      println(io.stderr, `Interrupted; batch ${batch.id} had been created (its id is on stdout).`);
      return ExitCode.INTERRUPTED;
    }
    return 0;
  } finally {
    progress.stop();
  }
}
