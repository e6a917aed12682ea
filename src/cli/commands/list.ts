import { relative } from 'node:path';
import { listBatches } from '../../core/api/batches.js';
import type { MessageBatch } from '../../core/api/types.js';
import { type BatchEntry, resultsAtRisk, resultsExpireAt } from '../../core/registry/registry.js';
import type { Context } from '../context.js';
import { count, fittedTable, table, when } from '../format.js';
import { println } from '../io.js';
import type { OptionsOf } from '../options.js';
import type { LIST_OPTIONS } from '../register-batches.js';
import { type BatchColumn, batchCells, batchHeader, registryFields } from '../render-batch.js';

type Options = OptionsOf<typeof LIST_OPTIONS>;

/** A label in the narrow table: at most this many characters. */
const LABEL_WIDTH = 12;

/** `list`: newest first; `--limit` caps the rows, `--all` walks every page; labels and sources from the registry. */
export async function run(ctx: Context, _args: string[], options: Options) {
  const client = await ctx.client();
  const view = ctx.registry().read();
  const known = (id: string) => {
    const entry = view.batches.get(id);
    return entry && !entry.forgotten_at ? entry : undefined;
  };
  let labelled: Set<string> | undefined;
  if (options.label !== undefined) {
    labelled = new Set(
      [...view.batches.values()]
        .filter((b) => b.label === options.label && !b.forgotten_at && b.base_url === client.baseUrl)
        .map((b) => b.id),
    );
    if (labelled.size === 0) {
      if (options.json) println(ctx.io.stdout, '[]');
      println(ctx.io.stderr, `No batches labelled ${JSON.stringify(options.label)} in the registry.`);
      return 0;
    }
  }
  const wanted = labelled;
  const { batches, hasMore } = await listBatches(client, {
    limit: options.limit,
    all: options.all === true,
    signal: ctx.io.signal,
    ...(wanted
      ? {
          keep: (b: MessageBatch) => wanted.has(b.id),
          enough: (kept: MessageBatch[]) => kept.length >= wanted.size,
        }
      : {}),
  });
  const more = `Showing the ${count(batches.length, 'newest batch', 'newest batches')}; use --limit N or --all for more.`;
  const now = ctx.now();
  if (options.json) {
    const rows = batches.map((b) => {
      const entry = known(b.id);
      return {
        ...b,
        ...registryFields(b, entry),
        results_at_risk: b.processing_status === 'ended' && resultsAtRisk(b.created_at, entry, now),
      };
    });
    println(ctx.io.stdout, JSON.stringify(rows, null, 2));
    // The JSON is the page asked for; that there is more is said where people look.
    if (hasMore) println(ctx.io.stderr, more);
    return 0;
  }
  if (batches.length === 0) {
    println(ctx.io.stderr, 'No batches.');
    return 0;
  }
  const atRisk = batches.filter(
    (b) => b.processing_status === 'ended' && resultsAtRisk(b.created_at, known(b.id), now),
  );
  const risky = new Set(atRisk.map((b) => b.id));
  const source = (entry: BatchEntry | undefined, wide: boolean) => {
    const path = entry?.source ?? entry?.requests_file;
    if (!path) return '';
    return wide ? path : relative(ctx.io.cwd, path) || '.';
  };
  const columns: BatchColumn[] = options.wide
    ? [
        'id',
        'status',
        'total',
        'processing',
        'succeeded',
        'errored',
        'canceled',
        'expired',
        'created',
        'ended',
      ]
    : ['id', 'status', 'requests', 'createdShort'];
  const rows = batches.map((b) => {
    const entry = known(b.id);
    const cells = batchCells(b, columns);
    if (risky.has(b.id)) cells[1] = `${cells[1]}!`;
    const label = entry?.label ?? '';
    return [
      ...cells,
      options.wide || label.length <= LABEL_WIDTH ? label : `${label.slice(0, LABEL_WIDTH - 1)}…`,
      source(entry, options.wide === true),
    ];
  });
  const header = [...batchHeader(columns), 'LABEL', 'SOURCE'];
  println(ctx.io.stdout, options.wide ? table(header, rows) : fittedTable(header, rows));
  if (hasMore) println(ctx.io.stderr, more);
  if (atRisk.length > 0) {
    println(
      ctx.io.stderr,
      `! results not downloaded and deleted by the API within 3 days (29 days after creation): ${atRisk
        .map((b) => `${b.id} (until ${when(resultsExpireAt(b.created_at).toISOString())})`)
        .join(', ')}`,
    );
    println(ctx.io.stderr, `  keep them with: claude-batch results ${atRisk[0]?.id} -o results.jsonl`);
  }
  return 0;
}
