import { type BatchClient, createClient, redact } from '../core/api/client.js';
import { openRegistry, type Registry } from '../core/registry/registry.js';
import type { Io } from './io.js';
import type { OptionsOf } from './options.js';
import type { GLOBAL_OPTIONS } from './program.js';

/** Options every command accepts (defined on the root command). */
export type GlobalOptions = OptionsOf<typeof GLOBAL_OPTIONS>;

/** What a command receives: the world (io), the global options, and a lazily made API client. */
export interface Context {
  io: Io;
  globals: GlobalOptions;
  /** The SDK client; created on first use, so commands that need no API never require a key. */
  client(options?: { maxRetries?: number }): Promise<BatchClient>;
  /** The credential in use, once a client exists (for scrubbing output). */
  secret(): string | undefined;
  now(): number;
  /** The batch registry (made on first use); a failure to use it is one warning on stderr. */
  registry(): Registry;
}

/** Builds the context for one run of the CLI. */
export function createContext(io: Io, globals: GlobalOptions): Context {
  let made: BatchClient | undefined;
  let registry: Registry | undefined;
  return {
    registry: () => {
      registry ??= openRegistry(io.env, (message) => io.stderr.write(`warning: ${message}\n`));
      return registry;
    },
    io,
    globals,
    now: () => Date.now(),
    secret: () => made?.secret,
    async client(options = {}) {
      if (made && options.maxRetries === undefined) return made;
      const client = await createClient({
        env: io.env,
        baseUrl: globals.baseUrl,
        workspace: globals.workspace,
        onNotice: (message) => io.stderr.write(`note: ${message}\n`),
        ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
        log: globals.verbose
          ? (level, message) => io.stderr.write(`[sdk ${level}] ${redact(message, made?.secret)}\n`)
          : undefined,
      });
      made ??= client;
      return client;
    },
  };
}
