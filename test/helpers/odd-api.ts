import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An API that answers every call 200 with a batch lacking `request_counts`: the CLI does not
 * check the shape of the API's answers, so `status ID` fails with a TypeError in its own code,
 * a genuine unexpected failure (a bug path) without mocking anything. If the CLI learns to
 * validate answers, this becomes a CliError and tests using it must find another bug path.
 */
export async function startOddApi(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'msgbatch_odd', type: 'message_batch', processing_status: 'in_progress' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
