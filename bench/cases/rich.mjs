/**
 * Case: the rich-request paths of issues 14 and 15. `build csv --image-column` over a CSV whose
 * rows name local images (base64 into each request: MB/s of request file written), and
 * `submit --dry-run` of 100,000 rich requests (a conversation with a tool call and its result, an
 * image, a cached system prompt, tools and a JSON schema): the full client-side validation, no
 * network. Seeded data under bench/data/.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rgbPng } from '../../examples/make-images.mjs';
import { DATA_DIR } from '../lib/data.mjs';
import { CLI } from '../lib/emulator.mjs';
import { fmtMB, fmtS, n } from '../lib/format.mjs';
import { interleave } from '../lib/measure.mjs';
import { mulberry32 } from '../lib/prng.mjs';

/** A width × height RGB PNG of noise (so it does not compress away): ~3 bytes a pixel. */
function noisePng(width, height, random) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let i = 0; i < raw.length; i += 1) raw[i] = i % (width * 3 + 1) === 0 ? 0 : (random() * 256) | 0;
  return rgbPng(width, height, raw, 1);
}

/** 50 noise PNGs of ~120 kB (200 × 200) and a CSV of `rows` rows naming them in turn. */
function imagesCsv(rows) {
  const dir = join(DATA_DIR, `images-${rows}`);
  const csv = join(dir, 'photos.csv');
  if (existsSync(csv)) return csv;
  mkdirSync(dir, { recursive: true });
  const random = mulberry32(14);
  for (let i = 0; i < 50; i += 1) writeFileSync(join(dir, `p${i}.png`), noisePng(200, 200, random));
  const lines = ['id,photo,question'];
  for (let i = 0; i < rows; i += 1) lines.push(`row-${i},p${i % 50}.png,What is in photo ${i}?`);
  writeFileSync(csv, `${lines.join('\n')}\n`);
  return csv;
}

/** `count` rich requests: conversation with a tool round trip, an image, cached system, tools, a schema. */
async function richRequests(count) {
  const path = join(DATA_DIR, `rich-requests-${count}.jsonl`);
  if (existsSync(path)) return path;
  mkdirSync(DATA_DIR, { recursive: true });
  const image = noisePng(16, 16, mulberry32(3)).toString('base64');
  const tools = [
    {
      name: 'lookup_order',
      description: 'Look up an order by its id',
      input_schema: {
        type: 'object',
        properties: { order_id: { type: 'string' } },
        required: ['order_id'],
        additionalProperties: false,
      },
    },
  ];
  const schema = {
    type: 'object',
    properties: {
      sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
      score: { type: 'integer' },
      topics: { type: 'array', items: { type: 'string' } },
    },
    required: ['sentiment', 'score', 'topics'],
    additionalProperties: false,
  };
  const out = createWriteStream(path);
  for (let i = 0; i < count; i += 1) {
    const id = randomBytes(4).toString('hex');
    const line = JSON.stringify({
      custom_id: `rich-${i}`,
      params: {
        model: 'claude-haiku-4-5',
        max_tokens: 512,
        system: [{ type: 'text', text: 'You are a support agent.', cache_control: { type: 'ephemeral' } }],
        tools,
        output_config: { format: { type: 'json_schema', schema } },
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: image } },
              { type: 'text', text: `Where is order ${id}? Ticket ${i}.` },
            ],
          },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: `toolu_${id}`, name: 'lookup_order', input: { order_id: id } }],
          },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: `toolu_${id}`, content: 'Shipped yesterday.' }],
          },
        ],
      },
    });
    if (!out.write(`${line}\n`)) await new Promise((resolve) => out.once('drain', resolve));
  }
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
  return path;
}

export async function runRich({ runs, quick, log }) {
  const rows = quick ? 1_000 : 10_000;
  const requests = quick ? 10_000 : 100_000;
  const csv = imagesCsv(rows);
  const rich = await richRequests(requests);
  const built = join(DATA_DIR, 'rich-images-out.jsonl');
  const env = { ...process.env, ANTHROPIC_API_KEY: 'bench', NO_COLOR: '1' };
  const variants = [
    {
      key: 'images',
      label: 'build --image-column',
      command: process.execPath,
      args: [
        CLI,
        'build',
        'csv',
        csv,
        '--prompt-column',
        'question',
        '--image-column',
        'photo',
        '--id-column',
        'id',
        '-o',
        built,
        '--force',
        '--no-map',
      ],
      options: { env, before: () => rmSync(built, { force: true }) },
    },
    {
      key: 'validate',
      label: 'submit --dry-run (rich)',
      command: process.execPath,
      args: [CLI, 'submit', rich, '--dry-run'],
      options: { env },
    },
  ];
  const [images, validate] = await interleave(runs, variants, log);
  const outBytes = statSync(built).size;
  rmSync(built, { force: true });
  const richBytes = statSync(rich).size;
  const rowsOut = [
    {
      case: 'rich',
      variant: 'claude-batch build csv --image-column (50 PNGs of ~120 kB, base64)',
      size: `${n(rows)} rows → ${(outBytes / 1e6).toFixed(0)} MB of requests`,
      items: rows,
      bytes: outBytes,
      unit: 'row',
      ...images,
    },
    {
      case: 'rich',
      variant: 'claude-batch submit --dry-run (full validation of rich requests)',
      size: `${n(requests)} requests, ${(richBytes / 1e6).toFixed(0)} MB`,
      items: requests,
      bytes: richBytes,
      unit: 'req',
      ...validate,
    },
  ];
  const goals = [
    {
      goal: 'rich build with images: peak RSS ≤ 100 MB',
      measured: `${fmtMB(images.rssBytes)}, ${(outBytes / 1e6 / (images.wallMs / 1000)).toFixed(0)} MB/s written in ${fmtS(images.wallMs)}`,
      pass: images.rssBytes <= 100e6,
    },
    {
      goal: 'validation of rich requests: peak RSS ≤ 100 MB',
      measured: `${fmtMB(validate.rssBytes)}, ${n(Math.round(requests / (validate.wallMs / 1000)))} requests/s`,
      pass: validate.rssBytes <= 100e6,
    },
  ];
  return { rows: rowsOut, goals };
}
