import { mediaTokens, promptCharacters } from '../cost/tokens.js';
import { InputError, type InputProblem, InterruptedError } from '../errors.js';
import { checkRequest } from '../requests/schema.js';
import { LineSample, overContextWindow } from '../requests/warnings.js';
import type { IdRegistry } from './ids.js';
import { loadDocuments, loadImages, MAX_REQUEST_BYTES, MediaProblem } from './media.js';
import type { RequestShape } from './request-shape.js';
import type { RowSource } from './rows.js';
import { mapLine } from './sidecar.js';
import type { RequestWriter } from './writer.js';

/** Problems kept in full; the rest are counted. */
const MAX_PROBLEMS = 20;

/** Rows between progress reports and interruption checks. */
const PROGRESS_EVERY = 10_000;

/** Problems found while building: the first few kept, all counted; thrown together at the end. */
export class Problems {
  readonly list: InputProblem[] = [];
  count = 0;

  add(problem: InputProblem): void {
    this.count += 1;
    if (this.list.length < MAX_PROBLEMS) this.list.push(problem);
  }

  /** Throws an InputError when there is any problem. */
  throwIfAny(): void {
    if (this.count === 0) return;
    const error = new InputError(this.list, this.count, 'fix the input; nothing was written');
    // InputError's summary line is worded for submit; a build sends nothing either way.
    error.message = error.message.replace('nothing was sent', 'nothing was written');
    throw error;
  }
}

/** What happened to the rows: skipped ones by reason, hashed ids, and what is warned about. */
export interface RowCounts {
  skipped: Record<string, number>;
  hashedIds: number;
  /** Per template name: the rows where it was empty (count and first lines). */
  emptyFields: Record<string, { count: number; lines: number[] }>;
  /** Requests whose prompt is estimated over the context window (count and first lines). */
  overContext: { count: number; lines: number[] };
}

/** Hooks of a long build: an abort signal and a progress callback (rows read so far). */
export interface RunHooks {
  signal?: AbortSignal | undefined;
  onProgress?: ((rows: number) => void) | undefined;
}

/** Throws an InterruptedError when the signal is aborted. */
export function checkSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError('Interrupted: nothing was written');
}

/**
 * Turns a source's rows into request lines: a custom_id for each (generated, or from the id
 * column with the registry's checks), the request from `shape`, and a sidecar line. After a
 * problem, nothing more is written but the rest is still read, to report every problem at once.
 */
export async function writeRows(
  source: RowSource,
  shape: RequestShape,
  writer: RequestWriter,
  context: {
    file: string;
    ids: IdRegistry;
    baseDir?: string | undefined;
    citations?: boolean | undefined;
  } & RunHooks,
): Promise<RowCounts> {
  const { file, ids, signal, onProgress } = context;
  const baseDir = context.baseDir ?? process.cwd();
  const problems = new Problems();
  const skipped: Record<string, number> = {};
  const emptyFields = new Map<string, LineSample>();
  const overContext = new LineSample();
  let hashedIds = 0;
  let seen = 0;
  for await (const item of source.events) {
    const events = Array.isArray(item) ? item : [item];
    let full = false;
    for (const event of events) {
      seen += 1;
      if (seen % PROGRESS_EVERY === 0) {
        checkSignal(signal);
        onProgress?.(seen);
      }
      if (event.kind === 'skip') {
        skipped[event.reason] = (skipped[event.reason] ?? 0) + 1;
        continue;
      }
      if (event.kind === 'problem') {
        problems.add(event.problem);
        continue;
      }
      let id: string;
      if (event.key === undefined) id = ids.generated(source.idKind, event.row);
      else {
        const outcome = ids.fromValue(event.key, event.row, 'row');
        if ('problem' in outcome) {
          problems.add({ file, line: event.line, field: 'custom_id', message: outcome.problem });
          continue;
        }
        id = outcome.id;
        if (outcome.hashed) hashedIds += 1;
      }
      const where = event.line ?? event.row;
      if (event.messages !== undefined) {
        // A whole conversation (every row checked, after a problem too) from the input: checked as submit will check it, row by row.
        const messages = event.messages;
        const issues = checkRequest({ custom_id: id, params: { ...shape.params, messages } });
        if (issues.length > 0) {
          for (const issue of issues)
            problems.add({ file, line: where, field: issue.field, message: issue.message });
          continue;
        }
        if (problems.count > 0) continue;
        const chars = shape.systemChars + promptCharacters({ messages });
        if (overContextWindow(chars)) overContext.add(where);
        full =
          writer.add(
            shape.messagesLine(id, messages),
            mapLine(id, event.row, event.line, event.keyValue),
            shape.model,
            chars,
            shape.fixedTokens + mediaTokens({ messages }),
          ) || full;
        continue;
      }
      if (problems.count > 0) continue;
      if (event.emptyFields) {
        for (const name of event.emptyFields) {
          const sample = emptyFields.get(name) ?? new LineSample();
          sample.add(where);
          emptyFields.set(name, sample);
        }
      }
      let blocks: object[] | undefined;
      let imageTokens = 0;
      if ((event.images && event.images.length > 0) || (event.documents && event.documents.length > 0)) {
        // Read as the rows stream: one row's images in memory at a time.
        if (full) {
          await writer.flush();
          full = false;
        }
        let field = 'document';
        try {
          const documents = await loadDocuments(event.documents ?? [], baseDir, context.citations === true);
          field = 'image';
          const images = await loadImages(event.images ?? [], baseDir);
          blocks = [...documents.blocks, ...images.blocks];
          imageTokens = documents.tokens + images.tokens;
        } catch (error) {
          if (!(error instanceof MediaProblem)) throw error;
          problems.add({ file, line: where, field, message: error.message });
          continue;
        }
      }
      const promptChars = shape.systemChars + event.prompt.length;
      if (overContextWindow(promptChars)) overContext.add(where);
      const request = shape.line(id, event.prompt, blocks);
      if (blocks && request.length > MAX_REQUEST_BYTES) {
        problems.add({
          file,
          line: where,
          field: event.images?.length ? 'image' : 'document',
          message: `the request is ${(request.length / 1048576).toFixed(1)} MB with its ${event.documents?.length ? 'documents' : 'images'}, over ${MAX_REQUEST_BYTES / 1048576} MB`,
        });
        continue;
      }
      full =
        writer.add(
          request,
          mapLine(id, event.row, event.line, event.keyValue),
          shape.model,
          promptChars,
          shape.fixedTokens + imageTokens,
        ) || full;
    }
    if (full) await writer.flush();
  }
  checkSignal(signal);
  problems.throwIfAny();
  return {
    skipped,
    hashedIds,
    emptyFields: Object.fromEntries([...emptyFields].map(([name, sample]) => [name, sample.toJSON()])),
    overContext: overContext.toJSON(),
  };
}
