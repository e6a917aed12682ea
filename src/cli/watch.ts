import { resolve } from 'node:path';
import type { BatchClient } from '../core/api/client.js';
import type { MessageBatch } from '../core/api/types.js';
import { addTokenUse, type TokenUse } from '../core/cost/cost.js';
import { loadPrices } from '../core/cost/prices.js';
import { CliError } from '../core/errors.js';
import { assertWritable, openAtomicFile } from '../core/fs/atomic-file.js';
import { type MonitorResult, monitorBatches, type PollSnapshot } from '../core/monitor/monitor.js';
import { appendPollLog, resultPaths } from '../core/monitor/outputs.js';
import { recordDownload, recordEnded } from '../core/registry/record.js';
import { resultsAtRisk, resultsExpireAt, unfinishedBatches } from '../core/registry/registry.js';
import { batchesInput } from '../core/report/sources.js';
import { downloadResults } from '../core/results/download.js';
import type { Context } from './context.js';
import { count, when } from './format.js';
import { println } from './io.js';
import { pricesPath } from './prices.js';
import { type Progress, startProgress } from './progress.js';
import { costText } from './render-cost.js';
import {
  batchesTable,
  batchLine,
  batchRecord,
  batchSummary,
  liveText,
  totalsLine,
} from './render-monitor.js';
import { summaryText } from './render-results.js';
import { writeReportFile } from './report-output.js';

/** Options of `monitor`. */
export interface WatchOptions {
  interval?: number;
  output?: string;
  timeout?: number;
  results?: string;
  force?: boolean;
  json?: boolean;
  prices?: string;
  /** Write the HTML report of the batches here once they have ended. */
  report?: string;
  full?: boolean;
}

/** What the watcher shows while polling: a live spinner on a terminal, plain lines elsewhere, JSON lines with --json. */
class WatchDisplay {
  private last: Array<MessageBatch | undefined> = [];
  private readonly live: boolean;
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: Context,
    private readonly ids: string[],
    private readonly options: WatchOptions,
    private readonly progress: Progress,
  ) {
    this.live = ctx.io.stderrIsTTY && !options.json;
    if (this.live) this.ticker = setInterval(() => progress.update(this.render()), 1000);
  }

  /** The spinner's text: one line per batch, and the totals for several (later lines sit under the spinner). */
  private render(): string {
    return liveText(this.ids, this.last, this.ctx.now());
  }

  /** One poll: the log file, then the display. */
  async poll(poll: PollSnapshot): Promise<void> {
    const { io } = this.ctx;
    this.last = poll.batches;
    if (this.options.output) {
      const polled = poll.polled
        .map((id) => this.last[this.ids.indexOf(id)])
        .filter((b): b is MessageBatch => !!b);
      await appendPollLog(this.options.output, polled, poll.at);
    }
    if (this.options.json) {
      const batches = poll.batches.filter((b): b is MessageBatch => !!b).map((b) => batchRecord(b, poll.at));
      println(
        io.stdout,
        JSON.stringify({ type: 'poll', timestamp: new Date(poll.at).toISOString(), batches }),
      );
    } else if (this.live) {
      this.progress.update(this.render());
    } else {
      const stamp = new Date(poll.at).toISOString().slice(11, 19);
      const changed = this.ids.filter((id) => poll.changed.includes(id));
      for (const id of changed)
        println(io.stderr, `[${stamp}] ${batchLine(id, this.last[this.ids.indexOf(id)], poll.at)}`);
      if (changed.length === 0) {
        const line =
          this.ids.length > 1
            ? totalsLine(this.last)
            : batchLine(this.ids[0] as string, this.last[0], poll.at);
        println(io.stderr, `[${stamp}] ${line}`);
      }
    }
  }

  warn(message: string): void {
    if (this.live) this.progress.update(`${this.render()}\nwarning: ${message}`);
    else println(this.ctx.io.stderr, `warning: ${message}`);
  }

  /** The ids not seen ended yet. */
  unfinished(): string[] {
    return this.ids.filter((_, i) => this.last[i]?.processing_status !== 'ended');
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.progress.stop();
  }
}

/** Downloads each ended batch that has a results path; returns where each went, and their token use. */
async function downloadEach(
  ctx: Context,
  client: BatchClient,
  batches: MessageBatch[],
  paths: Map<string, string>,
  options: WatchOptions,
): Promise<{ files: Record<string, string>; usage?: Record<string, TokenUse> }> {
  const files: Record<string, string> = {};
  let usage: Record<string, TokenUse> | undefined;
  for (const batch of batches) {
    const path = paths.get(batch.id);
    if (!path) continue;
    const sink = await openAtomicFile(path, { force: options.force === true });
    const { summary } = await downloadResults(client, batch.id, sink, {
      signal: ctx.io.signal,
      extra: ctx.registry().batch(batch.id)?.reused_results ?? undefined,
    });
    recordDownload(ctx.registry(), batch.id, path);
    files[batch.id] = path;
    usage = addTokenUse(usage ?? {}, summary.byModel);
    if (!options.json) println(ctx.io.stderr, `${summaryText(summary)}\nWrote ${path}`);
  }
  return { files, ...(usage ? { usage } : {}) };
}

