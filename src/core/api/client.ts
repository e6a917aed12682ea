import type Anthropic from '@anthropic-ai/sdk';
import { AuthError, UsageError } from '../errors.js';
import { createNodeFetch } from './http-fetch.js';
import { ProxyConfigError, proxyFor } from './proxy.js';
import { READ_RETRIES } from './retry.js';

/** The environment variables the client reads. Passed in, so tests and library users control them. */
export type Env = Record<string, string | undefined>;

/** A sink for the SDK's own log lines (only used with `--verbose`). */
export type LogSink = (level: 'error' | 'warn' | 'info' | 'debug', message: string) => void;

/** How to reach the API. Every field is optional; the environment fills the gaps. */
export interface ClientOptions {
  /**
   * Environment to read `ANTHROPIC_API_KEY`, `ANTHROPIC_AUTH_TOKEN` and `ANTHROPIC_BASE_URL` from,
   * and the proxy settings (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, any case).
   */
  env?: Env;
  /** Overrides `ANTHROPIC_BASE_URL`. */
  baseUrl?: string | undefined;
  /** Sent as `anthropic-workspace-id` on every call. */
  workspace?: string | undefined;
  /**
   * The SDK's automatic retries for each call (default 3: 429, 5xx and network failures, with
   * backoff or the API's retry-after). Creates are never retried automatically (see submit).
   */
  maxRetries?: number;
  /** Time to wait for response headers, in ms (the SDK's default is 10 minutes). */
  timeoutMs?: number;
  /** The fetch the SDK uses (default: a streaming one over node:http; see http-fetch.ts). */
  fetch?: typeof fetch;
  /** Where the SDK's debug log goes; nothing is logged without it. */
  log?: LogSink | undefined;
  /** Told when the base URL given was corrected (a trailing `/v1` dropped). */
  onNotice?: ((message: string) => void) | undefined;
}

/** An SDK client plus what the rest of the core needs to know about how it was made. */
export interface BatchClient {
  sdk: Anthropic;
  baseUrl: string;
  /** The workspace sent as `anthropic-workspace-id`, if any. */
  workspace?: string | undefined;
  /** The credential in use, kept so that output can be scrubbed of it. Never print it. */
  secret: string;
}

/** The public API host, used when neither `--base-url` nor `ANTHROPIC_BASE_URL` is given. */
export const DEFAULT_BASE_URL = 'https://api.anthropic.com';

/** Which credential the environment holds, without revealing it. */
export function findCredential(env: Env): { kind: 'apiKey' | 'authToken'; value: string } | undefined {
  const apiKey = env.ANTHROPIC_API_KEY?.trim();
  if (apiKey) return { kind: 'apiKey', value: apiKey };
  const token = env.ANTHROPIC_AUTH_TOKEN?.trim();
  if (token) return { kind: 'authToken', value: token };
  return undefined;
}

/** What a base URL should look like, for messages. */
export const BASE_URL_EXAMPLE = `${DEFAULT_BASE_URL} (or http://127.0.0.1:8787 for the emulator)`;

/**
 * What is wrong with a base URL, if anything: the problem and, when it is plain what was meant,
 * the URL to write instead (`localhost:8787` → `http://localhost:8787`).
 */
export function checkBaseUrl(
  text: string,
): { problem: string; suggestion?: string; credentials?: true } | undefined {
  const value = text.trim();
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
  if (url && hasScheme && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname) {
    if (url.username || url.password) {
      // Never kept: a base URL is shown in messages and written to the registry.
      return {
        problem: 'it holds a user name or password (give the API key in ANTHROPIC_API_KEY instead)',
        suggestion: `${url.origin}${url.pathname === '/' ? '' : url.pathname}`,
        credentials: true,
      };
    }
    if (url.search || url.hash) {
      return { problem: 'it has a query or a fragment', suggestion: `${url.origin}${url.pathname}` };
    }
    return undefined;
  }
  // `localhost:8787` or `api.example.com`: a host without its scheme.
  const host = /^([a-z0-9.-]+|\[[0-9a-f:]+\])(:\d+)?(\/\S*)?$/i.exec(value);
  if (!hasScheme && host?.[1] && (host[2] || host[1].includes('.') || host[1] === 'localhost')) {
    const local = /^(localhost|127\.|\[::1\])/i.test(value);
    return {
      problem: 'it has no http:// or https:// in front',
      suggestion: `${local ? 'http' : 'https'}://${value}`,
    };
  }
  return { problem: 'it is not an http(s) URL' };
}

/** A URL with any user name and password replaced by `***`, for messages. */
function withoutCredentials(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@');
}

