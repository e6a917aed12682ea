import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/files.js';

const ctx = useEmulator({ processingTimeMs: 150 });
const dir = tempDir();

describe('results --join (through the CLI)', () => {
  it('restores every input column, in input order, with the result columns after them', async () => {
    const csv = join(dir, 'reviews.csv');
    writeFileSync(
      csv,
      'review_id,product,text\nr1,Kettle,"Boils fast, stays cool"\nr2,Pan,EMULATE_ERROR=overloaded_error\nr3,Lamp,"Warm ""light"", nice"\n',
    );
    const requests = join(dir, 'requests.jsonl');
    expect(
      (await runCli(['build', 'csv', csv, '--prompt-column', 'text', '-o', requests], { env: ctx.env })).code,
    ).toBe(0);
    const id = (await runCli(['submit', requests], { env: ctx.env })).stdout.trim();
    ctx.endBatches();
    const out = join(dir, 'joined.csv');
    const r = await runCli(
      ['results', id, '--join', csv, '--requests', requests, '--format', 'csv', '-o', out],
      {
        env: ctx.env,
      },
    );
    expect(r.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(
      'review_id,product,text,result_type,result_text,result_stop_reason,result_input_tokens,result_output_tokens,result_error_type,result_error_message',
    );
    expect(lines[1]).toMatch(
      /^r1,Kettle,"Boils fast, stays cool",succeeded,"Emulated answer [0-9a-f]{8} to: ""Boils fast, stays cool""",end_turn,\d+,\d+,,$/,
    );
    expect(lines[2]).toMatch(/^r2,Pan,EMULATE_ERROR=overloaded_error,errored,,,,,overloaded_error,/);
    expect(lines[3]).toMatch(/^r3,Lamp,"Warm ""light"", nice",succeeded,/);
    expect(lines).toHaveLength(4);

    // Without --join, csv is a flat CSV of the results (once refused; now one set of formats everywhere).
    const flat = await runCli(['results', id, '--format', 'csv'], { env: ctx.env });
    expect(flat.code).toBe(0);
    expect(flat.stdout.split('\n')[0]).toBe(
      'custom_id,result_type,result_text,result_stop_reason,result_input_tokens,result_output_tokens,result_error_type,result_error_message',
    );
  });
});

describe('results --join when something fails', () => {
  const broken = useEmulator({ processingTimeMs: 100, faults: 'reset=1', seed: 2 });

  it('a map of another batch: exit 2, no file, and the download stops', async () => {
    const csv = join(dir, 'other.csv');
    writeFileSync(csv, 'id,text\na,one\nb,two\n');
    const requests = join(dir, 'other.jsonl');
    expect(
      (
        await runCli(['build', 'csv', csv, '--prompt-column', 'text', '--id-column', 'id', '-o', requests], {
          env: ctx.env,
        })
      ).code,
    ).toBe(0);
    const mine = join(dir, 'mine.jsonl');
    expect(
      (await runCli(['build', 'csv', csv, '--prompt-column', 'text', '-o', mine], { env: ctx.env })).code,
    ).toBe(0);
    const id = (await runCli(['submit', mine], { env: ctx.env })).stdout.trim();
    ctx.endBatches();
    const out = join(dir, 'wrong-map.csv');
    const r = await runCli(
      ['results', id, '--join', csv, '--requests', requests, '--format', 'csv', '-o', out],
      { env: ctx.env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/none of the 2 results has a custom_id in/);
    expect(existsSync(out)).toBe(false);
  });

  it('a download that keeps breaking: exit 1 after the restarts, and no file', async () => {
    const csv = join(dir, 'reset.csv');
    writeFileSync(
      csv,
      `id,text\n${Array.from({ length: 50 }, (_, i) => `r${i},question ${i}`).join('\n')}\n`,
    );
    const requests = join(dir, 'reset.jsonl');
    expect(
      (await runCli(['build', 'csv', csv, '--prompt-column', 'text', '-o', requests], { env: broken.env }))
        .code,
    ).toBe(0);
    const id = (await runCli(['submit', requests], { env: broken.env })).stdout.trim();
    broken.endBatches();
    const out = join(dir, 'reset-joined.csv');
    const r = await runCli(
      ['results', id, '--join', csv, '--requests', requests, '--format', 'csv', '-o', out],
      {
        env: broken.env,
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('was incomplete');
    expect(existsSync(out)).toBe(false);
  }, 30_000);
});
