import { stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/**
 * Throws an exit-2 error naming the file (`name`, e.g. "the map m.jsonl") when `path` cannot be
 * read as a file: missing, unreadable, a folder. `reason` is how a system error is worded:
 * `words` ("no such file") or the bare `code` ("ENOENT").
 */
export async function assertReadableFile(
  path: string,
  name = path,
  hint = 'check the path',
  reason: 'words' | 'code' = 'words',
): Promise<void> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    const code = error.code ?? error.message;
    const why = reason === 'words' && code === 'ENOENT' ? 'no such file' : code;
    throw new UsageError(`cannot read ${name}: ${why}`, hint);
  });
  if (info.isDirectory()) throw new UsageError(`${name} is a folder, not a file`, hint);
  if (!info.isFile()) throw new UsageError(`${name} is not a file`, hint);
}
