// A stream socket (TCP or unix) ⇄ one Session: bytes in → session.onData → one write of the
// replies per read batch → act on the SessionAction. Also -R yields, backpressure, idle
// timeout, -c and the connection counters. Knows bytes and sockets, never commands.

import type net from 'node:net';
import type tls from 'node:tls';
import type { ServerContext } from '../server-context.js';
import type { ConnInfo, Transport } from '../conn-info.js';
import { OUT_YIELD_BYTES, Session } from '../protocol/session.js';
import { SessionAction } from '../protocol/reader-contract.js';
import { FRONT_ENDS } from '../protocol/front-ends.js';
import { SocketWriter } from './socket-writer.js';
import { readTlsStatically, setReadTarget, type ReadTarget } from './static-read.js';
import { CloseReason, ConnTransport, type WatchSink } from '../log/watch.js';
import type { TlsServerContext } from './tls-context.js';
import { HANDSHAKE_TIMEOUT_MS, handshakeFailureLine, peerSubject, type HandshakeFailure } from './tls-handshake.js';

/** Replies queued in the socket beyond this stop reading from it until 'drain'. */
export const OUT_PAUSE_BYTES = 4 * 1024 * 1024;
/**
 * Unparsed input a connection may hold while it has yielded (-R) before its socket is no longer
 * read: the kernel's buffers and TCP push back on the client, as memcached reads only what it
 * has room to parse. Bounds a pipelining client's backlog, authenticated or not.
 */
export const INPUT_HOLD_BYTES = 64 * 1024;
/** How long a closing connection's queued replies may take to leave before the socket is destroyed. */
const CLOSE_FLUSH_MS = 5000;

/** memcached's answer to a connection beyond -c (maxconns_fast), then it closes. */
const REPLY_TOO_MANY_CONNECTIONS = Buffer.from('ERROR Too many open connections\r\n', 'latin1');

/** How a connection's bytes arrive: see the Connection constructor. */
type ReadPath = 'static' | 'data' | 'tls';

/**
 * The live stream connections of one serving thread: the -c limit (server-wide, in ctx.wide),
 * counters, shutdown. Listeners (tcp.ts, unix.ts) hand every accepted socket to accept().
 */
export class ConnectionHub {
  readonly ctx: ServerContext;
  private readonly conns: Set<Connection>;
  /** Sockets accepted beyond -c with maxconns_fast off: they wait, unread, for a free slot. */
  private readonly waiting: Array<{
    socket: net.Socket;
    transport: Transport;
    listenAddr: string;
    isStaticRead: boolean;
    tlsContext: TlsServerContext | null;
  }>;
  /** Accepted sockets of TLS listeners still in their handshake (each holds a -c slot). */
  private readonly handshaking: Set<net.Socket>;
  private isClosing: boolean;
  /** With several threads: where a slot freed in another thread is announced (see releaseSlot). */
  private readonly slotChannel: BroadcastChannel | null;

  constructor(ctx: ServerContext) {
    this.ctx = ctx;
    this.conns = new Set();
    this.waiting = [];
    this.handshaking = new Set();
    this.isClosing = false;
    this.slotChannel = null;
    if (ctx.wide.threads > 1) {
      const channel = new BroadcastChannel(ctx.wide.buffers.slotChannel);
      channel.onmessage = () => this.admitWaiting();
      (channel as unknown as { unref(): void }).unref();
      this.slotChannel = channel;
    }
  }

  /** The next fd-like id, unique server-wide (listeners take theirs first, as in memcached). */
  allocateId(): number {
    return this.ctx.wide.allocateId();
  }

  /**
   * Listener sockets and UDP conns count in memcached's connection figures: curr_connections
   * is "all conns minus one", total_connections and connection_structures include them.
   */
  countListenerConns(n: number): void {
    this.ctx.counters.total_connections += n;
    this.ctx.wide.countListenerConns(n);
  }

