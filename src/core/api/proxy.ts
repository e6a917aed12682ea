import type { ClientRequest, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { BlockList, isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';

/**
 * Proxy support for the streaming fetch (http-fetch.ts), read from the environment as curl does:
 * `https_proxy`/`HTTPS_PROXY` for https targets, `http_proxy`/`HTTP_PROXY` for http ones,
 * `all_proxy`/`ALL_PROXY` for both, the lowercase form first; `no_proxy`/`NO_PROXY` lists the
 * hosts reached directly. An http target is asked of the proxy with its absolute URI; an https
 * one goes through a CONNECT tunnel, TLS running end to end inside it. Proxies are http:// or
 * https:// URLs (a bare `host:port` means http://), with optional `user:password@` sent as
 * Basic `Proxy-Authorization`.
 */

export type ProxyEnv = Record<string, string | undefined>;

/** The proxy could not be reached, or refused the tunnel; the message names it (never its credentials). */
export class ProxyError extends Error {
  override name = 'ProxyError';
}

/** A proxy setting that cannot be used (an unsupported scheme, a malformed URL). */
export class ProxyConfigError extends Error {
  override name = 'ProxyConfigError';
}

function envValue(env: ProxyEnv, name: string): string | undefined {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

/** The host of a URL without IPv6 brackets, lowercased, without a trailing dot. */
function bareHost(hostname: string): string {
  return hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

/**
 * Whether `no_proxy` says to reach `url` directly, as curl reads it: entries separated by
 * commas or spaces; `*` alone matches every host; `example.com` (also written `.example.com`
 * or `*.example.com`) matches that host and every host under it; `host:port` only that port;
 * IP addresses are matched literally or by CIDR range (`10.0.0.0/8`, `fd00::/8`), and names
 * are not resolved.
 */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = bareHost(url.hostname);
  const port = Number(url.port || defaultPort(url.protocol));
  const hostIp = isIP(host);
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: number | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1] ?? '';
      if (bracketed[2]) entryPort = Number(bracketed[2]);
    } else if (isIP(entry.split('/')[0] ?? '') !== 6) {
      const withPort = /^(.*):(\d+)$/.exec(entry);
      if (withPort) {
        entry = withPort[1] ?? '';
        entryPort = Number(withPort[2]);
      }
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    entry = entry.replace(/^\*?\./, '').replace(/\.$/, '');
    if (!entry) continue;
    if (hostIp) {
      if (entry === host) return true;
      const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
      const network = cidr?.[1] ?? '';
      const family = isIP(network);
      if (cidr && family === hostIp) {
        const list = new BlockList();
        const type = family === 4 ? 'ipv4' : 'ipv6';
        try {
          list.addSubnet(network, Number(cidr[2]), type);
        } catch {
          continue; // A prefix out of range: not a match.
        }
        if (list.check(host, type)) return true;
      }
      continue;
    }
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/** The proxy to use for `url` according to `env`, or undefined to connect directly. */
export function proxyFor(url: URL, env: ProxyEnv): URL | undefined {
  const setting =
    (url.protocol === 'https:' ? envValue(env, 'https_proxy') : envValue(env, 'http_proxy')) ??
    envValue(env, 'all_proxy');
  if (!setting) return undefined;
  if (bypassesProxy(url, envValue(env, 'no_proxy'))) return undefined;
  let proxy: URL;
  try {
    proxy = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(setting) ? setting : `http://${setting}`);
  } catch {
    throw new ProxyConfigError(`the proxy setting is not a URL: ${redactProxy(setting)}`);
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw new ProxyConfigError(
      `unsupported proxy scheme ${proxy.protocol}// (${redactProxy(setting)}): use an http:// or https:// proxy`,
    );
  }
  return proxy;
}

/** The error for a proxy that could not be reached. */
export function unreachableProxy(proxy: URL, error: NodeJS.ErrnoException): ProxyError {
  return new ProxyError(`cannot reach the proxy ${redactProxy(proxy)}: ${error.code ?? error.message}`, {
    cause: error,
  });
}

/** A proxy URL fit to print: without its credentials. */
export function redactProxy(proxy: string | URL): string {
  const text = typeof proxy === 'string' ? proxy : proxy.href;
  return text.replace(/\/\/[^/@]*@/, '//***@').replace(/\/$/, '');
}

/** The `Proxy-Authorization` header for a proxy URL with credentials. */
export function proxyHeaders(proxy: URL): Record<string, string> {
  if (!proxy.username && !proxy.password) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** Options to send a request to the proxy itself (its host, port and protocol). */
export function proxyEndpoint(proxy: URL): { host: string; port: number; https: boolean } {
  return {
    host: bareHost(proxy.hostname),
    port: Number(proxy.port || defaultPort(proxy.protocol)),
    https: proxy.protocol === 'https:',
  };
}

/** How long a proxy may take to answer a CONNECT. */
export const TUNNEL_TIMEOUT_MS = 60_000;

/**
 * An https Agent whose connections are CONNECT tunnels through a proxy, TLS then running inside
 * the tunnel to the target (so the proxy sees only the host and port). Connections are kept
 * alive and reused per target like those of a plain Agent.
 */
export class TunnelAgent extends HttpsAgent {
  readonly #proxy: URL;
  readonly #timeoutMs: number;

  constructor(proxy: URL, options: { timeoutMs?: number } = {}) {
    super({ keepAlive: true });
    this.#proxy = proxy;
    this.#timeoutMs = options.timeoutMs ?? TUNNEL_TIMEOUT_MS;
  }

  override createConnection(
    options: RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const done = callback ?? (() => undefined);
    const host = bareHost(String(options.host ?? options.hostname ?? 'localhost'));
    const target = `${isIP(host) === 6 ? `[${host}]` : host}:${options.port ?? 443}`;
    const endpoint = proxyEndpoint(this.#proxy);
    const send = endpoint.https ? httpsRequest : httpRequest;
    const connect: ClientRequest = send({
      host: endpoint.host,
      port: endpoint.port,
      method: 'CONNECT',
      path: target,
      headers: { host: target, ...proxyHeaders(this.#proxy) },
      agent: false,
    });
    const fail = (error: Error) => done(error, undefined as unknown as Duplex);
    connect.once('connect', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.setTimeout(0); // The tunnel's idle time is the https agent's business from here.
      if (res.statusCode !== 200) {
        socket.destroy();
        fail(
          new ProxyError(
            `the proxy ${redactProxy(this.#proxy)} refused the tunnel to ${target}: ${res.statusCode} ${res.statusMessage ?? ''}`.trim(),
          ),
        );
        return;
      }
      if (head.length > 0) socket.unshift(head);
      const {
        socket: _ignored,
        agent: _agent,
        ...tlsOptions
      } = options as RequestOptions & { socket?: unknown };
      const secure = tlsConnect({
        ...(tlsOptions as object),
        socket,
        servername: isIP(host) ? undefined : (options.servername ?? host),
      });
      done(null, secure);
    });
    connect.once('error', (error: NodeJS.ErrnoException) => fail(unreachableProxy(this.#proxy, error)));
    // A proxy that takes the connection but never answers the CONNECT must not hang the caller.
    connect.setTimeout(this.#timeoutMs, () => {
      const error: NodeJS.ErrnoException = new Error('no answer to CONNECT');
      error.code = 'ETIMEDOUT';
      connect.destroy(error);
    });
    connect.end();
    return undefined;
  }
}
