import { estimateTokens } from '../core/cost/tokens.js';
import { isRecord } from '../core/is-record.js';

/**
 * Input tokens of images and documents, as the emulator counts them (the API's rules of thumb):
 * - an image: width × height ÷ 750, rounded up, from the header of its base64 data (PNG, JPEG,
 *   GIF, WEBP), after scaling it down as the API does to at most 1,568 px on the long edge and
 *   1.15 megapixels; `IMAGE_DEFAULT_TOKENS` when the size is unknown (url or file sources,
 *   unreadable data);
 * - a PDF document (base64): `PDF_PAGE_TOKENS` per page, pages counted as `/Type /Page` objects
 *   (at least one); a url or file PDF counts as one page;
 * - a text document (`text` source) or a `content` source: its characters ÷ 4, like prompt text.
 */
export const IMAGE_DEFAULT_TOKENS = 1600;
export const PDF_PAGE_TOKENS = 1500;

const MAX_EDGE = 1568;
const MAX_PIXELS = 1_150_000;

/** The width and height in an image's first bytes, or undefined. */
export function imageSize(bytes: Buffer): { width: number; height: number } | undefined {
  if (
    bytes.length >= 24 &&
    bytes.readUInt32BE(0) === 0x89504e47 &&
    bytes.toString('latin1', 12, 16) === 'IHDR'
  ) {
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 10 && bytes.toString('latin1', 0, 3) === 'GIF') {
    return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  }
  if (
    bytes.length >= 30 &&
    bytes.toString('latin1', 0, 4) === 'RIFF' &&
    bytes.toString('latin1', 8, 12) === 'WEBP'
  ) {
    const chunk = bytes.toString('latin1', 12, 16);
    if (chunk === 'VP8 ')
      return { width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
    if (chunk === 'VP8L') {
      const b = (i: number) => bytes[21 + i] ?? 0;
      return {
        width: 1 + (b(0) | ((b(1) & 0x3f) << 8)),
        height: 1 + ((b(1) >> 6) | (b(2) << 2) | ((b(3) & 0x0f) << 10)),
      };
    }
    if (chunk === 'VP8X') return { width: 1 + bytes.readUIntLE(24, 3), height: 1 + bytes.readUIntLE(27, 3) };
    return undefined;
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let at = 2;
    while (at + 9 < bytes.length) {
      if (bytes[at] !== 0xff) return undefined;
      const marker = bytes[at + 1] ?? 0;
      if (marker === 0xff) {
        at += 1;
        continue;
      }
      const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isSof) return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
      at += 2 + bytes.readUInt16BE(at + 2);
    }
  }
  return undefined;
}

/** Tokens of an image of this size, after the API's downscaling. */
export function imageTokens(width: number, height: number): number {
  if (width <= 0 || height <= 0) return IMAGE_DEFAULT_TOKENS;
  let scale = Math.min(1, MAX_EDGE / Math.max(width, height));
  scale = Math.min(scale, Math.sqrt(MAX_PIXELS / (width * height)));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  return Math.ceil((w * h) / 750);
}

/** Decodes the start of base64 data (enough for a header; JPEG headers can come after metadata). */
function head(data: string, bytes: number): Buffer {
  const chars = Math.min(data.length, Math.ceil(bytes / 3) * 4);
  return Buffer.from(data.slice(0, chars), 'base64');
}

function blockTokens(b: Record<string, unknown>): number {
  const source = isRecord(b.source) ? b.source : undefined;
  if (b.type === 'image') {
    if (source?.type !== 'base64' || typeof source.data !== 'string') return IMAGE_DEFAULT_TOKENS;
    const size = imageSize(head(source.data, 512 * 1024));
    return size ? imageTokens(size.width, size.height) : IMAGE_DEFAULT_TOKENS;
  }
  if (b.type === 'document') {
    if (source?.type === 'text' && typeof source.data === 'string') return estimateTokens(source.data.length);
    if (source?.type === 'content') {
      if (typeof source.content === 'string') return estimateTokens(source.content.length);
      return Array.isArray(source.content) ? mediaTokensOf(source.content, true) : 0;
    }
    if (source?.type === 'base64' && typeof source.data === 'string') {
      const pdf = Buffer.from(source.data, 'base64').toString('latin1');
      const pages = pdf.match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 0;
      return Math.max(1, pages) * PDF_PAGE_TOKENS;
    }
    return PDF_PAGE_TOKENS;
  }
  if (b.type === 'tool_result' && Array.isArray(b.content)) return mediaTokensOf(b.content, false);
  return 0;
}

/** Tokens of the media blocks in a content list; `withText` counts text blocks too (inside a document). */
function mediaTokensOf(content: unknown[], withText: boolean): number {
  let n = 0;
  for (const block of content) {
    if (!isRecord(block)) continue;
    if (withText && typeof block.text === 'string') n += estimateTokens(block.text.length);
    else n += blockTokens(block);
  }
  return n;
}

/** Tokens of the images and documents in a request's system prompt and messages (0 when none). */
export function mediaTokens(params: Record<string, unknown>): number {
  let n = Array.isArray(params.system) ? mediaTokensOf(params.system, false) : 0;
  if (Array.isArray(params.messages)) {
    for (const m of params.messages) {
      if (isRecord(m) && Array.isArray(m.content)) n += mediaTokensOf(m.content, false);
    }
  }
  return n;
}
