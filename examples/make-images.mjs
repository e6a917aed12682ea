// Writes the tiny example images from bytes (no downloads): node examples/make-images.mjs
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const here = join(dirname(fileURLToPath(import.meta.url)), 'images');

function crc32(bytes) {
  let c = ~0;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A width × height RGB PNG of one colour. */
export function png(width, height, [r, g, b]) {
  const row = Buffer.concat([
    Buffer.from([0]),
    Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat()),
  ]);
  return rgbPng(width, height, Buffer.concat(Array.from({ length: height }, () => row)));
}

/**
 * A width × height 8-bit RGB PNG of the given scanlines (each a filter byte, 0, then 3 bytes a
 * pixel), compressed at `level` (the benchmark makes noise images with level 1).
 */
export function rgbPng(width, height, pixels, level = 6) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels, { level })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 1 × 1 GIF89a of one colour. */
export function gif([r, g, b]) {
  return Buffer.from([
    ...Buffer.from('GIF89a', 'latin1'),
    1,
    0,
    1,
    0,
    0x80,
    0,
    0, // 1 × 1, global colour table of 2
    r,
    g,
    b,
    0,
    0,
    0,
    0x2c,
    0,
    0,
    0,
    0,
    1,
    0,
    1,
    0,
    0, // image descriptor
    2,
    2,
    0x44,
    0x01,
    0, // LZW data
    0x3b,
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(join(here, 'red-mug.png'), png(8, 8, [200, 30, 30]));
  writeFileSync(join(here, 'blue-lamp.gif'), gif([30, 60, 200]));
  // A PNG with a .jpg name: the media type comes from the bytes (image/png).
  writeFileSync(join(here, 'green-chair.jpg'), png(4, 6, [30, 160, 60]));
}
