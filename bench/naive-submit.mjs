/**
 * Baseline for `submit`: the naive SDK way. Reads the whole request file, JSON.parses every
 * line into one array, and hands it to `client.messages.batches.create({ requests })`.
 * Usage: node bench/naive-submit.mjs FILE (ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY set).
 */
import { readFile } from 'node:fs/promises';
import Anthropic from '@anthropic-ai/sdk';

const [file] = process.argv.slice(2);
const text = await readFile(file, 'utf8');
const requests = [];
for (const line of text.split('\n')) {
  if (line.trim()) requests.push(JSON.parse(line));
}
const client = new Anthropic({ maxRetries: 0 });
const batch = await client.messages.batches.create({ requests });
console.log(batch.id);
