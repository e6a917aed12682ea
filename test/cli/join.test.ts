import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { sleep, useEmulator } from '../helpers/emulator.js';
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
    await sleep(200);
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
      'review_id,product,text,result_type,result_text,stop_reason,input_tokens,output_tokens,error_type,error_message',
    );
    expect(lines[1]).toMatch(
      /^r1,Kettle,"Boils fast, stays cool",succeeded,"Emulated answer [0-9a-f]{8} to: ""Boils fast, stays cool""",end_turn,\d+,\d+,,$/,
    );
    expect(lines[2]).toMatch(/^r2,Pan,EMULATE_ERROR=overloaded_error,errored,,,,,overloaded_error,/);
    expect(lines[3]).toMatch(/^r3,Lamp,"Warm ""light"", nice",succeeded,/);
    expect(lines).toHaveLength(4);

    const bad = await runCli(['results', id, '--format', 'csv'], { env: ctx.env });
    expect(bad.code).toBe(2);
  });
});