/**
 * The base URL the client will use: `--base-url`, else `ANTHROPIC_BASE_URL`, else the public API.
 * Refuses one that is not an http(s) URL (a UsageError naming where it came from); drops a
 * trailing `/v1` (the SDK adds it to every path) and says so through `onNotice`.
 */
export function resolveBaseUrl(options: Pick<ClientOptions, 'env' | 'baseUrl' | 'onNotice'>): string {
  const flag = options.baseUrl?.trim();
  const given = flag || options.env?.ANTHROPIC_BASE_URL?.trim();
  if (!given) return DEFAULT_BASE_URL;
  const from = flag ? '--base-url' : 'ANTHROPIC_BASE_URL';
  const wrong = checkBaseUrl(given);
  if (wrong) {
    throw new UsageError(
      `${from} ${withoutCredentials(given)} cannot be used: ${wrong.problem}`,
      wrong.suggestion === undefined
        ? `give a URL such as ${BASE_URL_EXAMPLE}`
        : `${flag ? '--base-url ' : 'export ANTHROPIC_BASE_URL='}${wrong.suggestion}`,
    );
  }
  const url = given.replace(/\/+$/, '');
  if (!/\/v1$/i.test(url)) return url;
  const kept = url.replace(/\/v1$/i, '');
  options.onNotice?.(`${from} ends in /v1, which the client adds to every path itself; using ${kept}`);
  return kept;
}

/**
 * The one place that constructs the SDK client. The key is read from the environment only
 * (never from a flag: it would show in `ps` and shell history). Without one, it throws an
 * AuthError before anything is sent.
 */
export async function createClient(options: ClientOptions = {}): Promise<BatchClient> {
  const env = options.env ?? {};
  const baseUrl = resolveBaseUrl(options);
  const credential = findCredential(env);
  if (!credential) {
    throw new AuthError(
      'ANTHROPIC_API_KEY is not set',
      'export ANTHROPIC_API_KEY=<your key> (or ANTHROPIC_AUTH_TOKEN); to try offline, run `claude-batch emulator`',
    );
  }
  if (!options.fetch) checkProxy(baseUrl, env);
  const { default: AnthropicClient } = await import('@anthropic-ai/sdk');
  const log = options.log;
  const sdk = new AnthropicClient({
    ...(credential.kind === 'apiKey' ? { apiKey: credential.value } : { authToken: credential.value }),
    baseURL: baseUrl,
    fetch: options.fetch ?? createNodeFetch({ env }),
    maxRetries: options.maxRetries ?? READ_RETRIES,
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    ...(options.workspace ? { defaultHeaders: { 'anthropic-workspace-id': options.workspace } } : {}),
    logLevel: log ? 'debug' : 'off',
    logger: {
      error: (...args: unknown[]) => log?.('error', args.map(String).join(' ')),
      warn: (...args: unknown[]) => log?.('warn', args.map(String).join(' ')),
      info: (...args: unknown[]) => log?.('info', args.map(String).join(' ')),
      debug: (...args: unknown[]) => log?.('debug', args.map(stringifyLogArg).join(' ')),
    },
  });
  return {
    sdk,
    baseUrl,
    secret: credential.value,
    ...(options.workspace ? { workspace: options.workspace } : {}),
  };
}

/** A proxy setting that cannot be used is a usage error before anything is sent (not a retried failure). */
function checkProxy(baseUrl: string, env: Env): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return; // The SDK reports a bad base URL itself.
  }
  try {
    proxyFor(url, env);
  } catch (error) {
    if (!(error instanceof ProxyConfigError)) throw error;
    throw new UsageError(
      error.message,
      'fix HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (an http:// or https:// URL)',
    );
  }
}

function stringifyLogArg(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  try {
    return JSON.stringify(arg);
  } catch {
    return String(arg);
  }
}

/** Keys shorter than this do not look like secrets (`emulator`, `test`): text is never rewritten for them. */
export const MIN_SECRET_LENGTH = 16;

/**
 * Hides the secret where it appears as a token of its own (not preceded or followed by a letter,
 * digit, `_` or `-`), so that the words around it are never mangled. Short keys (under
 * {@link MIN_SECRET_LENGTH} characters, such as the emulator's `emulator`) are not treated as
 * secrets; they are still never printed on purpose.
 */
export function redact(text: string, secret: string | undefined): string {
  if (!secret || secret.length < MIN_SECRET_LENGTH || !text.includes(secret)) return text;
  const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return text.replace(new RegExp(`(?<![A-Za-z0-9_-])${escaped}(?![A-Za-z0-9_-])`, 'g'), '[REDACTED]');
}
