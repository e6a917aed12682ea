import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_IMAGE_TOKENS,
  imageDimensions,
  imageTokens,
  isPdf,
  loadDocument,
  loadImage,
  loadImages,
  MAX_IMAGE_BYTES,
  MAX_IMAGES_PER_REQUEST,
  MediaProblem,
  sniffImageType,
  splitImageCell,
} from '../../src/core/builder/media.js';
import {
  DEFAULT_DOCUMENT_TOKENS,
  documentTokens,
  PDF_PAGE_TOKENS,
  pdfPages,
} from '../../src/core/cost/images.js';
import { requestTokens } from '../../src/core/cost/tokens.js';
import { tempDir } from '../helpers/files.js';
import { gif, jpeg, png, webp } from '../helpers/images.js';

const dir = tempDir();

describe('sniffImageType: the media type from the bytes', () => {
  it('knows PNG, JPEG, GIF (87a and 89a) and WEBP by their magic numbers', () => {
    expect(sniffImageType(png(2, 2))).toBe('image/png');
    expect(sniffImageType(jpeg(3, 3))).toBe('image/jpeg');
    expect(sniffImageType(gif())).toBe('image/gif');
    expect(sniffImageType(Buffer.from('GIF87a\x01\x00\x01\x00', 'latin1'))).toBe('image/gif');
    expect(sniffImageType(webp(5, 5))).toBe('image/webp');
  });

  it('anything else, short or empty input included, is not an image', () => {
    expect(sniffImageType(Buffer.from('%PDF-1.7\n'))).toBeUndefined();
    expect(sniffImageType(Buffer.from('hello, world'))).toBeUndefined();
    expect(sniffImageType(Buffer.from([0xff, 0xd8]))).toBeUndefined();
    expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WAVE', 'latin1'))).toBeUndefined();
    expect(sniffImageType(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('imageDimensions: the pixel size from the header', () => {
  it('reads PNG, GIF, JPEG and WEBP (VP8X) sizes', () => {
    expect(imageDimensions(png(8, 6))).toEqual({ width: 8, height: 6 });
    expect(imageDimensions(gif(320, 200))).toEqual({ width: 320, height: 200 });
    expect(imageDimensions(jpeg(1024, 768))).toEqual({ width: 1024, height: 768 });
    expect(imageDimensions(webp(640, 480))).toEqual({ width: 640, height: 480 });
  });

  it('reads lossless (VP8L) and lossy (VP8 ) WEBP sizes', () => {
    const lossless = Buffer.alloc(30);
    lossless.write('RIFF', 0, 'latin1');
    lossless.write('WEBPVP8L', 8, 'latin1');
    lossless.writeUInt32LE((100 - 1) | ((50 - 1) << 14), 21);
    expect(imageDimensions(lossless)).toEqual({ width: 100, height: 50 });
    const lossy = Buffer.alloc(30);
    lossy.write('RIFF', 0, 'latin1');
    lossy.write('WEBPVP8 ', 8, 'latin1');
    lossy.writeUInt16LE(300, 26);
    lossy.writeUInt16LE(200, 28);
    expect(imageDimensions(lossy)).toEqual({ width: 300, height: 200 });
  });

  it('a truncated header or a non-image has no size', () => {
    expect(imageDimensions(png(8, 6).subarray(0, 20))).toBeUndefined();
    expect(imageDimensions(jpeg(10, 10).subarray(0, 8))).toBeUndefined();
    expect(imageDimensions(Buffer.from('not an image'))).toBeUndefined();
  });
});

describe('imageTokens: width × height / 750, capped, with a default', () => {
  it('follows the docs rule for small images and caps large ones', () => {
    expect(imageTokens({ width: 750, height: 1 })).toBe(1);
    expect(imageTokens({ width: 200, height: 200 })).toBe(54); // 40,000 / 750 = 53.3
    expect(imageTokens({ width: 1000, height: 1000 })).toBe(1334);
    expect(imageTokens({ width: 4000, height: 3000 })).toBe(DEFAULT_IMAGE_TOKENS);
    expect(imageTokens(undefined)).toBe(DEFAULT_IMAGE_TOKENS);
  });

  it('requestTokens counts a base64 image by its header, and a URL image by the default', () => {
    const data = jpeg(1000, 1000).toString('base64');
    const params = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
            { type: 'text', text: 'abcdefgh' },
          ],
        },
      ],
    };
    expect(requestTokens(params)).toBe(1334 + DEFAULT_IMAGE_TOKENS + 2);
  });
});

describe('splitImageCell', () => {
  it('splits on |, trims, and drops empty parts; an empty cell names none', () => {
    expect(splitImageCell(' a.png | b.gif|')).toEqual(['a.png', 'b.gif']);
    expect(splitImageCell('data:image/png;base64,AAAA')).toEqual(['data:image/png;base64,AAAA']);
    expect(splitImageCell('   ')).toEqual([]);
  });
});

describe('loadImage: limits and sources', () => {
  mkdirSync(join(dir, 'img'), { recursive: true });
  writeFileSync(join(dir, 'img', 'photo.jpg'), png(4, 4)); // a PNG named .jpg
  writeFileSync(join(dir, 'img', 'notes.png'), 'just text');

  it('a local file becomes a base64 block typed by its bytes, relative to the base folder', async () => {
    const { block, tokens } = await loadImage('img/photo.jpg', dir);
    expect(block).toEqual({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png', data: png(4, 4).toString('base64') },
    });
    expect(tokens).toBe(1);
  });

  it('a URL becomes a url source; a data: URI is decoded and checked like a file', async () => {
    expect((await loadImage('https://example.com/x.webp', dir)).block).toEqual({
      type: 'image',
      source: { type: 'url', url: 'https://example.com/x.webp' },
    });
    const uri = `data:image/jpeg;base64,${gif().toString('base64')}`;
    const fromUri = await loadImage(uri, dir);
    expect(fromUri.block).toMatchObject({ source: { type: 'base64', media_type: 'image/gif' } });
    await expect(loadImage('data:text/plain,hello', dir)).rejects.toThrow(/must be base64/);
  });

  it('a missing file, a non-image and an image over 5 MB are problems', async () => {
    await expect(loadImage('img/missing.png', dir)).rejects.toThrow(
      new MediaProblem('cannot read image img/missing.png (ENOENT)'),
    );
    await expect(loadImage('img/notes.png', dir)).rejects.toThrow(
      'img/notes.png is not an image (PNG, JPEG, GIF or WEBP, judged by its bytes)',
    );
    await expect(loadImage('img', dir)).rejects.toThrow('img is not a file');
    const big = Buffer.alloc(MAX_IMAGE_BYTES + 1);
    png(1, 1).copy(big);
    writeFileSync(join(dir, 'img', 'big.png'), big);
    await expect(loadImage('img/big.png', dir)).rejects.toThrow(
      "img/big.png is 5.0 MB, over the API's 5.0 MB limit for one image",
    );
    const bigUri = `data:image/png;base64,${big.toString('base64')}`;
    await expect(loadImage(bigUri, dir)).rejects.toThrow(/the data: URI is 5\.0 MB, over/);
    expect(MAX_IMAGE_BYTES).toBe(5 * 1024 * 1024);
  });

  it('at most 100 images a request', async () => {
    const ok = await loadImages(Array(MAX_IMAGES_PER_REQUEST).fill('img/photo.jpg'), dir);
    expect(ok.blocks).toHaveLength(100);
    expect(ok.tokens).toBe(100);
    await expect(loadImages(Array(101).fill('img/photo.jpg'), dir)).rejects.toThrow(
      "101 images, over the API's 100 per request",
    );
  });
});

describe('documents', () => {
  const pdf = Buffer.from(
    '%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 >> endobj\n2 0 obj << /Type /Page >> endobj\n3 0 obj << /Type/Page >> endobj\n%%EOF\n',
    'latin1',
  );
  mkdirSync(join(dir, 'docs'), { recursive: true });
  writeFileSync(join(dir, 'docs', 'report.bin'), pdf); // a PDF by its bytes, whatever its name
  writeFileSync(join(dir, 'docs', 'notes.md'), '# Notes\nabcd\n');
  writeFileSync(join(dir, 'docs', 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  writeFileSync(join(dir, 'docs', 'data.csv'), 'a,b\n');

  it('isPdf and pdfPages read the bytes', () => {
    expect(isPdf(pdf)).toBe(true);
    expect(isPdf(Buffer.from('%PD'))).toBe(false);
    expect(pdfPages(pdf)).toBe(2); // /Type /Pages is not a page
    expect(pdfPages(Buffer.alloc(120_000))).toBe(3); // no page objects: one page per 50 kB
    expect(documentTokens(pdf)).toBe(2 * PDF_PAGE_TOKENS);
    expect(documentTokens('abcdefgh')).toBe(2);
    expect(documentTokens(undefined)).toBe(DEFAULT_DOCUMENT_TOKENS);
  });

  it('a PDF is a base64 source, a .md file a text source, a URL a url source; citations on demand', async () => {
    expect((await loadDocument('docs/report.bin', dir, false)).block).toEqual({
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: pdf.toString('base64') },
    });
    expect((await loadDocument('docs/notes.md', dir, true)).block).toEqual({
      type: 'document',
      source: { type: 'text', media_type: 'text/plain', data: '# Notes\nabcd\n' },
      citations: { enabled: true },
    });
    expect((await loadDocument('https://example.com/a.pdf', dir, false)).block).toEqual({
      type: 'document',
      source: { type: 'url', url: 'https://example.com/a.pdf' },
    });
  });

  it('a missing file, text that is not UTF-8, and another kind of file are problems', async () => {
    await expect(loadDocument('docs/none.pdf', dir, false)).rejects.toThrow(
      'cannot read document docs/none.pdf (ENOENT)',
    );
    await expect(loadDocument('docs/latin1.txt', dir, false)).rejects.toThrow(
      'docs/latin1.txt is not valid UTF-8 text',
    );
    await expect(loadDocument('docs/data.csv', dir, false)).rejects.toThrow(
      'docs/data.csv is neither a PDF (judged by its bytes) nor a .txt or .md text file',
    );
  });

  it('requestTokens counts document blocks', () => {
    const params = {
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'document',
              source: { type: 'base64', media_type: 'application/pdf', data: pdf.toString('base64') },
            },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'abcdefgh' } },
            { type: 'text', text: 'abcd' },
          ],
        },
      ],
    };
    expect(requestTokens(params)).toBe(2 * PDF_PAGE_TOKENS + 2 + 1);
  });
});
