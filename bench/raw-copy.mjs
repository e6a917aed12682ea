/**
 * The physical limit of `results`: a raw byte copy of the results URL to a file (fetch + stream
 * pipeline, no parsing). Usage: node bench/raw-copy.mjs RESULTS_URL OUT (ANTHROPIC_API_KEY set).
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const [url, out] = process.argv.slice(2);
const response = await fetch(url, {
  headers: { 'x-api-key': process.env.ANTHROPIC_API_KEY ?? '', 'anthropic-version': '2023-06-01' },
});
if (!response.ok || !response.body) throw new Error(`GET ${url}: ${response.status}`);
await pipeline(Readable.fromWeb(response.body), createWriteStream(out));
