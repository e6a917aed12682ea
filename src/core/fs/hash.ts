import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { READ_CHUNK_BYTES } from './memory.js';

/** The size and sha256 of a file, read once. */
export async function fileIdentity(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, {
    highWaterMark: READ_CHUNK_BYTES,
  }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Hashes a file on a worker thread: `result` is its size and sha256; `stop` ends the worker early. */
export function hashFileInWorker(path: string): {
  result: Promise<{ size: number; sha256: string }>;
  stop(): Promise<void>;
} {
  // An eval'd worker (CommonJS): no file to locate next to the bundle.
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { createHash } = require('node:crypto');
    const { createReadStream } = require('node:fs');
    (async () => {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of createReadStream(workerData, { highWaterMark: 1 << 20 })) {
        hash.update(chunk);
        size += chunk.length;
      }
      parentPort.postMessage({ size, sha256: hash.digest('hex') });
    })().catch((error) => parentPort.postMessage({ error: String(error && error.message || error) }));
  `;
  const worker = new Worker(code, { eval: true, workerData: path });
  const result = new Promise<{ size: number; sha256: string }>((resolve, reject) => {
    worker.once('message', (m: { size: number; sha256: string } | { error: string }) => {
      if ('error' in m) reject(new Error(`cannot hash ${path}: ${m.error}`));
      else resolve(m);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the hash of ${path} stopped (exit ${code})`)));
  });
  // Awaited later (or never, when the build fails first): no unhandled rejection meanwhile.
  result.catch(() => undefined);
  return { result, stop: () => worker.terminate().then(() => undefined) };
}
