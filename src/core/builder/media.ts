import { readFile, stat } from 'node:fs/promises';
import { extname, isAbsolute, resolve } from 'node:path';
import {
  DEFAULT_IMAGE_TOKENS,
  documentTokens,
  type ImageMediaType,
  imageDimensions,
  imageTokens,
  sniffImageType,
} from '../cost/images.js';
import { decodeUtf8 } from '../fs/lines.js';

export { DEFAULT_IMAGE_TOKENS, imageDimensions, imageTokens, sniffImageType } from '../cost/images.js';

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
/** Several images in one cell are separated by `|` (`;` appears in data: URIs). */
export const IMAGE_LIST_SEPARATOR = '|';

/** The image block of a request. */
export type ImageBlock =
  | { type: 'image'; source: { type: 'base64'; media_type: ImageMediaType; data: string } }
  | { type: 'image'; source: { type: 'url'; url: string } };

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
export async function loadImage(
  ref: string,
  baseDir: string,
): Promise<{ block: ImageBlock; tokens: number }> {
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

/** The document block of a request. */
export type DocumentBlock = {
  type: 'document';
  source:
    | { type: 'base64'; media_type: 'application/pdf'; data: string }
    | { type: 'text'; media_type: 'text/plain'; data: string }
    | { type: 'url'; url: string };
  citations?: { enabled: boolean };
};

/** Extensions read as plain-text documents (when valid UTF-8). */
export const TEXT_DOCUMENT_EXTENSIONS = ['.txt', '.md'];

/** Whether the bytes start like a PDF (`%PDF-`). */
export function isPdf(bytes: Uint8Array): boolean {
  return bytes.length >= 5 && Buffer.from(bytes.subarray(0, 5)).toString('latin1') === '%PDF-';
}

/**
 * One document reference as a block: an http(s) URL (a `url` source), a PDF by its bytes (base64)
 * or a `.txt` / `.md` file of valid UTF-8 (a `text` source). Throws a {@link MediaProblem}.
 */
export async function loadDocument(
  ref: string,
  baseDir: string,
  citations: boolean,
): Promise<{ block: DocumentBlock; tokens: number }> {
  const cite = citations ? { citations: { enabled: true } } : {};
  if (/^https?:\/\//i.test(ref)) {
    return {
      block: { type: 'document', source: { type: 'url', url: ref }, ...cite },
      tokens: documentTokens(undefined),
    };
  }
  const path = isAbsolute(ref) ? ref : resolve(baseDir, ref);
  let bytes: Buffer;
  try {
    if (!(await stat(path)).isFile()) throw new MediaProblem(`${ref} is not a file`);
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof MediaProblem) throw error;
    throw new MediaProblem(
      `cannot read document ${ref} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (isPdf(bytes)) {
    return {
      block: {
        type: 'document',
        source: { type: 'base64', media_type: 'application/pdf', data: bytes.toString('base64') },
        ...cite,
      },
      tokens: documentTokens(bytes),
    };
  }
  if (TEXT_DOCUMENT_EXTENSIONS.includes(extname(ref).toLowerCase())) {
    const text = decodeUtf8(bytes);
    if (text === undefined) throw new MediaProblem(`${ref} is not valid UTF-8 text`);
    if (!text.trim()) throw new MediaProblem(`${ref} is empty`);
    return {
      block: { type: 'document', source: { type: 'text', media_type: 'text/plain', data: text }, ...cite },
      tokens: documentTokens(text),
    };
  }
  throw new MediaProblem(`${ref} is neither a PDF (judged by its bytes) nor a .txt or .md text file`);
}

/** All documents of one row, in order. */
export async function loadDocuments(
  refs: string[],
  baseDir: string,
  citations: boolean,
): Promise<{ blocks: DocumentBlock[]; tokens: number }> {
  const blocks: DocumentBlock[] = [];
  let tokens = 0;
  for (const ref of refs) {
    const one = await loadDocument(ref, baseDir, citations);
    blocks.push(one.block);
    tokens += one.tokens;
  }
  return { blocks, tokens };
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