  /**
   * A new socket from a listener. isStaticRead: built by static-read.ts (bytes arrive through
   * onBytes with a shared buffer) rather than an ordinary socket emitting 'data'. tlsContext:
   * the socket comes from a -Z listener; the -c check and its plaintext refusal come first, as
   * memcached answers before SSL_accept, then the handshake holds a slot until it is done.
   */
  accept(socket: net.Socket, transport: Transport, listenAddr: string, isStaticRead = false, tlsContext: TlsServerContext | null = null): void {
    if (this.isClosing) {
      socket.destroy();
      return;
    }
    const ctx = this.ctx;
    if (!ctx.wide.takeClientSlot(ctx.settings.maxConnections)) {
      if (ctx.settings.maxconnsFast) {
        ctx.counters.rejected_connections++;
        socket.on('error', ignore);
        // memcached writes the line and closes the descriptor at once.
        socket.end(REPLY_TOO_MANY_CONNECTIONS, () => socket.destroy());
        setTimeout(() => socket.destroy(), CLOSE_FLUSH_MS).unref();
        return;
      }
      // memcached stops accepting until a connection closes; the kernel backlog holds the rest.
      socket.pause();
      socket.on('error', ignore);
      if (ctx.wide.addParked(1) === 0) ctx.counters.listen_disabled_num++;
      this.waiting.push({ socket, transport, listenAddr, isStaticRead, tlsContext });
      // a slot freed in another thread between the check and the count above was announced to nobody
      this.admitWaiting();
      return;
    }
    this.start(socket, transport, listenAddr, isStaticRead, tlsContext);
  }

  /** A socket holding a -c slot starts being served. */
  private start(socket: net.Socket, transport: Transport, listenAddr: string, isStaticRead: boolean, tlsContext: TlsServerContext | null): void {
    this.ctx.counters.total_connections++;
    if (tlsContext === null) this.attach(socket, socket, transport, listenAddr, isStaticRead ? 'static' : 'data');
    else this.handshake(socket, transport, listenAddr, tlsContext);
  }

  /**
   * Wraps an accepted socket in TLS. A failed, refused or timed-out handshake is counted in
   * ssl_handshake_errors and closes the socket; bytes are buffered by OpenSSL per record only.
   */
  private handshake(raw: net.Socket, transport: Transport, listenAddr: string, tlsContext: TlsServerContext): void {
    const counters = this.ctx.counters;
    this.handshaking.add(raw);
    // on the TCP socket itself, before TLS wraps it (the TLSSocket's own calls in Connection
    // left 100 KiB replies stalling behind Nagle's algorithm)
    raw.setNoDelay(true);
    raw.setKeepAlive(true);
    const secure = tlsContext.wrap(raw); // the client's certificate is checked below, as memcached's verify modes ask
    let isDone = false;
    const log = this.ctx.log;
    /** cause: what broke it (memcached's -v line names it); null: our timeout (memcached has none). */
    const failHandshake = (cause: HandshakeFailure | null): void => {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      this.handshaking.delete(raw);
      counters.ssl_handshake_errors++;
      if (cause !== null && log.level >= 1) log.line(handshakeFailureLine(cause));
      secure.destroy();
      raw.destroy();
      this.releaseSlot();
    };
    const timer = setTimeout(() => failHandshake(null), HANDSHAKE_TIMEOUT_MS);
    timer.unref();
    const onError = (e: Error): void => failHandshake(e);
    const onClose = (): void => failHandshake('closed'); // gone before the handshake ended
    secure.on('error', onError);
    raw.once('close', onClose);
    secure.once('secure', () => {
      if (isDone) return;
      if (tlsContext.requestCert && !isPeerVerified(secure)) {
        // 2 (require) and 3 (once) refuse any client without a valid certificate; 1 (request)
        // refuses an invalid one but lets a client without one in (SSL_VERIFY_PEER alone).
        const peer = secure.getPeerCertificate();
        const hasCert = peer !== null && Object.keys(peer).length > 0;
        if (tlsContext.rejectUnauthorized || hasCert) {
          failHandshake('refused');
          return;
        }
      }
      isDone = true;
      clearTimeout(timer);
      this.handshaking.delete(raw);
      secure.off('error', onError);
      raw.off('close', onClose);
      const id = this.attach(secure, raw, transport, listenAddr, 'tls');
      if (tlsContext.requestCert && log.level >= 2) {
        const subject = peerSubject(secure);
        if (subject !== null) log.line('<' + id + ' TLS client certificate subject: ' + subject);
      }
    });
  }

