/**
 * Image headers: the media type by magic number and the pixel size, for `build --image-column`
 * and for the token estimate of requests with images (width × height / 750, the docs' rule).
 */

/** Tokens counted for an image whose pixel size cannot be read (a URL, an unusual header). */
export const DEFAULT_IMAGE_TOKENS = 1_600;

export type ImageMediaType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';

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

/** Base64 characters decoded to read an image's header (a JPEG's size may follow its metadata). */
const HEADER_BASE64_CHARS = 1 << 18;

/** The estimated tokens of one image block: from its header's size, else the default. */
export function imageBlockTokens(source: unknown): number {
  const s = source as { type?: unknown; data?: unknown } | null;
  if (s && s.type === 'base64' && typeof s.data === 'string') {
    const bytes = Buffer.from(s.data.slice(0, HEADER_BASE64_CHARS), 'base64');
    return imageTokens(imageDimensions(bytes));
  }
  return DEFAULT_IMAGE_TOKENS;
}

/** Tokens counted for a PDF page (the docs give 1,500–3,000 a page, text and page image). */
export const PDF_PAGE_TOKENS = 2_300;
/** Tokens counted for a document whose size is unknown (a URL). */
export const DEFAULT_DOCUMENT_TOKENS = 10_000;

/** The pages of a PDF, counted by its `/Type /Page` objects; at least 1. */
export function pdfPages(bytes: Uint8Array): number {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const pages = text.match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 0;
  // Compressed object streams hide the page objects: then about one page per 50 kB.
  return Math.max(1, pages || Math.ceil(bytes.byteLength / 50_000));
}

/**
 * Estimated tokens of a document: a text one by its characters ÷ 4, a PDF at
 * {@link PDF_PAGE_TOKENS} a page, an unknown one (a URL) at {@link DEFAULT_DOCUMENT_TOKENS}.
 */
export function documentTokens(content: string | Uint8Array | undefined): number {
  if (content === undefined) return DEFAULT_DOCUMENT_TOKENS;
  if (typeof content === 'string') return Math.max(1, Math.ceil(content.length / 4));
  return pdfPages(content) * PDF_PAGE_TOKENS;
}

/** The estimated tokens of one document block. */
export function documentBlockTokens(source: unknown): number {
  const s = source as { type?: unknown; data?: unknown } | null;
  if (s && s.type === 'text' && typeof s.data === 'string') return documentTokens(s.data);
  if (s && s.type === 'base64' && typeof s.data === 'string')
    return documentTokens(Buffer.from(s.data, 'base64'));
  return DEFAULT_DOCUMENT_TOKENS;
}
