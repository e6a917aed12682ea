import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/cli/context.js';
import type { Io } from '../../src/cli/io.js';
import { checkJoinFlags, joinMapPath, joinToOutput } from '../../src/cli/join-output.js';
import { getBatch } from '../../src/core/api/batches.js';
import { type BatchClient, createClient } from '../../src/core/api/client.js';
import { buildRequestFile } from '../../src/core/builder/build.js';
import { UsageError } from '../../src/core/errors.js';
import { joinBatchResults } from '../../src/core/join/batch.js';
import { joinResults } from '../../src/core/join/join.js';
import { openResultsStream } from '../../src/core/results/download.js';
import { submitRequests } from '../../src/core/submit/submit.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeText } from '../helpers/files.js';
import { fileSink, readCsv, readJsonl } from '../helpers/join.js';

const emu = useEmulator({ processingTimeMs: 100 });
const dir = tempDir();

/** A CSV of `rows` rows (one errored by the emulator's trigger), built, submitted and ended. */
async function endedBatch(
  rows: number,
): Promise<{ client: BatchClient; id: string; input: string; requests: string }> {
  const lines = ['id,question,extra'];
  for (let i = 1; i <= rows; i += 1) {
    const q = i === 3 ? 'Fail please EMULATE_ERROR=overloaded_error' : `Question "${i}", with comma`;
    lines.push(`k${i},"${q.replaceAll('"', '""')}",x${i}`);
  }
  const input = writeText(dir, `in-${rows}.csv`, `${lines.join('\n')}\n`);
  const requests = join(dir, `in-${rows}.requests.jsonl`);
  await buildRequestFile({
    source: 'csv',
    input,
    promptColumn: 'question',
    output: requests,
    model: 'claude-haiku-4-5',
  });
  const client = await createClient({ env: emu.env });
  const { batch } = await submitRequests(client, { path: requests });
  const id = batch?.id as string;
  emu.endBatches();
  expect((await getBatch(client, id)).processing_status).toBe('ended');
  return { client, id, input, requests };
}

function testIo(): { io: Io; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  stdout.on('data', (c: Buffer) => o.push(c));
  stderr.on('data', (c: Buffer) => e.push(c));
  return {
    io: {
      stdout,
      stderr,
      stdin: Readable.from([]),
      // The tests' own registry (test/setup/registry-home.ts), never the user's.
      env: { ...emu.env, CLAUDE_BATCH_HOME: process.env.CLAUDE_BATCH_HOME },
      cwd: dir,
      stderrIsTTY: false,
      signal: new AbortController().signal,
    },
    out: () => Buffer.concat(o).toString('utf8'),
    err: () => Buffer.concat(e).toString('utf8'),
  };
}