  /**
   * A counted client socket becomes a Connection (named after the raw socket's peer); returns
   * its id. reads: how its bytes arrive (see Connection).
   */
  private attach(socket: net.Socket, raw: net.Socket, transport: Transport, listenAddr: string, reads: ReadPath): number {
    const ctx = this.ctx;
    const id = this.allocateId();
    const info: ConnInfo = { id, transport, peer: peerName(raw, transport), listenAddr };
    const conn = new Connection(this, socket, new Session(ctx, info, FRONT_ENDS), reads);
    this.conns.add(conn);
    const table = ctx.wide.connTable;
    if (table !== null) conn.tableSlot = table.claim(id, ctx.wide.thread, info.peer, listenAddr);
    if (ctx.watch.wantsConnEvents) conn.logConnEvent(true);
    if (ctx.log.level >= 2) {
      switch (ctx.settings.bindingProtocol) {
        case 'auto':
          ctx.log.line('<' + id + ' new auto-negotiating client connection');
          break;
        case 'ascii':
          ctx.log.line('<' + id + ' new ascii client connection.');
          break;
        case 'binary':
          ctx.log.line('<' + id + ' new binary client connection.');
          break;
      }
    }
    return id;
  }

  /** Called once per connection when its socket has closed. */
  onClosed(conn: Connection): void {
    if (!this.conns.delete(conn)) return;
    this.releaseSlot();
  }

  /**
   * A client slot is free again: the next socket waiting here (maxconns_fast off) takes it, or,
   * when none waits here but some wait in other threads, they are told.
   */
  private releaseSlot(): void {
    const wide = this.ctx.wide;
    wide.releaseClientSlot();
    if (this.waiting.length > 0) this.admitWaiting();
    else if (this.slotChannel !== null && wide.parkedCount > 0) this.slotChannel.postMessage(0);
  }

  /** Parked sockets take the slots free now, in arrival order. */
  private admitWaiting(): void {
    const wide = this.ctx.wide;
    while (this.waiting.length > 0 && !this.isClosing) {
      const next = this.waiting[0]!;
      if (!next.socket.destroyed && !wide.takeClientSlot(this.ctx.settings.maxConnections)) return;
      this.waiting.shift();
      wide.addParked(-1);
      if (next.socket.destroyed) continue;
      next.socket.off('error', ignore);
      this.start(next.socket, next.transport, next.listenAddr, next.isStaticRead, next.tlsContext);
      next.socket.resume();
    }
  }

  /**
   * Stops new connections. graceful: every connection gets its queued replies and a FIN, and
   * up to waitMs to go; then (or at once when not graceful) the rest are destroyed.
   */
  async closeAll(graceful: boolean, waitMs: number): Promise<void> {
    this.isClosing = true;
    this.slotChannel?.close();
    for (const w of this.waiting) w.socket.destroy();
    this.ctx.wide.addParked(-this.waiting.length);
    this.waiting.length = 0;
    for (const raw of [...this.handshaking]) raw.destroy();
    const conns = [...this.conns];
    if (graceful) {
      const closed = conns.map((c) => c.closed);
      for (const c of conns) c.endGracefully();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      });
      await Promise.race([Promise.all(closed), timeout]);
      clearTimeout(timer);
    }
    for (const c of this.conns) c.destroy();
  }
}

