import type { MessageBatch } from '../core/api/types.js';
import type { Manifest } from '../core/job/manifest.js';
import { latestAttempt } from '../core/job/manifest.js';
import { RETRYABLE_ERRORS } from '../core/job/retry.js';
import type { JobEvent } from '../core/job/run.js';
import type { ResultsSummary } from '../core/results/summary.js';
import type { Context } from './context.js';
import { count, n } from './format.js';
import { println } from './io.js';
import { startProgress } from './progress.js';
import { batchLine, batchRecord, liveText } from './render-monitor.js';

/** `shard 2/3` */
function shardName(index: number, manifest: Manifest): string {
  return `shard ${index + 1}/${manifest.shards.length}`;
}

/** What a job reporter gives: the event handler for the core, and `stop` for the live line. */
export interface JobReporter {
  onEvent: (event: JobEvent) => void;
  /** Prints a line on stderr, pausing the live line for it. */
  say: (text: string) => void;
  stop: () => void;
}

/**
 * Turns job events into lines on stderr (or JSON lines on stdout with --json). On a terminal, the
 * polls show as the same live line as `monitor` (one line per batch, and the totals for several);
 * elsewhere, a timestamped line per change.
 */
export async function jobReporter(
  ctx: Context,
  options: { json?: boolean },
  known?: Manifest,
): Promise<JobReporter> {
  const { io } = ctx;
  let manifest: Manifest | undefined = known;
  const live = io.stderrIsTTY && !options.json;
  const progress = live ? await startProgress(io, 'Waiting for the batches…', options) : undefined;
  let spinning = live;
  const say = (text: string) => {
    if (spinning) {
      progress?.stop();
      spinning = false;
    }
    println(io.stderr, text);
  };
  const showPoll = (batches: Array<MessageBatch | undefined>, at: number) => {
    const known = batches.filter((b): b is MessageBatch => !!b);
    if (!spinning) {
      progress?.start?.();
      spinning = true;
    }
    progress?.update(
      liveText(
        known.map((b) => b.id),
        known,
        at,
      ),
    );
  };
  const onEvent = (event: JobEvent) => {
    if (options.json) {
      if (event.kind === 'poll') {
        // The same poll record as `monitor --json`.
        const batches = event.poll.batches
          .filter((b): b is MessageBatch => !!b)
          .map((b) => batchRecord(b, event.poll.at));
        println(
          io.stdout,
          JSON.stringify({ type: 'poll', timestamp: new Date(event.poll.at).toISOString(), batches }),
        );
      }
      return;
    }
    if (event.kind === 'poll' && live) {
      showPoll(event.poll.batches, event.poll.at);
      return;
    }
    switch (event.kind) {
      case 'created':
        manifest = event.manifest;
        say(
          `Job ${event.manifest.job_id}: ${count(
            event.manifest.shards.reduce((s, x) => s + x.requests, 0),
            'request',
          )} in ${count(event.manifest.shards.length, 'shard')} (state: ${event.dir})`,
        );
        break;
      case 'resumed': {
        manifest = event.manifest;
        const submitted = event.manifest.shards.filter((s) => latestAttempt(s)?.batch_id).length;
        say(
          `Resuming job ${event.manifest.job_id}: ${submitted} of ${count(event.manifest.shards.length, 'shard')} submitted (state: ${event.dir})`,
        );
        break;
      }
      case 'reconciled':
        say(
          event.found
            ? `${manifest ? shardName(event.shard.index, manifest) : 'shard'}: found batch ${event.attempt.batch_id} created before the interruption; not creating another`
            : `${manifest ? shardName(event.shard.index, manifest) : 'shard'}: no batch was created before the interruption; creating it now`,
        );
        break;
      case 'submitted':
        say(
          `${manifest ? shardName(event.shard.index, manifest) : 'shard'}: submitted ${event.attempt.batch_id} (${count(event.attempt.requests, 'request')}${event.attempt.number > 1 ? `, attempt ${event.attempt.number}` : ''})`,
        );
        break;
      case 'poll': {
        const stamp = new Date(event.poll.at).toISOString().slice(11, 19);
        for (const b of event.poll.batches) {
          if (b && event.poll.changed.includes(b.id)) say(`[${stamp}] ${batchLine(b.id, b, event.poll.at)}`);
        }
        if (event.poll.changed.length === 0) {
          const running = event.poll.batches.filter((b) => b && b.processing_status !== 'ended').length;
          say(`[${stamp}] ${count(running, 'batch', 'batches')} still running`);
        }
        break;
      }
      case 'downloaded':
        say(
          `${manifest ? shardName(event.shard.index, manifest) : 'shard'}: results of ${event.attempt.batch_id} downloaded (${n(event.summary.succeeded)} succeeded, ${n(event.summary.errored)} errored)`,
        );
        break;
      case 'warning':
        say(`warning: ${event.message}`);
        break;
      case 'paced':
        say(
          `${manifest ? shardName(event.shard.index, manifest) : 'shard'}: waiting for earlier batches to end (${n(event.queued)} requests queued; --max-queued ${n(event.maxQueued)})`,
        );
        break;
      case 'refused':
        say(
          `${manifest ? shardName(event.shard.index, manifest) : 'shard'}: the API refused the batch (${event.refusal.reason}: ${event.refusal.message}); nothing was created. Sending it again in ${Math.ceil(event.waitMs / 1000)} s (not a failure: the job goes on).`,
        );
        break;
    }
  };
  return {
    onEvent,
    say,
    stop: () => {
      progress?.stop();
      spinning = false;
    },
  };
}

/**
 * What to run to retry a job's failures, naming the flags its failures need: errored results of
 * a retryable type go by default, expired and canceled ones only with --expired / --canceled.
 * Undefined when nothing failed; a note when only errors that retrying cannot fix remain.
 */
export function retryHint(summary: ResultsSummary, job: string): string | undefined {
  const retryable = RETRYABLE_ERRORS.reduce((sum, type) => sum + (summary.errorTypes[type] ?? 0), 0);
  const flags = [
    ...(summary.expired > 0 ? ['--expired'] : []),
    ...(summary.canceled > 0 ? ['--canceled'] : []),
  ];
  if (retryable === 0 && flags.length === 0) {
    return summary.errored > 0
      ? `The ${count(summary.errored, 'errored request')} failed for reasons a retry does not fix (${Object.keys(summary.errorTypes).join(', ')}): fix the requests and run them again`
      : undefined;
  }
  return `Retry what failed: claude-batch retry ${job}${flags.length ? ` ${flags.join(' ')}` : ''}`;
}
