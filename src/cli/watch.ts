import type { MessageBatch } from '../core/api/types.js';
import { openAtomicFile } from '../core/fs/atomic-file.js';
import { type MonitorResult, monitorBatches, type PollSnapshot } from '../core/monitor/monitor.js';
import { appendPollLog, resultPaths } from '../core/monitor/outputs.js';
import { downloadResults } from '../core/results/download.js';
import type { Context } from './context.js';
import { println } from './io.js';
import { startProgress } from './progress.js';
import { batchLine, batchRecord, batchSummary, totalsLine } from './render-monitor.js';
import { summaryText } from './render-results.js';

/** Options of `monitor`. */
export interface WatchOptions {
  interval?: number;
  output?: string;
  timeout?: number;
  results?: string;
  force?: boolean;
  json?: boolean;
}

/** Watches batches until every one has ended, then summarises and optionally downloads (`monitor`, `demo`). */
export async function watchBatches(ctx: Context, ids: string[], options: WatchOptions) {
  const { io } = ctx;
  const unique = [...new Set(ids)];
  const paths = await resultPaths(unique, options.results, options.force === true);
  const client = await ctx.client();
  const live = io.stderrIsTTY && !options.json;
  const progress = await startProgress(io, `Watching ${unique.length} batch(es)…`, options);
  let last: Array<MessageBatch | undefined> = [];
  const render = () =>
    [
      ...unique.map((id, i) => batchLine(id, last[i], ctx.now())),
      ...(unique.length > 1 ? [totalsLine(last)] : []),
    ].join('\n  '); // later lines sit under the spinner's text
  const ticker = live ? setInterval(() => progress.update(render()), 1000) : undefined;

  const onPoll = async (poll: PollSnapshot) => {
    last = poll.batches;
    if (options.output) {
      const polled = poll.polled.map((id) => last[unique.indexOf(id)]).filter((b): b is MessageBatch => !!b);
      await appendPollLog(options.output, polled, poll.at);
    }
    if (options.json) {
      const batches = poll.batches.filter((b): b is MessageBatch => !!b).map((b) => batchRecord(b, poll.at));
      println(
        io.stdout,
        JSON.stringify({ type: 'poll', timestamp: new Date(poll.at).toISOString(), batches }),
      );
    } else if (live) {
      progress.update(render());
    } else {
      const stamp = new Date(poll.at).toISOString().slice(11, 19);
      const changed = unique.filter((id) => poll.changed.includes(id));
      for (const id of changed)
        println(io.stderr, `[${stamp}] ${batchLine(id, last[unique.indexOf(id)], poll.at)}`);
      if (changed.length === 0) {
        println(
          io.stderr,
          `[${stamp}] ${unique.length > 1 ? totalsLine(last) : batchLine(unique[0] as string, last[0], poll.at)}`,
        );
      }
    }
  };

  let result: MonitorResult;
  try {
    result = await monitorBatches(client, unique, {
      intervalMs: options.interval,
      timeoutMs: options.timeout,
      signal: io.signal,
      now: ctx.now,
      onPoll,
      onWarning: (message) => {
        if (live) progress.update(`${render()}\nwarning: ${message}`);
        else println(io.stderr, `warning: ${message}`);
      },
    });
  } finally {
    if (ticker) clearInterval(ticker);
    progress.stop();
  }

  const downloads: Record<string, string> = {};
  for (const batch of result.batches) {
    const path = paths.get(batch.id);
    if (!path) continue;
    const sink = await openAtomicFile(path, { force: options.force === true });
    const { summary } = await downloadResults(client, batch.id, sink, { signal: io.signal });
    downloads[batch.id] = path;
    if (!options.json) println(io.stderr, `${summaryText(summary)}\nWrote ${path}`);
  }

  if (options.json) {
    const batches = result.batches.map((b) => ({
      ...batchRecord(b, ctx.now()),
      results_file: downloads[b.id] ?? null,
    }));
    println(
      io.stdout,
      JSON.stringify({ type: 'summary', polls: result.polls, requests: result.requests, batches }),
    );
  } else {
    println(io.stderr, result.batches.map(batchSummary).join('\n'));
    const missing = result.batches.filter((b) => !downloads[b.id]);
    for (const b of missing) println(io.stderr, `Next: claude-batch results ${b.id} -o ${b.id}.jsonl`);
  }
  return 0;
}