function ignore(): void {}

/**
 * Whether the client's certificate passed OpenSSL's verification against ssl_ca_cert. Only
 * tls.Server sets `authorized`; a TLSSocket wrapped by hand asks its TLSWrap handle (`ssl`, the
 * same call tls.Server makes). Without that handle the answer is no: a refusal, never a pass.
 */
function isPeerVerified(secure: tls.TLSSocket): boolean {
  const handle = (secure as unknown as { ssl?: { verifyError?: () => Error | null } }).ssl;
  if (handle === undefined || typeof handle.verifyError !== 'function') return false;
  return handle.verifyError() === null;
}

/** `tcp:127.0.0.1:49862`, `tcp6:[::1]:33770`; a unix client is `?:<AF 0>` (memcached's words). */
function peerName(socket: net.Socket, transport: Transport): string {
  if (transport === 'unix') return '?:<AF 0>';
  const addr = socket.remoteAddress ?? '?';
  if (socket.remoteFamily === 'IPv6') return 'tcp6:[' + addr + ']:' + (socket.remotePort ?? 0);
  return 'tcp:' + addr + ':' + (socket.remotePort ?? 0);
}

/** One client connection; a `watch` on it writes its log lines through it (WatchSink). */
export class Connection implements ReadTarget, WatchSink {
  readonly hub: ConnectionHub;
  readonly socket: net.Socket;
  readonly session: Session;
  private readonly writer: SocketWriter;
  /** Resolves when the socket has closed and the connection is forgotten. */
  readonly closed: Promise<void>;
  /** Replies queued in the socket passed OUT_PAUSE_BYTES: not read until they drain. */
  private isPaused: boolean;
  /** The session waits for an authentication attempt: nothing read, nothing written. */
  private isWaitingAuth: boolean;
  /** Yielded with INPUT_HOLD_BYTES or more unparsed: not read until the backlog is parsed. */
  private isInputHeld: boolean;
  /** Whether the socket is being read (the last pause/resume done by syncReading). */
  private isReading: boolean;
  /** Closing: the socket is destroyed once the queued replies have left. */
  private isClosingAfterFlush: boolean;
  private isResumeScheduled: boolean;
  private isEnding: boolean;
  private isEof: boolean;
  private isGone: boolean;
  /** A TLSSocket: closing sends close_notify first. */
  private readonly isTls: boolean;
  private resolveClosed: () => void;
  /** With -t N: this connection's record in the server-wide table (`stats conns`), else -1. */
  tableSlot: number;

