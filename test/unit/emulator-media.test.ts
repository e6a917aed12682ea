import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';

// Images and documents count input tokens in the emulator's answers (through the official SDK),
// by the estimator's rules (src/core/cost/images.ts), so `estimate` agrees with the usage.
const ctx = useEmulator({ processingTimeMs: 150, stoppedClock: true });

function png(width: number, height: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b;
}
function gif(width: number, height: number): Buffer {
  const b = Buffer.alloc(13);
  b.write('GIF89a', 0, 'latin1');
  b.writeUInt16LE(width, 6);
  b.writeUInt16LE(height, 8);
  return b;
}
function jpeg(width: number, height: number): Buffer {
  // SOI, an APP0 segment (skipped), then SOF0 with the size.
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const sof = Buffer.alloc(19);
  sof.writeUInt16BE(0xffc0, 0);
  sof.writeUInt16BE(17, 2);
  sof[4] = 8;
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof]);
}
function webp(width: number, height: number): Buffer {
  const b = Buffer.alloc(30);
  b.write('RIFF', 0, 'latin1');
  b.write('WEBP', 8, 'latin1');
  b.write('VP8X', 12, 'latin1');
  b.writeUIntLE(width - 1, 24, 3);
  b.writeUIntLE(height - 1, 27, 3);
  return b;
}
function pdf(pages: number): string {
  const objects = Array.from(
    { length: pages },
    (_, i) => `${i + 3} 0 obj << /Type /Page /Parent 2 0 R >> endobj`,
  );
  return `%PDF-1.4\n2 0 obj << /Type /Pages /Count ${pages} >> endobj\n${objects.join('\n')}\n%%EOF`;
}

const image = (data: Buffer, media = 'image/png') => ({
  type: 'image',
  source: { type: 'base64', media_type: media, data: data.toString('base64') },
});

async function inputTokens(content: unknown[]): Promise<number> {
  const client = new Anthropic({ apiKey: 'k', baseURL: ctx.emulator.url, maxRetries: 0 });
  const batch = await client.messages.batches.create({
    requests: [
      {
        custom_id: 'r',
        params: { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content }] },
      },
    ] as never,
  });
  ctx.endBatches();
  for await (const line of await client.messages.batches.results(batch.id)) {
    if (line.result.type !== 'succeeded') throw new Error(JSON.stringify(line.result));
    return line.result.message.usage.input_tokens;
  }
  throw new Error('no result');
}

const text = { type: 'text', text: 'Describe this.' }; // 14 characters: 4 tokens

describe('emulator: images and documents count input tokens', () => {
  it('an image counts width × height ÷ 750 from its header, at most 1,600', async () => {
    expect(await inputTokens([text])).toBe(4);
    expect(await inputTokens([image(png(640, 480)), text])).toBe(4 + 410); // 307,200 ÷ 750 = 409.6
    expect(await inputTokens([image(gif(100, 50), 'image/gif'), text])).toBe(4 + 7);
    expect(await inputTokens([image(jpeg(800, 600), 'image/jpeg'), text])).toBe(4 + 640);
    expect(await inputTokens([image(webp(300, 200), 'image/webp'), text])).toBe(4 + 80);
    expect(await inputTokens([image(png(3000, 2000)), text])).toBe(4 + 1600);
    // A url source (size unknown) and unreadable data: 1,600.
    expect(
      await inputTokens([{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }, text]),
    ).toBe(4 + 1600);
    expect(await inputTokens([image(Buffer.from('garbage')), text])).toBe(4 + 1600);
  });

  it('a PDF counts 2,300 tokens a page; a text document counts its characters; a URL one 10,000', async () => {
    const doc = (source: Record<string, unknown>) => ({ type: 'document', source });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(
      await inputTokens([doc({ type: 'base64', media_type: 'application/pdf', data: b64(pdf(3)) }), text]),
    ).toBe(4 + 6900);
    expect(await inputTokens([doc({ type: 'url', url: 'https://x/y.pdf' }), text])).toBe(4 + 10_000);
    expect(
      await inputTokens([doc({ type: 'text', media_type: 'text/plain', data: 'a'.repeat(400) }), text]),
    ).toBe(4 + 100);
  });
});
