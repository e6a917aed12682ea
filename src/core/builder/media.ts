import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

/**
 * Images in requests (`--image-column`): local files and `data:` URIs become base64 image blocks,
 * http(s) URLs become `url` image sources. The media type comes from the bytes, never the name.
 */

/** The API's limit on one base64 image: 5 MB. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
/** The API's limit on images in one request. */
export const MAX_IMAGES_PER_REQUEST = 100;
/** A request line may not be larger than this (well under the 256 MB batch limit). */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
/** Tokens counted for an image whose pixel size cannot be read (a URL, an unusual header). */
export const DEFAULT_IMAGE_TOKENS = 1_600;
/** Several images in one cell are separated by `|` (`;` appears in data: URIs). */
export const IMAGE_LIST_SEPARATOR = '|';

export type ImageMediaType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';

/** The image block of a request. */
export type ImageBlock =
  | { type: 'image'; source: { type: 'base64'; media_type: ImageMediaType; data: string } }
  | { type: 'image'; source: { type: 'url'; url: string } };

/** The media type by magic number (JPEG FF D8 FF, PNG 89 50 4E 47, GIF87a/89a, RIFF….WEBP), or undefined. */
export function sniffImageType(bytes: Uint8Array): ImageMediaType | undefined {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 4 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  const ascii = (from: number, to: number) => Buffer.from(b.subarray(from, to)).toString('latin1');
  if (b.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'image/gif';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/** Width and height in pixels from the image's header, or undefined when it cannot be read. */
export function imageDimensions(bytes: Uint8Array): { width: number; height: number } | undefined {
  const type = sniffImageType(bytes);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    switch (type) {
      case 'image/png':
        // IHDR is the first chunk: width and height, big-endian, at 16 and 20.
        if (b.length < 24 || b.toString('latin1', 12, 16) !== 'IHDR') return undefined;
        return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
      case 'image/gif':
        if (b.length < 10) return undefined;
        return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
      case 'image/webp':
        return webpDimensions(b);
      case 'image/jpeg':
        return jpegDimensions(b);
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

function webpDimensions(b: Buffer): { width: number; height: number } | undefined {
  if (b.length < 30) return undefined;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (chunk === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  return undefined;
}

function jpegDimensions(b: Buffer): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1] as number;
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    // SOF0–SOF15, less DHT (C4), JPG (C8) and DAC (CC), hold the frame's size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7) };
    }
    at += 2 + b.readUInt16BE(at + 2);
  }
  return undefined;
}

/**
 * Estimated input tokens of an image: width × height / 750 (the docs' rule), at most about
 * 1,600 once the API resizes large images; {@link DEFAULT_IMAGE_TOKENS} when the size is unknown.
 */
export function imageTokens(size: { width: number; height: number } | undefined): number {
  if (!size || size.width <= 0 || size.height <= 0) return DEFAULT_IMAGE_TOKENS;
  return Math.max(1, Math.min(DEFAULT_IMAGE_TOKENS, Math.ceil((size.width * size.height) / 750)));
}

/** The images named in one cell: `a.png|b.png`, trimmed; an empty cell names none. */
export function splitImageCell(cell: string): string[] {
  return cell
    .split(IMAGE_LIST_SEPARATOR)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/** A problem with one image of a row (the caller names the file and line). */
export class MediaProblem extends Error {}

const megabytes = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;

function base64Block(bytes: Uint8Array, what: string): { block: ImageBlock; tokens: number } {
  const mediaType = sniffImageType(bytes);
  if (!mediaType) {
    throw new MediaProblem(`${what} is not an image (PNG, JPEG, GIF or WEBP, judged by its bytes)`);
  }
  if (bytes.byteLength > MAX_IMAGE_BYTES) {
    throw new MediaProblem(
      `${what} is ${megabytes(bytes.byteLength)}, over the API's ${megabytes(MAX_IMAGE_BYTES)} limit for one image`,
    );
  }
  return {
    block: {
      type: 'image',
      source: { type: 'base64', media_type: mediaType, data: Buffer.from(bytes).toString('base64') },
    },
    tokens: imageTokens(imageDimensions(bytes)),
  };
}

/**
 * One image reference as a block: an http(s) URL (a `url` source), a `data:` URI or a local path
 * (relative to `baseDir`), read and checked now. Throws a {@link MediaProblem}.
 */
export async function loadImage(ref: string, baseDir: string): Promise<{ block: ImageBlock; tokens: number }> {
  if (/^https?:\/\//i.test(ref)) {
    return { block: { type: 'image', source: { type: 'url', url: ref } }, tokens: DEFAULT_IMAGE_TOKENS };
  }
  if (/^data:/i.test(ref)) {
    const match = /^data:[^,]*;base64,(.*)$/is.exec(ref);
    if (!match) throw new MediaProblem('a data: URI must be base64 (data:image/png;base64,…)');
    return base64Block(Buffer.from(match[1] ?? '', 'base64'), 'the data: URI');
  }
  const path = isAbsolute(ref) ? ref : resolve(baseDir, ref);
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new MediaProblem(`${ref} is not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof MediaProblem) throw error;
    throw new MediaProblem(`cannot read image ${ref} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (size > MAX_IMAGE_BYTES) {
    throw new MediaProblem(
      `${ref} is ${megabytes(size)}, over the API's ${megabytes(MAX_IMAGE_BYTES)} limit for one image`,
    );
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new MediaProblem(`cannot read image ${ref} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return base64Block(bytes, ref);
}

/** All images of one row, in order, checked against the per-request limit. */
export async function loadImages(
  refs: string[],
  baseDir: string,
): Promise<{ blocks: ImageBlock[]; tokens: number }> {
  if (refs.length > MAX_IMAGES_PER_REQUEST) {
    throw new MediaProblem(`${refs.length} images, over the API's ${MAX_IMAGES_PER_REQUEST} per request`);
  }
  const blocks: ImageBlock[] = [];
  let tokens = 0;
  for (const ref of refs) {
    const one = await loadImage(ref, baseDir);
    blocks.push(one.block);
    tokens += one.tokens;
  }
  return { blocks, tokens };
}