  /**
   * reads: 'static', a socket built by static-read.ts; 'data', an ordinary socket's 'data'
   * events; 'tls', a TLSSocket after its handshake (static reads when static-read.ts can,
   * else 'data'), written through its stream (its handle is not the kernel's socket).
   */
  constructor(hub: ConnectionHub, socket: net.Socket, session: Session, reads: ReadPath) {
    const isTls = reads === 'tls';
    this.hub = hub;
    this.socket = socket;
    this.session = session;
    this.writer = new SocketWriter(socket, () => this.onDrain(), !isTls);
    this.isPaused = false;
    this.isWaitingAuth = false;
    this.isInputHeld = false;
    this.isReading = true;
    this.isClosingAfterFlush = false;
    this.isResumeScheduled = false;
    this.isEnding = false;
    this.isEof = false;
    this.isGone = false;
    this.isTls = isTls;
    this.tableSlot = -1;
    this.resolveClosed = ignore;
    this.closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
    const ctx = session.ctx;
    ctx.sessions.add(session);
    session.onUnpark = () => this.onUnparked();
    // Large values go out as pinned views of their slab pages (no copy); this connection
    // releases the pins once the socket holds no queued bytes (flush, drain) or on close.
    session.out.pinReleaser = ctx.store;
    session.watchSink = this;
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    const idleSec = ctx.settings.idleTimeoutSec;
    if (idleSec > 0) {
      // a listener of its own: setTimeout(ms, callback) would listen once, and a re-armed timer
      // would then fire to nobody
      socket.on('timeout', () => this.onIdleTimer(idleSec));
      socket.setTimeout(idleSec * 1000);
    }
    if (reads === 'static') setReadTarget(socket, this);
    else if (!isTls || !readTlsStatically(socket, this)) socket.on('data', (chunk: Buffer) => this.onBytes(chunk, chunk.length));
    else if (socket.readableLength > 0) {
      // decrypted before the switch (not expected: 'secure' comes before any application byte)
      const early = socket.read() as Buffer;
      this.onBytes(early, early.length);
    }
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.onDrain());
    socket.on('error', ignore); // ECONNRESET and friends: 'close' follows
    socket.on('close', () => this.onClose());
  }

  /**
   * -o idle_timeout: Node's socket timer fired. memcached kicks only connections waiting for a
   * command: one still sending replies (direct writes do not refresh Node's timer), a watcher
   * (no longer read for commands) and one waiting on its own authentication attempt get another
   * period. Reads do not refresh the timer either (static-read.ts): memcached's rule decides, a
   * connection is idle once its last command is more than idle_timeout seconds old.
   */
  private onIdleTimer(idleSec: number): void {
    const session = this.session;
    if (this.writer.queuedBytes > 0 || this.isPaused || this.isWaitingAuth || session.watcher !== null) {
      this.socket.setTimeout(idleSec * 1000);
      return;
    }
    const ctx = session.ctx;
    const idleFor = ctx.store.now() - session.lastCommandTime;
    if (idleFor <= idleSec) {
      this.socket.setTimeout((idleSec + 1 - idleFor) * 1000);
      return;
    }
    ctx.counters.conns_closed_idle++;
    session.closeReason = CloseReason.IdleTimeout;
    this.destroy();
  }

  /** static-read.ts: a large value in progress is read straight into the item. */
  nextReadBuffer(): Buffer | null {
    if (this.isEnding || this.isGone) return null;
    let view: Buffer | null;
    try {
      view = this.session.nextReadBuffer();
    } catch (e: unknown) {
      this.fail(e); // a bug: never let it escape into Node's read callback
      return null;
    }
    // (asked after every read, even one that made this connection destroy its socket)
    return view !== null && this.socket.destroyed ? null : view;
  }

  /** Bytes buf[0, len) arrived; buf may be shared and reused once this returns. */
  onBytes(buf: Buffer, len: number): void {
    if (this.isEnding || this.isGone) return; // closing: input is read and dropped
    const session = this.session;
    let action: SessionAction;
    try {
      action = session.onData(buf, len);
      // -R: a yield is for fairness between connections. With no other client connection
      // there is nobody to yield to, so the batch carries on at once and its replies still go
      // out in one write (a yield because the replies passed OUT_YIELD_BYTES is honoured).
      while (
        session.hasYielded &&
        action === SessionAction.Continue &&
        this.hub.ctx.wide.clientCount === 1 &&
        !session.isParked &&
        session.out.length < OUT_YIELD_BYTES
      ) {
        action = session.resume();
      }
    } catch (e: unknown) {
      this.fail(e);
      return;
    }
    this.afterBatch(action);
  }

  /** After onData or resume: write the batch's replies, then close / yield / pause as asked. */
  private afterBatch(action: SessionAction): void {
    if (this.tableSlot >= 0) this.hub.ctx.wide.connTable!.update(this.tableSlot, this.session.stateName, this.session.lastCommandTime);
    if (this.session.isParked && action === SessionAction.Continue) {
      // An authentication attempt is pending (protocol/auth-throttle.ts): its reply and any
      // before it go out together when it is over; read nothing meanwhile.
      if (!this.isWaitingAuth) {
        this.isWaitingAuth = true;
        this.syncReading();
      }
      return;
    }
    if (action === SessionAction.CloseNow) {
      this.session.out.take(); // nothing more is written
      this.destroy();
      return;
    }
    this.flush();
    if (action === SessionAction.CloseAfterFlush) {
      this.closeAfterFlush();
      return;
    }
    const session = this.session;
    const isHeld = session.hasYielded && session.pendingInputBytes >= INPUT_HOLD_BYTES;
    if (isHeld !== this.isInputHeld) {
      this.isInputHeld = isHeld;
      this.syncReading();
    }
    if (this.writer.queuedBytes > OUT_PAUSE_BYTES && !this.isPaused) {
      this.isPaused = true;
      session.ctx.counters.out_buffer_pauses++;
      this.syncReading();
      return;
    }
    if (this.session.hasYielded) this.scheduleResume();
    else if (this.isEof) this.end();
  }

  /** Session.unpark(): the attempt's reply is queued; carry on as after a batch. */
  private onUnparked(): void {
    if (!this.isWaitingAuth) return;
    this.isWaitingAuth = false;
    if (this.isGone || this.isEnding) return;
    this.syncReading();
    this.afterBatch(SessionAction.Continue);
  }

  /** Reads the socket unless replies are queued, a reply is delayed, or the backlog is full. */
  private syncReading(): void {
    const shouldRead = !this.isPaused && !this.isWaitingAuth && !this.isInputHeld;
    if (shouldRead === this.isReading) return;
    this.isReading = shouldRead;
    if (shouldRead) this.socket.resume();
    else this.socket.pause();
  }

  private flush(): void {
    const out = this.session.out;
    const bytes = out.length;
    if (bytes === 0) return;
    const writer = this.writer;
    const one = out.takeSingle();
    if (one !== null) {
      writer.write(one);
    } else {
      const parts = out.take();
      if (parts === null) return;
      writer.writeMany(parts);
    }
    this.session.ctx.counters.bytes_written += bytes;
    // Nothing queued in the socket: the kernel has copied every byte handed out so far, so
    // the reply chunks can be filled again (no fresh chunk per batch, no garbage).
    if (writer.queuedBytes === 0) out.recycle();
  }

  private scheduleResume(): void {
    if (this.isResumeScheduled || this.isPaused || this.isGone) return;
    this.isResumeScheduled = true;
    setImmediate(() => {
      this.isResumeScheduled = false;
      if (this.isGone || this.isEnding || this.isPaused) return;
      let action: SessionAction;
      try {
        action = this.session.resume();
      } catch (e: unknown) {
        this.fail(e);
        return;
      }
      this.afterBatch(action);
    });
  }

  private onDrain(): void {
    if (this.isGone || this.writer.queuedBytes !== 0) return;
    this.session.out.recycle();
    if (this.isClosingAfterFlush) {
      this.destroy();
      return;
    }
    this.session.watcher?.flush(); // log lines that waited for the socket
    if (!this.isPaused) return;
    this.isPaused = false;
    this.syncReading();
    if (this.isWaitingAuth) return; // onUnparked carries on
    if (this.session.hasYielded) this.scheduleResume();
    else if (this.isEof) this.end();
  }

  /** The peer closed its side: finish what is buffered (a -R yield), then close ours. */
  private onEnd(): void {
    const session = this.session;
    if (session.watcher !== null) {
      // memcached's logger closes a watcher as soon as it reads EOF from it
      this.destroy();
      return;
    }
    if (session.action === SessionAction.Continue && !this.isEnding) session.closeReason = CloseReason.Normal;
    this.isEof = true;
    if (!this.session.hasYielded && !this.isPaused && !this.isResumeScheduled && !this.isWaitingAuth) this.end();
  }

  /** A bug while handling this connection's bytes: log it, drop the connection, keep serving. */
  private fail(e: unknown): void {
    const ctx = this.session.ctx;
    const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
    ctx.log.error('<' + this.session.conn.id + ' internal error, closing the connection: ' + detail);
    ctx.counters.conns_closed_protocol_error++;
    this.session.out.take();
    this.destroy();
  }

  /**
   * memcached's conn_closing after a write: once the queued replies have left, the descriptor
   * is closed (not half-closed), so a client that goes on writing gets a reset and reconnects.
   */
  private closeAfterFlush(): void {
    if (this.isEnding || this.isGone) return;
    this.isEnding = true;
    this.writer.close();
    if (this.writer.queuedBytes === 0) {
      this.destroy();
      return;
    }
    this.isClosingAfterFlush = true;
    setTimeout(() => this.destroy(), CLOSE_FLUSH_MS).unref();
  }

  /**
   * The peer sent FIN, or the server shuts down: queued replies go out, then our FIN; the
   * socket is destroyed CLOSE_FLUSH_MS later if the peer has not closed by then.
   */
  private end(): void {
    if (this.isEnding || this.isGone) return;
    this.isEnding = true;
    this.writer.close();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_FLUSH_MS).unref();
  }

  /** Shutdown: queued replies go out, then FIN. */
  endGracefully(): void {
    if (this.isGone) return;
    this.isPaused = false;
    this.isWaitingAuth = false;
    this.isInputHeld = false;
    this.syncReading();
    this.end();
  }

  /** WatchSink: bytes handed to the socket and not yet taken by the kernel. */
  get queuedBytes(): number {
    return this.writer.queuedBytes;
  }

  /** WatchSink: log lines go out through the same writer as replies, after them. */
  writeWatch(buf: Buffer): void {
    this.writer.write(buf);
  }

  /** conn_new / conn_close for watchers: the peer as memcached's inet_ntop prints it. */
  logConnEvent(isNew: boolean): void {
    const session = this.session;
    const watch = session.ctx.watch;
    const id = session.conn.id;
    let transport: ConnTransport = ConnTransport.Local;
    let rip = 'unix';
    let rport = 0;
    if (session.conn.transport !== 'unix') {
      transport = ConnTransport.Tcp;
      rip = this.socket.remoteAddress ?? '';
      // a dual-stack listener reports IPv4 peers mapped; memcached's v4 sockets see them plain
      if (rip.startsWith('::ffff:') && rip.includes('.')) rip = rip.slice(7);
      rport = this.socket.remotePort ?? 0;
    }
    if (isNew) watch.connNew(id, transport, rip, rport);
    else watch.connClose(id, transport, rip, rport, session.closeReason);
  }

  destroy(): void {
    if (this.isGone) return;
    this.writer.close();
    if (this.isTls && !this.socket.destroyed) {
      // memcached's SSL_shutdown before close: a close_notify alert after the queued records
      this.isEnding = true;
      this.socket.destroySoon();
      setTimeout(() => this.socket.destroy(), CLOSE_FLUSH_MS).unref();
      return;
    }
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.isGone) return;
    this.isGone = true;
    this.writer.close();
    const session = this.session;
    const ctx = session.ctx;
    ctx.sessions.delete(session);
    if (this.tableSlot >= 0) ctx.wide.connTable!.release(this.tableSlot);
    session.out.releaseAll(); // the socket is closed: it holds none of the pinned bytes now
    try {
      session.onClose();
    } catch (e: unknown) {
      ctx.log.error('<' + session.conn.id + ' error while closing: ' + (e instanceof Error ? (e.stack ?? e.message) : String(e)));
    }
    if (ctx.watch.wantsConnEvents) this.logConnEvent(false);
    if (ctx.log.level >= 2) ctx.log.line('<' + session.conn.id + ' connection closed.');
    this.hub.onClosed(this);
    this.resolveClosed();
  }
}
