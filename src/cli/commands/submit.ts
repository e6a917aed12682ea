import { resolve } from 'node:path';
import { resolveBaseUrl } from '../../core/api/client.js';
import { actualCost, usd } from '../../core/cost/cost.js';
import { loadPrices } from '../../core/cost/prices.js';
import { UsageError } from '../../core/errors.js';
import { fingerprint } from '../../core/job/manifest.js';
import { recordBatch } from '../../core/registry/record.js';
import { assertReadableFile, formatBytes, openSource, validateRequests } from '../../core/requests/file.js';
import { prepareReusedSubmit, type ReusedSubmit } from '../../core/reuse/apply.js';
import { buildReuseIndex, invalidNote, skippedNotice } from '../../core/reuse/sources.js';
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

/** `submit --reuse`: what was reused, and the file's sha256 (the registry records the whole file's). */
interface Reuse {
  prepared: ReusedSubmit;
  sha256: string;
  requests: number;
}

/** `submit FILE`: validate, then create; stdout is only the batch id (or the MessageBatch with --json). */
export async function run(ctx: Context, [file]: string[], options: Options) {
  if (options.reuse !== undefined) return submitReusing(ctx, file as string, options);
  return send(ctx, file as string, options);
}

/**
 * `submit FILE --reuse [SOURCE]`: the requests whose params already succeeded (a registered job or
 * results file, same base URL) are not sent; their results go to `FILE.reused-<id>.jsonl`, which
 * `results ID` and `monitor ID --results` add to the batch's own.
 */
async function submitReusing(ctx: Context, file: string, options: Options) {
  const { io } = ctx;
  if (file === '-') throw new UsageError('--reuse reads the request file twice: give a file, not -');
  const path = resolve(io.cwd, file);
  await assertReadableFile(path, file);
  // The whole file is checked first (FILE:LINE messages name its own lines).
  const stats = await validateRequests(openSource(path), { file });
  const baseUrl = resolveBaseUrl({ env: io.env, baseUrl: ctx.globals.baseUrl });
  const { index, sources, skipped, changed } = await buildReuseIndex(ctx.registry(), {
    baseUrl,
    workspace: ctx.globals.workspace,
    betas: options.beta,
    cwd: io.cwd,
    from: options.reuse === true ? undefined : options.reuse,
  });
  const prepared = await prepareReusedSubmit(path, index);
  try {
    println(
      io.stderr,
      `Reuse: ${n(prepared.reused)} of ${count(stats.requests, 'request')} answered before (${count(index.size, 'answer')} in ${count(sources, 'results file')}); ${n(prepared.toSend)} to send${invalidNote(prepared.invalid)}`,
    );
    const notice = skippedNotice(skipped, changed);
    if (notice) println(io.stderr, notice);
    if (prepared.toSend === 0) {
      if (options.dryRun) {
        println(io.stderr, 'Dry run: nothing was sent.');
        return ExitCode.OK;
      }
      const kept = prepared.keep();
      println(
        io.stderr,
        `Every request was answered before: their results are in ${kept}; no batch was created.`,
      );
      return ExitCode.OK;
    }
    const { sha256 } = await fingerprint(path);
    return await send(ctx, file, options, { prepared, sha256, requests: stats.requests });
  } finally {
    await prepared.cleanup();
  }
}

async function send(ctx: Context, file: string, options: Options, reuse?: Reuse) {
  const { io } = ctx;
  const source =
    file === '-'
      ? { stream: io.stdin, name: 'stdin' }
      : reuse
        ? { path: reuse.prepared.toSendFile, name: file }
        : { path: file };
  const client = options.dryRun ? undefined : await ctx.client();
  const progress = await startProgress(io, `Checking ${source.name ?? file}…`, options);
  let reusedFile: string | undefined;
  const prices = await loadPrices(pricesPath(ctx, options.prices));
  try {
    const { stats, batch, estimate, fileBytes, warnings } = await submitRequests(client, source, {
      dryRun: options.dryRun,
      signal: io.signal,
      betas: options.beta,
      prices,
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
        if (!client) return;
        // With --reuse, the batch and the reused answers together answer the whole file.
        reusedFile = reuse?.prepared.keep(b.id);
        recordBatch(
          ctx.registry(),
          client,
          b,
          {
            command: 'submit',
            label: options.label,
            ...(file === '-' ? {} : { requestsFile: resolve(io.cwd, file) }),
            reusedResults: reusedFile,
            betas: options.beta,
          },
          reuse ? { sha256: reuse.sha256, requests: sent.requests } : sent,
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
    if (reuse && reusedFile) {
      println(
        io.stderr,
        `  Reused   ${count(reuse.prepared.reused, 'answer')} already paid for (${usd(actualCost(reuse.prepared.summary.byModel, prices).batch)} not spent again): ${reusedFile}; results ${batch.id} and monitor --results add them`,
      );
    }
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
