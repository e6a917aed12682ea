/**
 * Baseline for `results`: the naive SDK loop. `for await` over `client.messages.batches.results(id)`
 * and `JSON.stringify` each result to a file.
 * Usage: node bench/naive-results.mjs BATCH_ID OUT (ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY set).
 */
import { createWriteStream } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';

const [id, out] = process.argv.slice(2);
const client = new Anthropic();
const file = createWriteStream(out);
for await (const result of await client.messages.batches.results(id)) {
  if (!file.write(`${JSON.stringify(result)}\n`)) await new Promise((resolve) => file.once('drain', resolve));
}
await new Promise((resolve, reject) => file.end((error) => (error ? reject(error) : resolve())));
