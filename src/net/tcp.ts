// TCP listeners: one net.Server per bound address (IPv6 ones v6-only, as memcached sets
// IPV6_V6ONLY), accepted sockets handed to the ConnectionHub.

import net from 'node:net';
import type { ConnectionHub } from './connection.js';
import { acceptWithStaticReads } from './static-read.js';
import { listeningFd } from './stream-binding.js';
import type { TlsServerContext } from './tls-context.js';

export interface TcpListener {
  readonly server: net.Server;
  readonly host: string;
  readonly port: number;
  readonly isIpv6: boolean;
  /** `tcp:127.0.0.1:11211` / `tcp6:[::1]:11211`, as `stats conns` prints it. */
  readonly addr: string;
  /** -Z without notls: accepted sockets are wrapped in TLS. */
  readonly isTls: boolean;
  /**
   * The listening descriptor, shared by every serving thread: closing the listener in any
   * thread closes it for all, so only the thread that bound it ever closes it.
   */
  readonly fd: number;
}

/**
 * Binds host:port; rejects with the socket error (EADDRINUSE, EADDRNOTAVAIL, EACCES...).
 * tlsContext: a TLS listener; its sockets take Node's ordinary stream path (no static reads).
 */
export function listenTcp(
  hub: ConnectionHub,
  host: string,
  port: number,
  isIpv6: boolean,
  backlog: number,
  tlsContext: TlsServerContext | null = null,
): Promise<TcpListener> {
  return serveTcp(hub, { host, port, backlog, ipv6Only: isIpv6, exclusive: true }, tlsContext);
}

/**
 * Accepts on a listening socket another thread opened (-t N): the kernel hands each new
 * connection to one of the threads polling it. Never close such a listener (see `fd`).
 */
export function listenTcpFd(hub: ConnectionHub, fd: number, tlsContext: TlsServerContext | null): Promise<TcpListener> {
  return serveTcp(hub, { fd }, tlsContext);
}

function serveTcp(hub: ConnectionHub, options: net.ListenOptions | { fd: number }, tlsContext: TlsServerContext | null): Promise<TcpListener> {
  return new Promise((resolve, reject) => {
    // allowHalfOpen: a client's FIN must not cut off replies to requests it already sent.
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
    let addr = '';
    server.on('connection', (socket: net.Socket) => hub.accept(socket, 'tcp', addr, false, tlsContext));
    const onError = (err: Error): void => {
      server.close();
      reject(err);
    };
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      server.on('error', (err: Error) => hub.ctx.log.error('TCP listener ' + addr + ': ' + err.message));
      const bound = server.address() as net.AddressInfo;
      const isIpv6 = bound.family === 'IPv6';
      addr = (isIpv6 ? 'tcp6:[' + bound.address + ']:' : 'tcp:' + bound.address + ':') + bound.port;
      // From here on sockets come from static-read.ts where it can (the 'connection' above is
      // the fallback). TLS reads go through OpenSSL's stream: they keep the 'connection' path.
      if (tlsContext === null) {
        acceptWithStaticReads(
          server,
          (socket) => hub.accept(socket, 'tcp', addr, true),
          (message) => hub.ctx.log.error('TCP listener ' + addr + ': ' + message),
        );
      }
      resolve({ server, host: bound.address, port: bound.port, isIpv6, addr, isTls: tlsContext !== null, fd: listeningFd(server) });
    });
  });
}
