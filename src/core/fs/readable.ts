import { stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/** Why a file cannot be read, in the same words for every command. */
export function unreadableReason(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${error.code})`;
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    default:
      return error.code ?? error.message;
  }
}

/**
 * Throws an exit-2 error naming the file (`name`, e.g. "the map m.jsonl") when `path` cannot be
 * read as a file: missing, unreadable, a folder. Every command words it the same:
 * `cannot read NAME: no such file`.
 */
export async function assertReadableFile(path: string, name = path, hint = 'check the path'): Promise<void> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${name}: ${unreadableReason(error)}`, hint);
  });
  if (info.isDirectory()) throw new UsageError(`${name} is a folder, not a file`, hint);
  if (!info.isFile()) throw new UsageError(`${name} is not a file`, hint);
}
