// The Prometheus endpoint: GET (or HEAD) /metrics on the -o metrics_listen address, nothing
// else. It is a small HTTP server of its own, apart from the cache's listeners and not counted
// in `stats` connections, but bounded like them: a few connections at once, small request
// heads, short timeouts, and no request body is ever read (a request that announces one is
// answered and closed). Everything but a scrape gets a short text reply and a closed socket.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsCollector } from './collector.js';

export const METRICS_PATH = '/metrics';
/** Concurrent connections; further ones are closed by Node on accept. */
export const MAX_CONNECTIONS = 16;
/** Request line and headers together (a Prometheus scrape sends about 300 bytes). */
export const MAX_HEADER_BYTES = 8192;
/** Whole request head must arrive within this. */
const HEADERS_TIMEOUT_MS = 5000;
/** A socket with no traffic for this long is closed. */
export const IDLE_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5000;
/** How often Node checks for head and request timeouts. */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

export interface MetricsEndpoint {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export function listenMetrics(collector: MetricsCollector, host: string, port: number): Promise<MetricsEndpoint> {
  const server = http.createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: HEADERS_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    (req, res) => handle(collector, req, res),
  );
  server.maxConnections = MAX_CONNECTIONS;
  server.setTimeout(IDLE_TIMEOUT_MS); // no 'timeout' listener: Node destroys the idle socket
  server.on('connection', (socket) => socket.on('error', ignore));

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', ignore); // accept errors (EMFILE) must not take the cache down
      const bound = server.address() as AddressInfo;
      resolve({
        host: bound.address,
        port: bound.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function handle(collector: MetricsCollector, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (hasBody(req)) return refuse(res, 413, 'request bodies are not accepted\n');
  if (path !== METRICS_PATH) return refuse(res, 404, 'not found: this endpoint serves only GET /metrics\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return refuse(res, 405, 'method not allowed: use GET\n');
  }
  collector.render().then(
    (text) => {
      if (res.destroyed) return;
      res.writeHead(200, { 'Content-Type': collector.contentType, 'Content-Length': Buffer.byteLength(text) });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
    (e: unknown) => {
      // A bug in a family: the scrape fails visibly (Prometheus marks the target down), the cache runs on.
      refuse(res, 500, 'metrics could not be rendered: ' + (e instanceof Error ? e.message : String(e)) + '\n');
    },
  );
}

function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** A short reply, then the connection closes: nothing after this request is read. */
function refuse(res: http.ServerResponse, status: number, text: string): void {
  if (res.destroyed) return;
  res.shouldKeepAlive = false;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), Connection: 'close' });
  res.end(text, () => res.socket?.destroy());
}

function ignore(): void {}
