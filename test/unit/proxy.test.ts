import { request } from 'node:https';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  bypassesProxy,
  ProxyConfigError,
  ProxyError,
  proxyFor,
  proxyHeaders,
  redactProxy,
  TunnelAgent,
} from '../../src/core/api/proxy.js';

const api = new URL('https://api.anthropic.com/v1/messages/batches');
const local = new URL('http://127.0.0.1:8080/v1');

describe('bypassesProxy (NO_PROXY as curl reads it)', () => {
  it.each([
    ['', false],
    ['*', true],
    ['api.anthropic.com', true],
    ['anthropic.com', true],
    ['.anthropic.com', true],
    ['*.anthropic.com', true],
    ['ANTHROPIC.COM', true],
    ['anthropic.com.', true],
    ['thropic.com', false],
    ['com.anthropic', false],
    ['other.com, anthropic.com', true],
    ['other.com anthropic.com', true],
    ['anthropic.com:443', true],
    ['anthropic.com:8443', false],
    ['127.0.0.1', false],
    [',, ,', false],
  ])('%j for https://api.anthropic.com → %s', (noProxy, expected) => {
    expect(bypassesProxy(api, noProxy)).toBe(expected);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.0.0.1:8080', true],
    ['127.0.0.1:80', false],
    ['127.0.0.0/8', true],
    ['10.0.0.0/8', false],
    ['127.0.0.0/99', false],
    ['0.0.1', false], // a suffix does not match inside an IP address
    ['localhost', false], // names are not resolved
  ])('%j for http://127.0.0.1:8080 → %s', (noProxy, expected) => {
    expect(bypassesProxy(local, noProxy)).toBe(expected);
  });

  it('matches IPv6 literals with or without brackets, by port and by range', () => {
    const v6 = new URL('http://[::1]:3000/');
    expect(bypassesProxy(v6, '::1')).toBe(true);
    expect(bypassesProxy(v6, '[::1]')).toBe(true);
    expect(bypassesProxy(v6, '[::1]:3000')).toBe(true);
    expect(bypassesProxy(v6, '[::1]:3001')).toBe(false);
    expect(bypassesProxy(v6, '::/0')).toBe(true);
    expect(bypassesProxy(v6, 'fd00::/8')).toBe(false);
  });
});

describe('proxyFor', () => {
  it('takes the variable of the target scheme, lowercase first, then ALL_PROXY', () => {
    expect(proxyFor(api, { HTTPS_PROXY: 'http://p:1' })?.href).toBe('http://p:1/');
    expect(proxyFor(api, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:1' })?.host).toBe(
      'lower:1',
    );
    expect(proxyFor(api, { HTTP_PROXY: 'http://p:1' })).toBeUndefined();
    expect(proxyFor(local, { HTTP_PROXY: 'http://p:1', HTTPS_PROXY: 'http://s:1' })?.host).toBe('p:1');
    expect(proxyFor(api, { ALL_PROXY: 'http://all:1' })?.host).toBe('all:1');
    expect(proxyFor(api, { HTTPS_PROXY: 'http://p:1', all_proxy: 'http://all:1' })?.host).toBe('p:1');
    expect(proxyFor(api, { HTTPS_PROXY: '  ' })).toBeUndefined();
  });

  it('reads a bare host:port as http://, and NO_PROXY wins', () => {
    expect(proxyFor(api, { HTTPS_PROXY: 'proxy.corp:3128' })?.href).toBe('http://proxy.corp:3128/');
    expect(proxyFor(api, { HTTPS_PROXY: 'proxy.corp:3128', no_proxy: '.anthropic.com' })).toBeUndefined();
    expect(proxyFor(api, { HTTPS_PROXY: 'proxy.corp:3128', NO_PROXY: '*' })).toBeUndefined();
  });

  it('refuses schemes it cannot speak, without showing credentials', () => {
    expect(() => proxyFor(api, { HTTPS_PROXY: 'socks5://u:pw@p:1080' })).toThrow(ProxyConfigError);
    expect(() => proxyFor(api, { HTTPS_PROXY: 'socks5://u:pw@p:1080' })).toThrow(
      'unsupported proxy scheme socks5:// (socks5://***@p:1080): use an http:// or https:// proxy',
    );
    expect(() => proxyFor(api, { HTTPS_PROXY: 'http://[bad' })).toThrow('the proxy setting is not a URL');
  });

  it('sends Basic credentials, decoded, and hides them when printed', () => {
    const proxy = new URL('http://me%40corp:p%3Aw@proxy:3128');
    expect(proxyHeaders(proxy)).toEqual({
      'proxy-authorization': `Basic ${Buffer.from('me@corp:p:w').toString('base64')}`,
    });
    expect(proxyHeaders(new URL('http://proxy:3128'))).toEqual({});
    expect(redactProxy(proxy)).toBe('http://***@proxy:3128');
  });
});

describe('TunnelAgent', () => {
  it('gives up on a proxy that takes the connection but never answers the CONNECT', async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const proxy = new URL(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
    const agent = new TunnelAgent(proxy, { timeoutMs: 100 });
    try {
      const error = await new Promise<Error>((resolve) => {
        const req = request('https://api.example.com/v1', { agent }, () => resolve(new Error('answered')));
        req.on('error', resolve);
        req.end();
      });
      expect(error).toBeInstanceOf(ProxyError);
      expect(error.message).toBe(`cannot reach the proxy ${proxy.href.replace(/\/$/, '')}: ETIMEDOUT`);
      expect(held).toHaveLength(1);
    } finally {
      agent.destroy();
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