/** The closing summary: JSON on stdout, or a block (one batch) or a table (several), the cost and the next step on stderr. */
async function printSummary(
  ctx: Context,
  result: MonitorResult,
  downloads: { files: Record<string, string>; usage?: Record<string, TokenUse> },
  options: WatchOptions,
): Promise<void> {
  const { io } = ctx;
  if (options.json) {
    const batches = result.batches.map((b) => ({
      ...batchRecord(b, ctx.now()),
      results_file: downloads.files[b.id] ?? null,
    }));
    println(
      io.stdout,
      JSON.stringify({ type: 'summary', polls: result.polls, requests: result.requests, batches }),
    );
    return;
  }
  println(
    io.stderr,
    result.batches.length === 1 ? result.batches.map(batchSummary).join('') : batchesTable(result.batches),
  );
  if (downloads.usage) {
    println(
      io.stderr,
      costText({ byModel: downloads.usage }, await loadPrices(pricesPath(ctx, options.prices))),
    );
  }
  const missing = result.batches.filter((b) => !downloads.files[b.id]);
  if (missing.length === 1)
    println(io.stderr, `Next: claude-batch results ${missing[0]?.id} -o ${missing[0]?.id}.jsonl`);
  else if (missing.length > 1)
    println(
      io.stderr,
      `Next: claude-batch monitor ${missing.map((b) => b.id).join(' ')} --results results/   (downloads each)`,
    );
}

/** The command that picks a stopped watch up again, with the flags that shape its output. */
function resumeCommand(ids: string[], options: WatchOptions): string {
  const quote = (s: string) => (/^[\w./:@%+=,-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`);
  const flags = [
    ...(options.results !== undefined ? ['--results', quote(options.results)] : []),
    ...(options.output !== undefined ? ['-o', quote(options.output)] : []),
    ...(options.report !== undefined ? ['--report', quote(options.report)] : []),
    ...(options.full ? ['--full'] : []),
    ...(options.force ? ['--force'] : []),
  ];
  return ['claude-batch monitor', ...ids, ...flags].join(' ');
}

/**
 * The batches to watch: the ids given, or (none given) every unfinished batch the registry knows
 * for the current base URL.
 */
function batchesToWatch(ctx: Context, client: BatchClient, ids: string[]): string[] {
  if (ids.length > 0) return [...new Set(ids)];
  const registry = ctx.registry();
  const unfinished = unfinishedBatches(registry.read(), client.baseUrl, ctx.now());
  if (unfinished.length === 0) {
    throw new CliError(`No unfinished batches in the registry for ${client.baseUrl}`, {
      kind: 'not-found',
      hint: 'give batch ids (claude-batch monitor ID…); claude-batch list shows the batches of this API',
    });
  }
  return unfinished.map((b) => b.id);
}

/** Warns (once per batch) about each ended batch whose results the API deletes within 3 days and that nobody downloaded. */
export function lossWarnings(
  ctx: Context,
  batches: Array<MessageBatch | undefined>,
  warned: Set<string>,
  downloading: (id: string) => boolean,
): string[] {
  const registry = ctx.registry();
  const now = ctx.now();
  return batches
    .filter((b): b is MessageBatch => b !== undefined && !warned.has(b.id) && !downloading(b.id))
    .filter((b) => resultsAtRisk(b.created_at, registry.batch(b.id), now))
    .map((b) => {
      warned.add(b.id);
      return `the results of ${b.id} are deleted by the API on ${when(resultsExpireAt(b.created_at).toISOString())} (29 days after its creation) and were not downloaded: claude-batch results ${b.id} -o ${b.id}.jsonl`;
    });
}

/** Watches batches until every one has ended, then summarises and optionally downloads (`monitor`, `demo`). */
export async function watchBatches(ctx: Context, ids: string[], options: WatchOptions) {
  const given = [...new Set(ids)];
  // Given ids: the --results paths are checked before anything else (even the key).
  const pathsOfGiven =
    given.length > 0 ? await resultPaths(given, options.results, options.force === true) : undefined;
  if (options.report !== undefined)
    await assertWritable(resolve(ctx.io.cwd, options.report), options.force === true, '--report');
  const client = await ctx.client();
  const unique = batchesToWatch(ctx, client, given);
  if (given.length === 0 && !options.json)
    println(
      ctx.io.stderr,
      `Watching the ${count(unique.length, 'unfinished batch', 'unfinished batches')} the registry knows for ${client.baseUrl}`,
    );
  const paths = pathsOfGiven ?? (await resultPaths(unique, options.results, options.force === true));
  const warned = new Set<string>();
  const progress = await startProgress(
    ctx.io,
    `Watching ${count(unique.length, 'batch', 'batches')}…`,
    options,
  );
  const display = new WatchDisplay(ctx, unique, options, progress);
  let result: MonitorResult;
  try {
    result = await monitorBatches(client, unique, {
      intervalMs: options.interval,
      timeoutMs: options.timeout,
      signal: ctx.io.signal,
      now: ctx.now,
      onPoll: (poll) => {
        recordEnded(ctx.registry(), poll.batches);
        for (const message of lossWarnings(ctx, poll.batches, warned, (id) => paths.has(id)))
          display.warn(message);
        return display.poll(poll);
      },
      onWarning: (message) => display.warn(message),
    });
  } catch (error) {
    if (error instanceof CliError && (error.kind === 'interrupted' || error.kind === 'timeout')) {
      const running = display.unfinished();
      throw new CliError(error.message, {
        kind: error.kind,
        hint: `${error.kind === 'timeout' ? 'the batches keep running; ' : ''}watch again with: ${resumeCommand(running.length ? running : unique, options)}`,
      });
    }
    throw error;
  } finally {
    display.stop();
  }
  const downloads = await downloadEach(ctx, client, result.batches, paths, options);
  await printSummary(ctx, result, downloads, options);
  if (options.report !== undefined) {
    const input = await batchesInput(client, unique, {
      signal: ctx.io.signal,
      have: downloads.files,
      batches: result.batches,
    });
    await writeReportFile(ctx, input, { ...options, output: options.report });
  }
  return 0;
}
