import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** A copy of a stream in a private temporary file, for inputs that must be read twice. */
export interface Spooled {
  path: string;
  remove(): Promise<void>;
}

/** Copies a stream (stdin) to a temporary file readable only by the user; `remove` deletes it. */
export async function spoolToFile(
  source: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
): Promise<Spooled> {
  const dir = await mkdtemp(join(tmpdir(), 'claude-batch-'));
  const path = join(dir, 'stdin.jsonl');
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(source, createWriteStream(path, { mode: 0o600 }));
  } catch (error) {
    await remove();
    throw error;
  }
  return { path, remove };
}
