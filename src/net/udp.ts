// -U: one datagram socket per listen address (udp4, or udp6 v6-only). Each datagram is one
// self-contained request batch: its 8-byte frame header is checked (udp-frame.ts), the payload
// runs through the socket's one Session, and the replies go back framed to the sender.
// memcached frames every response object separately (one command, or one key of a multiget,
// each its own datagram sequence numbered from 0); we cut a message after every request.

import dgram from 'node:dgram';
import type { ServerContext, ListenerInfo } from '../server-context.js';
import type { ConnInfo } from '../conn-info.js';
import { Session } from '../protocol/session.js';
import { SessionAction } from '../protocol/reader-contract.js';
import { FRONT_ENDS } from '../protocol/front-ends.js';
import { UDP_HEADER_BYTES, frameUdpReply, udpRequestId } from './udp-frame.js';

export interface UdpEndpoint {
  readonly host: string;
  readonly port: number;
  /** Rows for `stats conns` (memcached shows one UDP conn per worker thread). */
  readonly listeners: readonly ListenerInfo[];
  close(): Promise<void>;
}

/** Binds host:port; rejects with the socket error (EADDRINUSE, EADDRNOTAVAIL...). */
export function bindUdp(
  ctx: ServerContext,
  host: string,
  port: number,
  isIpv6: boolean,
  allocateIds: (count: number) => number[],
  connsPerSocket: number,
): Promise<UdpEndpoint> {
  return new Promise((resolve, reject) => {
    const socket = isIpv6 ? dgram.createSocket({ type: 'udp6', ipv6Only: true }) : dgram.createSocket({ type: 'udp4' });
    const onBindError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onBindError);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', onBindError);
      const bound = socket.address();
      const addr = (isIpv6 ? 'udp6:[' + bound.address + ']:' : 'udp:' + bound.address + ':') + bound.port;
      const ids = allocateIds(connsPerSocket);
      const listeners: ListenerInfo[] = ids.map((id) => ({ id, transport: 'udp', addr }));
      const info: ConnInfo = { id: ids[0]!, transport: 'udp', peer: addr, listenAddr: addr };
      const handler = new UdpHandler(ctx, socket, new Session(ctx, info, FRONT_ENDS));
      socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => handler.onMessage(msg, rinfo));
      socket.on('error', (err: Error) => ctx.log.error('UDP ' + addr + ': ' + err.message));
      resolve({
        host: bound.address,
        port: bound.port,
        listeners,
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}

class UdpHandler {
  private readonly ctx: ServerContext;
  private readonly socket: dgram.Socket;
  private readonly session: Session;
  /** Reply offsets where one request's replies end (reused). */
  private readonly bounds: number[];

  constructor(ctx: ServerContext, socket: dgram.Socket, session: Session) {
    this.ctx = ctx;
    this.socket = socket;
    this.session = session;
    this.bounds = [];
  }

  onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const requestId = udpRequestId(msg);
    if (requestId < 0) return; // too short, or a multi-datagram request: dropped silently
    const ctx = this.ctx;
    const s = this.session;
    ctx.counters.bytes_read += msg.length;
    s.resetInput();
    s.out.take();
    // Negotiation is per datagram (memcached answers text and binary on one UDP socket).
    if (ctx.settings.bindingProtocol === 'auto') {
      if (msg[UDP_HEADER_BYTES] === 0x80) s.useBinary();
      else s.useText();
    }
    const bounds = this.bounds;
    bounds.length = 0;
    let mark = 0;
    let pos = UDP_HEADER_BYTES;
    const end = msg.length;
    try {
      while (pos < end && s.action === SessionAction.Continue) {
        const reader = s.reader;
        const n = reader.read(msg, pos, end);
        if (n === 0) {
          if (s.reader !== reader) continue;
          break; // an incomplete request: the rest of the datagram is dropped
        }
        pos += n;
        const len = s.out.length;
        if (len !== mark) {
          bounds.push(len);
          mark = len;
        }
      }
    } catch (e: unknown) {
      ctx.log.error('<' + s.conn.id + ' internal error on a UDP request: ' + (e instanceof Error ? (e.stack ?? e.message) : String(e)));
      s.out.take();
      s.resetInput();
      return;
    }
    if (s.action === SessionAction.CloseNow) {
      s.out.take();
      return;
    }
    const parts = s.out.take();
    if (parts === null) return;
    const reply = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const send = (d: Buffer): void => {
      this.socket.send(d, rinfo.port, rinfo.address);
    };
    let from = 0;
    let bytes = 0;
    for (const b of bounds) {
      const to = b < reply.length ? b : reply.length;
      if (to <= from) continue;
      bytes += frameUdpReply(requestId, reply, from, to, send);
      from = to;
    }
    if (from < reply.length) bytes += frameUdpReply(requestId, reply, from, reply.length, send);
    ctx.counters.bytes_written += bytes;
  }
}
