import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect, type createServer as createTcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

/**
 * A small forward proxy on 127.0.0.1 that records what passes through it: `GET http://host/path`
 * for a request in absolute-URI form (forwarded), `CONNECT host:port` for a tunnel (spliced
 * to the target). `refuse` answers every request 407 instead.
 */
export interface TestProxy {
  url: string;
  /** One line per request: `METHOD absolute-uri` or `CONNECT host:port`. */
  records: string[];
  /** The Proxy-Authorization header of each request (undefined when absent). */
  auth: Array<string | undefined>;
  close(): Promise<void>;
}

function closeServer(
  server: Server | ReturnType<typeof createTcpServer>,
  sockets: Set<Socket>,
): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function track(server: Server | ReturnType<typeof createTcpServer>): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

export async function startProxy(options: { refuse?: boolean } = {}): Promise<TestProxy> {
  const records: string[] = [];
  const auth: Array<string | undefined> = [];
  const tunnels = new Set<Socket>();
  const server = createServer((req, res) => {
    records.push(`${req.method} ${req.url}`);
    auth.push(req.headers['proxy-authorization']);
    if (options.refuse) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' });
      res.end();
      return;
    }
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = request(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    records.push(`CONNECT ${req.url}`);
    auth.push(req.headers['proxy-authorization']);
    tunnels.add(client);
    if (options.refuse) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(/:(?=\d+$)/);
    const upstream = connect(Number(port), (host ?? '').replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    tunnels.add(upstream);
    const end = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', end);
    client.on('error', end);
  });
  const sockets = track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    records,
    auth,
    close: () => {
      for (const socket of tunnels) socket.destroy();
      return closeServer(server, sockets);
    },
  };
}

const fixture = (name: string) => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));

/** The self-signed certificate of `localhost` and 127.0.0.1 (test/fixtures/tls, valid until 2126). */
export const TEST_CA = fixture('localhost-cert.pem');

/**
 * A TLS front for a plain-http server (e.g. the emulator): `https://localhost:PORT` with the
 * test certificate, each connection decrypted and spliced to `target`.
 */
export async function startTlsFront(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const server = createTlsServer({ key: fixture('localhost-key.pem'), cert: TEST_CA }, (secure) => {
    const plain = connect(Number(port), hostname, () => {
      secure.pipe(plain);
      plain.pipe(secure);
    });
    const end = () => {
      plain.destroy();
      secure.destroy();
    };
    plain.on('error', end);
    secure.on('error', end);
  });
  const sockets = track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://localhost:${(server.address() as AddressInfo).port}`,
    close: () => closeServer(server, sockets),
  };
}
