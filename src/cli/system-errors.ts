import { causes, EnvironmentError, systemCode } from '../core/errors.js';

/** What a Node system error means to a person, and what to do about it. */
const MEANINGS: Record<string, { what: string; hint: string }> = {
  EADDRINUSE: {
    what: 'the port is already in use',
    hint: 'choose another --port (0 picks a free one), or stop the program that holds it',
  },
  EADDRNOTAVAIL: {
    what: 'that address is not on this machine',
    hint: 'listen on 127.0.0.1 or a local address',
  },
  ENOTFOUND: {
    what: 'host not found',
    hint: 'check the host in --base-url or ANTHROPIC_BASE_URL, and the network (DNS)',
  },
  EAI_AGAIN: {
    what: 'the host name could not be looked up now',
    hint: 'check the network (DNS) and try again',
  },
  ECONNREFUSED: {
    what: 'connection refused',
    hint: 'is the server running at --base-url? for an offline API run `claude-batch emulator`',
  },
  ECONNRESET: { what: 'the connection was reset', hint: 'check the network or proxy, and try again' },
  ETIMEDOUT: { what: 'the connection timed out', hint: 'check the network or proxy, and try again' },
  EHOSTUNREACH: { what: 'the host cannot be reached', hint: 'check the network' },
  ENETUNREACH: { what: 'the network cannot be reached', hint: 'check the network' },
  ENOSPC: { what: 'the disk is full', hint: 'free some space, or write the output somewhere else' },
  EDQUOT: { what: 'the disk quota is used up', hint: 'free some space, or write the output somewhere else' },
  EACCES: {
    what: 'permission denied',
    hint: "check the file's or folder's permissions, or use another path",
  },
  EPERM: {
    what: 'operation not permitted',
    hint: "check the file's or folder's permissions, or use another path",
  },
  EROFS: { what: 'the file system is read-only', hint: 'write the output somewhere else' },
  EISDIR: { what: 'that is a folder, not a file', hint: 'give a file path' },
  ENOTDIR: { what: 'a part of the path is not a folder', hint: 'check the path' },
  ENOENT: { what: 'no such file or folder', hint: 'check the path' },
  EMFILE: { what: 'too many open files', hint: 'raise the limit (ulimit -n) or close other programs' },
  ENFILE: { what: 'too many open files on this system', hint: 'close other programs and try again' },
};

/** The words for a system error code, when it is one people meet. */
export function meaningOf(code: string | undefined): { what: string; hint: string } | undefined {
  return code === undefined ? undefined : MEANINGS[code];
}

/** Where a system error happened (a path, an address), as Node reports it. */
function whereOf(error: unknown): string | undefined {
  for (const e of causes(error)) {
    const f = e as { path?: unknown; address?: unknown; port?: unknown; hostname?: unknown };
    if (typeof f.path === 'string') return f.path;
    if (typeof f.hostname === 'string') return f.hostname;
    if (typeof f.address === 'string')
      return typeof f.port === 'number' ? `${f.address}:${f.port}` : f.address;
  }
  return undefined;
}

/**
 * A system error that escaped the core (a port in use, a full disk) as an EnvironmentError with
 * a sentence and a hint; undefined when the error carries no system code people meet.
 */
export function asEnvironmentError(error: unknown): EnvironmentError | undefined {
  const code = systemCode(error);
  const meaning = meaningOf(code);
  if (!code || !meaning) return undefined;
  const where = whereOf(error);
  return new EnvironmentError(`${where ? `${where}: ` : ''}${meaning.what} (${code})`, {
    hint: meaning.hint,
    code,
    cause: error,
  });
}
