/**
 * Seeded test data, written once to bench/data/ and reused while its parameters are unchanged
 * (a NAME.meta.json beside each file records them).
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exactText, mulberry32, reviewText } from './prng.mjs';

export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'data');
const FORMAT_VERSION = 2;

/** Writes lines produced by `produce(push)` in ~1 MB chunks, honouring backpressure. */
async function writeChunks(path, produce) {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let buffer = '';
  const flush = async () => {
    if (!out.write(buffer)) await new Promise((resolve) => out.once('drain', resolve));
    buffer = '';
  };
  await produce(async (text) => {
    buffer += text;
    if (buffer.length >= 1 << 20) await flush();
  });
  if (buffer.length > 0) await flush();
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
}

/** Returns the path of a cached data file, generating it when missing or made with other parameters. */
async function cached(name, params, generate, log) {
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, name);
  const metaPath = `${path}.meta.json`;
  const wanted = JSON.stringify({ version: FORMAT_VERSION, ...params });
  if (existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    if (JSON.stringify(meta.params) === wanted && statSync(path).size === meta.bytes) return path;
  }
  const started = performance.now();
  log?.(`generating ${name}…`);
  await generate(path);
  const bytes = statSync(path).size;
  writeFileSync(metaPath, JSON.stringify({ params: JSON.parse(wanted), bytes }));
  log?.(
    `  ${name}: ${(bytes / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return path;
}

const csvField = (s) => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/**
 * A CSV of product reviews (~450 bytes a row): review_id, product_id, rating, title, text,
 * verified, date. Text has commas, quotes and now and then a line break inside its quotes.
 */
export function reviewsCsv(rows, { seed = 8, log } = {}) {
  return cached(
    `reviews-${rows}.csv`,
    { kind: 'reviews-csv', rows, seed },
    async (path) => {
      const rand = mulberry32(seed);
      await writeChunks(path, async (push) => {
        await push('review_id,product_id,rating,title,text,verified,date\n');
        for (let i = 1; i <= rows; i += 1) {
          const title = reviewText(rand, 12 + Math.floor(rand() * 30)).slice(0, 48);
          let text = reviewText(rand, 140 + Math.floor(rand() * 340));
          if (rand() < 0.025) text += `\n\nUpdate: ${reviewText(rand, 40)}`;
          const month = String(1 + Math.floor(rand() * 12)).padStart(2, '0');
          const day = String(1 + Math.floor(rand() * 28)).padStart(2, '0');
          const product = `B0${Math.floor(rand() * 1e8)
            .toString(36)
            .toUpperCase()
            .padStart(8, '0')}`;
          await push(
            `R${String(i).padStart(9, '0')},${product},${1 + Math.floor(rand() * 5)},${csvField(title)},${csvField(text)},${rand() < 0.8},2024-${month}-${day}\n`,
          );
        }
      });
    },
    log,
  );
}

/** One request line; the content is plain ASCII without quotes, so its JSON is exactly as long as its parts. */
export function requestLine(customId, content, maxTokens = 1024) {
  return JSON.stringify({
    custom_id: customId,
    params: { model: 'claude-haiku-4-5', max_tokens: maxTokens, messages: [{ role: 'user', content }] },
  });
}

const OVERHEAD = requestLine('req-000000', '').length;

/**
 * A request file of `requests` lines of exactly `lineBytes` bytes each (ids req-000001…), so
 * that its size and its create body's size are known in advance.
 */
export function requestFile(requests, lineBytes, { seed = 9, log } = {}) {
  const textLength = lineBytes - OVERHEAD;
  if (textLength < 1) throw new Error(`lines of ${lineBytes} bytes are too short`);
  return cached(
    `requests-${requests}x${lineBytes}.jsonl`,
    { kind: 'requests', requests, lineBytes, seed },
    async (path) => {
      const rand = mulberry32(seed);
      await writeChunks(path, async (push) => {
        for (let i = 1; i <= requests; i += 1) {
          const text = exactText(rand, textLength).replaceAll('"', "'");
          await push(`${requestLine(`req-${String(i).padStart(6, '0')}`, text)}\n`);
        }
      });
    },
    log,
  );
}

/** Line size for `requests` lines whose create body is as close to `bodyBytes` as possible without passing it. */
export function lineBytesForBody(requests, bodyBytes) {
  // body = '{"requests":[' + lines joined by ',' + ']}'
  return Math.floor((bodyBytes - 15 + 1) / requests) - 1;
}

/** Short requests with the ids `build csv` gives rows (csv-row-N), for a batch whose results are joined back. */
export function csvRowRequests(requests, { seed = 10, log } = {}) {
  return cached(
    `csv-row-requests-${requests}.jsonl`,
    { kind: 'csv-row-requests', requests, seed },
    async (path) => {
      const rand = mulberry32(seed);
      await writeChunks(path, async (push) => {
        for (let i = 1; i <= requests; i += 1) {
          await push(`${requestLine(`csv-row-${i}`, reviewText(rand, 80).replaceAll('"', "'"))}\n`);
        }
      });
    },
    log,
  );
}