describe('join against the emulator', () => {
  it('joins a downloaded batch back to its CSV: every column, in order (joinBatchResults)', async () => {
    const { client, id, input, requests } = await endedBatch(25);
    const out = join(dir, 'joined.csv');
    const spool = join(dir, 'spool');
    mkdirSync(spool);
    const { batch, summary } = await joinBatchResults(client, id, {
      tempDir: spool,
      input,
      map: `${requests}.map`,
      format: 'csv',
      sink: await fileSink(out),
    });
    expect(batch.id).toBe(id);
    const records = readCsv(out);
    const original = readCsv(input);
    expect(records).toHaveLength(26);
    expect(records[0]?.slice(0, 5)).toEqual(['id', 'question', 'extra', 'result_type', 'result_text']);
    // Every input column restored, in order.
    expect(records.map((r) => r.slice(0, 3))).toEqual(original);
    expect(records[3]?.slice(3)).toEqual([
      'errored',
      '',
      '',
      '',
      '',
      'overloaded_error',
      'Emulated overloaded_error (EMULATE_ERROR)',
    ]);
    const ok = records[1] ?? [];
    expect(ok[3]).toBe('succeeded');
    expect(ok[4]?.length).toBeGreaterThan(0);
    expect(Number(ok[6])).toBeGreaterThan(0);
    expect(summary).toMatchObject({ rows: 25, joined: 25, withoutResult: 0 });
    // The downloaded results and the index were temporary: nothing is left.
    expect(readdirSync(spool)).toEqual([]);
    expect(summary.results).toMatchObject({ total: 25, succeeded: 24, errored: 1 });
  });

  it('joins straight from the live results stream (openResultsStream → joinResults)', async () => {
    const { client, id, input, requests } = await endedBatch(7);
    const stream = await openResultsStream(client, await getBatch(client, id));
    const out = join(dir, 'stream.jsonl');
    await joinResults({
      results: stream,
      map: joinMapPath({ requests }),
      input,
      format: 'jsonl',
      sink: await fileSink(out),
    });
    const rows = readJsonl(out);
    expect(rows.map((r) => r.id)).toEqual(['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
    expect(rows.map((r) => r.result_type)).toEqual([
      'succeeded',
      'succeeded',
      'errored',
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
  });

  it('joinToOutput: the CLI side writes the file atomically and a summary on stderr', async () => {
    const { id, input, requests } = await endedBatch(5);
    const { io, out, err } = testIo();
    const ctx = createContext(io, {});
    const code = await joinToOutput(ctx, id, {
      join: 'in-5.csv',
      requests: 'in-5.requests.jsonl',
      format: 'csv',
      output: 'cli-joined.csv',
    });
    expect(code).toBe(0);
    expect(out()).toBe('');
    expect(err()).toContain('Joined: 5 rows · 5 with a result · 0 without');
    expect(err()).toContain('Results: 5 · 4 succeeded · 1 errored');
    expect(readCsv(join(dir, 'cli-joined.csv')).map((r) => r.slice(0, 3))).toEqual(readCsv(input));
    expect(requests).toContain('in-5');

    // --json: the summary as JSON on stdout.
    const third = testIo();
    const code3 = await joinToOutput(createContext(third.io, {}), id, {
      join: 'in-5.csv',
      requests: 'in-5.requests.jsonl',
      format: 'jsonl',
      output: 'cli-joined.jsonl',
      json: true,
    });
    expect(code3).toBe(0);
    expect(JSON.parse(third.out())).toMatchObject({
      batch_id: id,
      output: 'cli-joined.jsonl',
      map: 'in-5.requests.jsonl.map',
      rows: 5,
      joined: 5,
      results: { total: 5, succeeded: 4, errored: 1 },
    });
    expect(third.err()).toBe('');

    // Without -o, the joined rows go to stdout.
    const second = testIo();
    const code2 = await joinToOutput(createContext(second.io, {}), id, {
      join: 'in-5.csv',
      map: 'in-5.requests.jsonl.map',
      format: 'jsonl',
    });
    expect(code2).toBe(0);
    expect(
      second
        .out()
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(['k1', 'k2', 'k3', 'k4', 'k5']);
  });

  it('joinToOutput refuses bad flag sets before downloading anything', async () => {
    const { io } = testIo();
    const ctx = createContext(io, {});
    const fail = (options: Parameters<typeof joinToOutput>[2]) =>
      joinToOutput(ctx, 'msgbatch_x', options).then(
        () => new UsageError('no error'),
        (e: unknown) => e as UsageError,
      );
    expect((await fail({ join: 'a.csv' })).message).toContain('--join needs the map build wrote');
    expect((await fail({ join: 'a.csv', map: 'm', requests: 'r' })).message).toBe(
      '--map and --requests cannot be used together',
    );
    expect((await fail({ join: 'a.csv', map: 'm', format: 'compact' })).message).toBe(
      '--format compact cannot be used with --join',
    );
    expect((await fail({ join: 'a.csv', map: 'm', joinSource: 'xml' })).message).toBe(
      '--join-source xml: use csv, json, jsonl or text',
    );
    const missing = await fail({ join: 'in-5.csv', map: 'missing.map.jsonl', output: 'never.csv' });
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing.message).toMatch(/cannot read the map missing\.map\.jsonl/);
    expect(existsSync(join(dir, 'never.csv'))).toBe(false);
    expect(joinMapPath({ requests: 'out/requests.jsonl' })).toBe('out/requests.jsonl.map');
    expect(() => checkJoinFlags({ format: 'jsonl' })).not.toThrow();
    expect(() => checkJoinFlags({ join: 'a.csv', format: 'csv', map: 'm' })).not.toThrow();
    // Without --join, csv is a flat CSV of the results (issue: one set of formats wherever results are written).
    expect(() => checkJoinFlags({ format: 'csv' })).not.toThrow();
    expect(() => checkJoinFlags({ map: 'm', splitBy: 'line' })).toThrow(
      '--map, --split-by need --join INPUT',
    );
    expect(joinMapPath({ requests: 'reqs' })).toBe('reqs.map');
    expect(readFileSync(join(dir, 'in-5.requests.jsonl.map'), 'utf8')).toContain('"custom_id":"csv-row-1"');
    // A map an older build wrote (requests.map.jsonl) is still found, when there is no newer one.
    writeFileSync(join(dir, 'old.map.jsonl'), '{"custom_id":"x-1","row":1}\n');
    expect(joinMapPath({ requests: 'old.jsonl' }, dir)).toBe('old.map.jsonl');
    writeFileSync(join(dir, 'old.jsonl.map'), '{"custom_id":"x-1","row":1}\n');
    expect(joinMapPath({ requests: 'old.jsonl' }, dir)).toBe('old.jsonl.map');
  });
});
