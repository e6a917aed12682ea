import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir } from '../helpers/files.js';
import { gif, jpeg, png } from '../helpers/images.js';

// The built binary: build from a CSV with an image column (paths relative to the CSV, a PNG
// named .jpg), submit to the emulator, and find every request succeeded.
const ctx = useEmulator({ processingTimeMs: 300 });
const dir = tempDir();

const jsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('build csv --image-column, then submit (spawned binary, emulator)', () => {
  it('base64 image blocks typed by their bytes, submitted and answered', async () => {
    const data = join(dir, 'data');
    mkdirSync(join(data, 'photos'), { recursive: true });
    writeFileSync(join(data, 'photos', 'mug.png'), png(16, 16));
    writeFileSync(join(data, 'photos', 'lamp.jpg'), png(5, 7)); // a PNG named .jpg
    writeFileSync(join(data, 'photos', 'real.jpeg'), jpeg(40, 30));
    writeFileSync(join(data, 'photos', 'chair.gif'), gif(3, 3));
    writeFileSync(
      join(data, 'items.csv'),
      'sku,name,photo\nm1,Mug,photos/mug.png\nl2,Lamp,photos/lamp.jpg|photos/real.jpeg\nc3,Chair,photos/chair.gif\ng4,Gift card,\n',
    );
    const out = join(dir, 'items.jsonl');
    // Run from another folder: the image paths are relative to the CSV, not the working folder.
    const build = await runBin(
      [
        'build',
        'csv',
        join(data, 'items.csv'),
        '--template',
        'Describe the {{name}} in the photo.',
        '--image-column',
        'photo',
        '--id-column',
        'sku',
        '-o',
        out,
      ],
      { env: ctx.env, cwd: dir },
    );
    expect(build.stderr).toMatch(/^✓ 4 requests written/);
    expect(build.code).toBe(0);
    expect(build.stdout).toBe('');
    const requests = jsonl(out);
    const types = requests.map((r) =>
      typeof r.params.messages[0].content === 'string'
        ? []
        : r.params.messages[0].content.map((b: { type: string; source?: { media_type: string } }) =>
            b.type === 'image' ? b.source?.media_type : b.type,
          ),
    );
    expect(types).toEqual([
      ['image/png', 'text'],
      ['image/png', 'image/jpeg', 'text'],
      ['image/gif', 'text'],
      [],
    ]);
    expect(requests[1].params.messages[0].content[0].source.data).toBe(png(5, 7).toString('base64'));

    const submit = await runBin(['submit', out], { env: ctx.env });
    expect(submit.code).toBe(0);
    const id = submit.stdout.trim();
    expect(id).toMatch(/^msgbatch_\w+$/);
    ctx.endBatches();
    const resultsPath = join(dir, 'results.jsonl');
    const results = await runBin(['results', id, '-o', resultsPath], { env: ctx.env });
    expect(results.code).toBe(0);
    expect(
      jsonl(resultsPath)
        .map((r) => [r.custom_id, r.result.type])
        .sort(),
    ).toEqual([
      ['c3', 'succeeded'],
      ['g4', 'succeeded'],
      ['l2', 'succeeded'],
      ['m1', 'succeeded'],
    ]);
  });

  it('the example products.csv builds with its own images', async () => {
    const out = join(dir, 'products.jsonl');
    const build = await runBin(
      [
        'build',
        'csv',
        'examples/products.csv',
        '--template',
        '{{name}}',
        '--image-column',
        'photo',
        '-o',
        out,
      ],
      { env: ctx.env },
    );
    expect(build.code).toBe(0);
    const media = jsonl(out).map((r) =>
      typeof r.params.messages[0].content === 'string'
        ? []
        : r.params.messages[0].content
            .filter((b: { type: string }) => b.type === 'image')
            .map((b: { source: { media_type: string } }) => b.source.media_type),
    );
    expect(media).toEqual([['image/png'], ['image/gif'], ['image/png'], ['image/png', 'image/gif'], []]);
  });
});
