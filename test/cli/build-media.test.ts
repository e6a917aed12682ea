import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_IMAGE_BYTES } from '../../src/core/builder/media.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/files.js';
import { gif, png } from '../helpers/images.js';

// build csv --image-column and build json --image-field, in process: requests, and each error.
const dir = tempDir();
mkdirSync(join(dir, 'pics'));
writeFileSync(join(dir, 'pics', 'a.png'), png(30, 25));
writeFileSync(join(dir, 'pics', 'b.gif'), gif(2, 2));
writeFileSync(join(dir, 'pics', 'fake.jpg'), png(3, 3)); // PNG bytes, .jpg name
writeFileSync(join(dir, 'pics', 'text.png'), 'hello, not an image\n');

let n = 0;
const out = () => {
  n += 1;
  return join(dir, `out-${n}.jsonl`);
};
const csv = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const b64 = (bytes: Buffer) => bytes.toString('base64');

describe('build csv --image-column', () => {
  it('puts image blocks before the text, typed by bytes; composes with system, caching and ids', async () => {
    const input = csv(
      'ok.csv',
      'id,name,photo,extra\np1,Mug,pics/a.png,pics/b.gif\np2,Chair,pics/fake.jpg|https://example.com/c.webp,\np3,Card,,\n',
    );
    const o = out();
    const r = await runCli([
      'build',
      'csv',
      input,
      '--template',
      'Describe {{name}}',
      '--image-column',
      'photo',
      '--image-column',
      'extra',
      '--id-column',
      'id',
      '--system',
      'Be brief.',
      '--cache-system',
      '-o',
      o,
    ]);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
    // 3 requests: 2 images (30×25 → 1 token each… rounded up), 2 images (1 + 1,600 for the URL)
    expect(r.stderr).toMatch(/^✓ 3 requests written/);
    const [p1, p2, p3] = lines(o);
    expect(p1.custom_id).toBe('p1');
    expect(p1.params.system).toEqual([
      { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } },
    ]);
    expect(p1.params.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: b64(png(30, 25)) } },
          { type: 'image', source: { type: 'base64', media_type: 'image/gif', data: b64(gif(2, 2)) } },
          { type: 'text', text: 'Describe Mug' },
        ],
      },
    ]);
    expect(p2.params.messages[0].content).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: b64(png(3, 3)) } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/c.webp' } },
      { type: 'text', text: 'Describe Chair' },
    ]);
    // An empty cell: no image, the plain prompt.
    expect(p3.params.messages).toEqual([{ role: 'user', content: 'Describe Card' }]);
    const dry = await runCli(['submit', o, '--dry-run']);
    expect(dry.stderr).toContain('3 valid requests');
    expect(dry.code).toBe(0);
  });

  it('counts images in the token estimate, the same in build and estimate', async () => {
    const input = csv('tokens.csv', 'prompt,photo\nabcd,https://example.com/x.png\n');
    const o = out();
    const r = await runCli([
      'build',
      'csv',
      input,
      '--prompt-column',
      'prompt',
      '--image-column',
      'photo',
      '-o',
      o,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('input ≈ 1,601 tokens (estimate)');
  });

  it('a missing image file: FILE:LINE, exit 2, nothing written', async () => {
    const input = csv('missing.csv', 'prompt,photo\nfirst,pics/a.png\nsecond,pics/nope.png\n');
    const o = out();
    const r = await runCli([
      'build',
      'csv',
      input,
      '--prompt-column',
      'prompt',
      '--image-column',
      'photo',
      '-o',
      o,
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: ${input}:3: image: cannot read image pics/nope.png (ENOENT)\nhint: fix the input; nothing was written\n`,
    );
    expect(existsSync(o)).toBe(false);
    expect(existsSync(`${o}.map`)).toBe(false);
  });

  it('a file that is not an image, whatever its name: FILE:LINE, exit 2, nothing written', async () => {
    const input = csv('text.csv', 'prompt,photo\nfirst,pics/text.png\n');
    const o = out();
    const r = await runCli([
      'build',
      'csv',
      input,
      '--prompt-column',
      'prompt',
      '--image-column',
      'photo',
      '-o',
      o,
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: ${input}:2: image: pics/text.png is not an image (PNG, JPEG, GIF or WEBP, judged by its bytes)\nhint: fix the input; nothing was written\n`,
    );
    expect(existsSync(o)).toBe(false);
  });

  it('an image over 5 MB, and a request over the size limit, are refused with the row', async () => {
    const big = Buffer.alloc(MAX_IMAGE_BYTES + 10);
    png(1, 1).copy(big);
    writeFileSync(join(dir, 'pics', 'big.png'), big);
    const almost = Buffer.alloc(MAX_IMAGE_BYTES - 10);
    png(1, 1).copy(almost);
    writeFileSync(join(dir, 'pics', 'almost.png'), almost);
    const five = Array(5).fill('pics/almost.png').join('|');
    const input = csv('big.csv', `prompt,photo\nfirst,pics/big.png\nsecond,${five}\n`);
    const o = out();
    const r = await runCli([
      'build',
      'csv',
      input,
      '--prompt-column',
      'prompt',
      '--image-column',
      'photo',
      '-o',
      o,
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `error: ${input}:2: image: pics/big.png is 5.0 MB, over the API's 5.0 MB limit for one image\n`,
    );
    expect(existsSync(o)).toBe(false);
    const second = csv('five.csv', `prompt,photo\nsecond,${five}\n`);
    const r2 = await runCli([
      'build',
      'csv',
      second,
      '--prompt-column',
      'prompt',
      '--image-column',
      'photo',
      '-o',
      o,
    ]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(
      new RegExp(`^error: ${second}:2: image: the request is 33\\.3 MB with its images, over 32 MB\n`),
    );
    expect(existsSync(o)).toBe(false);
  });

  it('more than 100 images in a row is refused with the row', async () => {
    const many = Array(101).fill('pics/b.gif').join('|');
    const input = csv('many.csv', `prompt,photo\nfirst,${many}\n`);
    const r = await runCli([
      'build',
      'csv',
      input,
      '--prompt-column',
      'prompt',
      '--image-column',
      'photo',
      '-o',
      out(),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: ${input}:2: image: 101 images, over the API's 100 per request\nhint: fix the input; nothing was written\n`,
    );
  });

  it('an unknown image column is a usage error naming the header', async () => {
    const input = csv('cols.csv', 'prompt,photo\nfirst,pics/a.png\n');
    const r = await runCli([
      'build',
      'csv',
      input,
      '--prompt-column',
      'prompt',
      '--image-column',
      'image',
      '-o',
      out(),
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: ${input}: no column "image" (--image-column)\nhint: the header has: "prompt", "photo"\n`,
    );
  });
});

describe('build json --image-field', () => {
  it('takes a string or an array of strings (paths relative to the input); null or missing is none', async () => {
    const input = join(dir, 'items.jsonl');
    const uri = `data:image/png;base64,${b64(gif())}`;
    writeFileSync(
      input,
      [
        { q: 'one', img: ['pics/a.png', uri] },
        { q: 'two', img: 'pics/fake.jpg' },
        { q: 'three', img: null },
        { q: 'four' },
      ]
        .map((x) => JSON.stringify(x))
        .join('\n'),
    );
    const o = out();
    const r = await runCli(['build', 'json', input, '--prompt-field', 'q', '--image-field', 'img', '-o', o]);
    expect(r.stderr).toMatch(/^✓ 4 requests written/);
    expect(r.code).toBe(0);
    const [one, two, three, four] = lines(o);
    expect(
      one.params.messages[0].content.map((b: { source?: { media_type?: string } }) => b.source?.media_type),
    ).toEqual(['image/png', 'image/gif', undefined]);
    expect(two.params.messages[0].content[0].source.media_type).toBe('image/png');
    expect(three.params.messages[0].content).toBe('three');
    expect(four.params.messages[0].content).toBe('four');
  });

  it('a field of another type, or a missing file, is refused with the line', async () => {
    const input = join(dir, 'bad.jsonl');
    writeFileSync(input, '{"q":"one","img":5}\n{"q":"two","img":["pics/none.gif"]}\n');
    const o = out();
    const r = await runCli(['build', 'json', input, '--prompt-field', 'q', '--image-field', 'img', '-o', o]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: ${input}:1: item 1: img: --image-field must be a string or an array of strings, got a number\nhint: fix the input; nothing was written\n`,
    );
    writeFileSync(input, '{"q":"two","img":["pics/none.gif"]}\n');
    const r2 = await runCli(['build', 'json', input, '--prompt-field', 'q', '--image-field', 'img', '-o', o]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toBe(
      `error: ${input}:1: image: cannot read image pics/none.gif (ENOENT)\nhint: fix the input; nothing was written\n`,
    );
    expect(existsSync(o)).toBe(false);
  });
});

describe('build csv --document-column, build json --document-field', () => {
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n', 'latin1');
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'docs', 'report.pdf'), pdf);
  writeFileSync(join(dir, 'docs', 'notes.txt'), 'Meeting notes.\n');
  writeFileSync(join(dir, 'docs', 'scan.pdf'), png(2, 2)); // named .pdf, an image by its bytes

  it('documents come before images and the text; --citations turns citations on', async () => {
    const input = csv(
      'docs.csv',
      'q,doc,photo\nSummarise,docs/report.pdf|docs/notes.txt,pics/b.gif\nAgain,,\n',
    );
    const o = out();
    const r = await runCli([
      'build',
      'csv',
      input,
      '--prompt-column',
      'q',
      '--document-column',
      'doc',
      '--image-column',
      'photo',
      '--citations',
      '-o',
      o,
    ]);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
    const [first, second] = lines(o);
    expect(first.params.messages[0].content).toEqual([
      {
        type: 'document',
        source: { type: 'base64', media_type: 'application/pdf', data: b64(pdf) },
        citations: { enabled: true },
      },
      {
        type: 'document',
        source: { type: 'text', media_type: 'text/plain', data: 'Meeting notes.\n' },
        citations: { enabled: true },
      },
      { type: 'image', source: { type: 'base64', media_type: 'image/gif', data: b64(gif(2, 2)) } },
      { type: 'text', text: 'Summarise' },
    ]);
    expect(second.params.messages[0].content).toBe('Again');
    // 1 PDF page (2,300) + 4 (15 chars) + 1 (the 2×2 GIF) + 3 + 2 (the prompts)
    expect(r.stderr).toContain('input ≈ 2,310 tokens (estimate)');
  });

  it('a file that is not a PDF or text, whatever its name: FILE:LINE, exit 2, nothing written', async () => {
    const input = csv('baddoc.csv', 'q,doc\nSummarise,docs/scan.pdf\n');
    const o = out();
    const r = await runCli([
      'build',
      'csv',
      input,
      '--prompt-column',
      'q',
      '--document-column',
      'doc',
      '-o',
      o,
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: ${input}:2: document: docs/scan.pdf is neither a PDF (judged by its bytes) nor a .txt or .md text file\nhint: fix the input; nothing was written\n`,
    );
    expect(existsSync(o)).toBe(false);
  });

  it('a missing document file, from json: FILE:LINE, exit 2', async () => {
    const input = join(dir, 'docs.jsonl');
    writeFileSync(input, '{"q":"one","d":["docs/report.pdf"]}\n{"q":"two","d":"docs/gone.pdf"}\n');
    const o = out();
    const r = await runCli(['build', 'json', input, '--prompt-field', 'q', '--document-field', 'd', '-o', o]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: ${input}:2: document: cannot read document docs/gone.pdf (ENOENT)\nhint: fix the input; nothing was written\n`,
    );
    expect(existsSync(o)).toBe(false);
  });

  it('--citations without documents is a usage error', async () => {
    const input = csv('nocite.csv', 'q\nhello\n');
    const r = await runCli(['build', 'csv', input, '--prompt-column', 'q', '--citations', '-o', out()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'error: --citations needs documents\nhint: add --document-column COL (csv) or --document-field PATH (json)\n',
    );
  });
});
