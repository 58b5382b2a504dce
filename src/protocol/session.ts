// One client connection's protocol state: the input cursor, the reader slot (negotiate ->
// text | binary), the reply buffer, and reused per-request structures. net/ feeds bytes in
// with onData() and writes out.take() after each batch; it knows nothing of commands.

import type { ServerContext } from '../server-context.js';
import type { ConnInfo } from '../conn-info.js';
import type { ItemView } from '../store/store.js';
import { SessionAction, type ProtocolReader } from './reader-contract.js';
import { ValueSink } from './value-sink.js';
import { OutBuffer } from './out-buffer.js';
import type { Tokens } from './text/tokenizer.js';
import { REQUEST_TOKENS, REQUEST_VIEW } from './request-scratch.js';
import { ConnBuffers } from './conn-buffers.js';
import { copyRange } from '../common/byte-copy.js';
import { CloseReason, type Watcher, type WatchSink } from '../log/watch.js';

/**
 * The front ends a session switches between (-B, and the negotiation under -B auto). Handed in
 * by whoever opens the session (front-ends.ts has the real ones), so that this module does not
 * import the front ends, which import it.
 */
export interface FrontEnds {
  text(session: Session): ProtocolReader;
  binary(session: Session): ProtocolReader;
}

const INPUT_INITIAL_BYTES = 16 * 1024;
/** Replies queued in one batch past this make the session yield (see run()). */
export const OUT_YIELD_BYTES = 1024 * 1024;

export class Session {
  readonly ctx: ServerContext;
  readonly conn: ConnInfo;
  /** conn.id, kept here: read on every batch (watch's cfd=), without a visit to conn. */
  private readonly connId: number;
  readonly out: OutBuffer;
  /** Filled by lookups: this thread's one view (request-scratch.ts). */
  readonly view: ItemView;
  /** The text and meta front ends' token offsets: this thread's one set (request-scratch.ts). */
  readonly tokens: Tokens;
  /** The value block being read (set, ms, binary SET...): started and fed by the front end. */
  readonly value: ValueSink;
  reader: ProtocolReader;
  action: SessionAction;
  /** -S / -Y gate: false until authenticated when auth is on. */
  isAuthenticated: boolean;
  /** Server-relative seconds of the last command, for `stats conns` and idle_timeout. */
  lastCommandTime: number;
  /** memcached's conn state name for `stats conns`. */
  stateName: string;
  /** True when the last onData/resume stopped at -R with input left; net/ calls resume() later. */
  hasYielded: boolean;
  /** Why the connection closes, for watchers' conn_close lines (memcached's close_reason). */
  closeReason: CloseReason;
  /** The socket a `watch` on this connection writes to; null where watching is impossible (UDP). */
  watchSink: WatchSink | null;
  /** Set by `watch`: this connection now only receives log lines. */
  watcher: Watcher | null;
  /**
   * Waiting for an authentication attempt (a password check on the thread pool, a throttle
   * delay: auth-throttle.ts): nothing more is handled, and net/ reads nothing and writes
   * nothing, until unpark().
   */
  isParked: boolean;
  /** net/'s callback for unpark() (not called while the session is handling bytes). */
  onUnpark: (() => void) | null;
  /** The connection is gone (onClose): pending attempts are dropped. */
  isClosed: boolean;
  /** -o read_buf_mem_limit: this connection's read buffer and response objects; else null. */
  readonly buffers: ConnBuffers | null;

  // Input cursor: unconsumed bytes live in inBuf[inStart, inEnd).
  private inBuf: Buffer;
  private inStart: number;
  private inEnd: number;
  /** 1 when this turn began with a fresh read at a command line (see onData), else 0. */
  private turnExtra: number;
  private textFrontEnd: ProtocolReader | null;
  private binaryFrontEnd: ProtocolReader | null;
  private readonly frontEnds: FrontEnds;
  /** The buffer nextReadBuffer() handed out for the next read, if any. */
  private directView: Buffer | null;
  /** Inside run(): an unpark() now is seen by run() itself, not reported to net/. */
  private isRunning: boolean;

  constructor(ctx: ServerContext, conn: ConnInfo, frontEnds: FrontEnds) {
    this.ctx = ctx;
    this.conn = conn;
    this.connId = conn.id;
    this.frontEnds = frontEnds;
    this.out = new OutBuffer();
    this.view = REQUEST_VIEW;
    this.tokens = REQUEST_TOKENS;
    this.value = new ValueSink(ctx.store);
    this.action = SessionAction.Continue;
    this.isAuthenticated = ctx.sasl === null && ctx.asciiAuth === null;
    this.lastCommandTime = ctx.store.now();
    this.stateName = 'conn_new_cmd';
    this.hasYielded = false;
    this.turnExtra = 0;
    this.closeReason = CloseReason.Error;
    this.watchSink = null;
    this.watcher = null;
    this.isParked = false;
    this.onUnpark = null;
    this.isClosed = false;
    this.isRunning = false;
    // UDP sockets read into memcached's static buffer, outside the budget.
    this.buffers = ctx.bufferBudget !== null && conn.transport !== 'udp' ? new ConnBuffers(ctx.bufferBudget, ctx.counters) : null;
    this.inBuf = EMPTY;
    this.inStart = 0;
    this.inEnd = 0;
    this.textFrontEnd = null;
    this.binaryFrontEnd = null;
    this.directView = null;
    this.reader = this.initialReader();
  }

  private initialReader(): ProtocolReader {
    switch (this.ctx.settings.bindingProtocol) {
      case 'ascii':
        return this.useText();
      case 'binary':
        return this.useBinary();
      case 'auto':
        return new NegotiateReader(this);
    }
  }

  useText(): ProtocolReader {
    if (this.textFrontEnd === null) this.textFrontEnd = this.frontEnds.text(this);
    this.reader = this.textFrontEnd;
    return this.textFrontEnd;
  }

  useBinary(): ProtocolReader {
    if (this.binaryFrontEnd === null) this.binaryFrontEnd = this.frontEnds.binary(this);
    this.reader = this.binaryFrontEnd;
    return this.binaryFrontEnd;
  }

  /** Stops handling requests until unpark() (an authentication attempt is pending). */
  park(): void {
    this.isParked = true;
  }

  /** The pending attempt is over (its reply is in out): net/ writes it and carries on. */
  unpark(): void {
    if (!this.isParked) return;
    this.isParked = false;
    if (!this.isRunning && !this.isClosed) this.onUnpark?.();
  }

  /**
   * Bytes chunk[0, len) arrived (len defaults to the whole chunk). The chunk may be a buffer
   * that net/ reuses for the next read: whatever is not consumed now is copied. Returns what
   * net/ should do after writing out.take().
   */
  onData(chunk: Buffer, len: number = chunk.length): SessionAction {
    this.ctx.counters.bytes_read += len;
    this.ctx.watch.cfd = this.connId; // the cfd= of what this batch logs
    if (this.action !== SessionAction.Continue) return this.action;
    const buffers = this.buffers;
    if (buffers !== null && !buffers.acquireReadBuffer()) {
      // memcached closes a connection it has no read buffer for.
      this.action = SessionAction.CloseNow;
      return this.action;
    }
    if (chunk === this.directView) {
      // Read straight into the item (nextReadBuffer): the bytes are in place already.
      this.directView = null;
      this.reader.readInPlace!(chunk, len);
      if (buffers !== null) this.settleBuffers(buffers);
      return this.action;
    }
    // memcached counts -R down from conn_new_cmd: a read event that starts at a command line
    // handles reqs_per_event + 1 requests before its first yield, a resumed turn (or one that
    // completes a value block first) reqs_per_event. The binary front end counts every read
    // event as starting at a command line (memcached yields less often there: kept as it was).
    this.turnExtra = this.value.isActive && this.reader === this.textFrontEnd ? 0 : 1;
    if (this.inEnd === this.inStart) {
      // Fast path: parse straight from the socket's chunk, keep only the leftover.
      const used = this.run(chunk, 0, len);
      if (used < len && this.action === SessionAction.Continue) this.keep(chunk, used, len);
    } else {
      this.keep(chunk, 0, len);
      this.runBuffered();
    }
    this.checkPendingBound();
    if (buffers !== null) this.settleBuffers(buffers);
    return this.action;
  }

  /**
   * memcached's conn_waiting, with read_buf_mem_limit: a batch that ran to the end of its input
   * had its replies written, and the read buffer goes back unless a request is half-read.
   */
  private settleBuffers(buffers: ConnBuffers): void {
    if (this.hasYielded) return;
    buffers.releaseResponses();
    if (this.inEnd === this.inStart && !this.value.isActive) buffers.releaseReadBuffer();
  }

  /**
   * net/ asks, after each read, where the next one should land: into the item while a large
   * value is arriving (and nothing else is pending), so its bytes are never copied; null: the
   * usual read buffer. The view is exactly the rest of the value and its \r\n, so a read into
   * it cannot take bytes of the next request.
   */
  nextReadBuffer(): Buffer | null {
    let view: Buffer | null = null;
    if (this.action === SessionAction.Continue && !this.hasYielded && this.inEnd === this.inStart) {
      view = this.value.directTarget(); // null: no large value in progress (nearly always)
    }
    this.directView = view;
    return view;
  }

  /** Continues after a -R yield. */
  resume(): SessionAction {
    this.ctx.watch.cfd = this.connId;
    this.hasYielded = false;
    this.turnExtra = 0;
    // memcached wrote the replies out at the yield.
    this.buffers?.releaseResponses();
    this.reader.onResume?.();
    if (this.action === SessionAction.Continue && this.inEnd > this.inStart) {
      this.runBuffered();
      this.checkPendingBound();
    }
    if (this.buffers !== null) this.settleBuffers(this.buffers);
    return this.action;
  }

  /** Bytes received and not yet consumed. */
  get pendingInputBytes(): number {
    return this.inEnd - this.inStart;
  }

  /** Forgets buffered input and state (UDP: every datagram starts afresh). */
  resetInput(): void {
    this.inStart = 0;
    this.inEnd = 0;
    this.hasYielded = false;
    this.action = SessionAction.Continue;
    this.value.abandon();
    this.textFrontEnd?.reset();
    this.binaryFrontEnd?.reset();
  }

  /** Called by net/ when the connection is gone: frees a half-received item. */
  onClose(): void {
    this.buffers?.close();
    if (this.watcher !== null) {
      this.ctx.watch.remove(this.watcher);
      this.watcher = null;
    }
    this.isClosed = true;
    this.value.abandon();
    if (this.inBuf.length > INPUT_INITIAL_BYTES) this.inBuf = EMPTY;
  }

  private runBuffered(): void {
    const used = this.run(this.inBuf, this.inStart, this.inEnd);
    this.inStart += used;
    if (this.inStart === this.inEnd) {
      this.inStart = 0;
      this.inEnd = 0;
      // A buffer grown for one large request goes back to normal size.
      if (this.inBuf.length > 4 * INPUT_INITIAL_BYTES) this.inBuf = EMPTY;
    }
  }

  /**
   * The read loop: returns bytes consumed of buf[start, end).
   *
   * -R (reqsPerEvent): after that many requests with input left, the session yields
   * (hasYielded, conn_yields++, as memcached). What net/ makes of a yield: with other client
   * connections it writes the replies so far and continues on a later turn (setImmediate), so
   * one deep pipeline cannot starve them; as the only client connection it resumes at once and
   * the whole batch is answered in one write (there is no one to be fair to, and splitting a
   * batch of 100 gets into 5 writes costs 4 extra send calls). A yield because the replies
   * passed OUT_YIELD_BYTES always goes back to net/ (bounded output per connection).
   */
  private run(buf: Buffer, start: number, end: number): number {
    this.isRunning = true;
    const store = this.ctx.store;
    store.beginRun();
    try {
      return this.runLoop(buf, start, end);
    } finally {
      store.endRun();
      this.isRunning = false;
    }
  }

  private runLoop(buf: Buffer, start: number, end: number): number {
    let pos = start;
    let requests = 0;
    const limit = this.ctx.settings.reqsPerEvent + this.turnExtra;
    while (pos < end && this.action === SessionAction.Continue && !this.isParked) {
      const reader = this.reader;
      const n = reader.read(buf, pos, end);
      if (n === 0) {
        if (this.reader !== reader) continue; // negotiated: retry with the new reader
        break;
      }
      pos += n;
      if (this.isParked) break; // an authentication attempt is pending
      // Also yield once a batch's replies pass OUT_YIELD_BYTES: net/ writes them and stops
      // reading from a client that does not read its replies (bounded output per connection).
      const isOutFull = this.out.length >= OUT_YIELD_BYTES;
      if (this.value.valueLeft !== 0) continue; // a request is done only once its value is in
      requests++;
      if (pos === end) {
        // memcached's write of the replies takes one more of its -R turns, so a turn that ends
        // with the input after limit - 1 requests counts a yield too (t/issue_61.t).
        if (requests >= limit - 1) this.ctx.counters.conn_yields++;
      } else if (isOutFull || requests >= limit) {
        if (!isOutFull) this.ctx.counters.conn_yields++; // a yield for output alone is ours
        this.hasYielded = true;
        break;
      }
    }
    // The rest waits for unpark(); net/ then resumes as after a -R yield.
    if (this.isParked && pos < end) this.hasYielded = true;
    return pos - start;
  }

  private keep(src: Buffer, from: number, to: number): void {
    const n = to - from;
    const have = this.inEnd - this.inStart;
    if (this.inBuf.length - this.inEnd < n) {
      if (this.inStart > 0 && this.inBuf.length - have >= n && this.inBuf !== src) {
        copyRange(this.inBuf, this.inStart, this.inBuf, 0, have); // compact in place
      } else {
        let size = this.inBuf.length > 0 ? this.inBuf.length : INPUT_INITIAL_BYTES;
        while (size < have + n) size *= 2;
        const grown = Buffer.allocUnsafe(size);
        copyRange(this.inBuf, this.inStart, grown, 0, have);
        this.inBuf = grown;
      }
      this.inEnd = have;
      this.inStart = 0;
    }
    // (Buffer.copy of part of a buffer allocates a view of it on every call: copyRange does not)
    copyRange(src, from, this.inBuf, this.inEnd, n);
    this.inEnd += n;
  }

  /** A reader waiting for more than it allows closes the connection (bounded input). */
  private checkPendingBound(): void {
    // After a -R yield the input holds whole requests not yet handled, not a partial one;
    // net/ stops reading the socket once that backlog reaches INPUT_HOLD_BYTES (connection.ts).
    if (this.action !== SessionAction.Continue || this.hasYielded) return;
    if (this.inEnd - this.inStart > this.reader.maxPendingBytes()) {
      this.ctx.counters.conns_closed_line_too_long++;
      this.action = SessionAction.CloseNow;
    }
  }
}

const EMPTY = Buffer.alloc(0);

/** -B auto: the first byte decides (0x80 = binary, anything else = text), then swaps itself out. */
class NegotiateReader implements ProtocolReader {
  private readonly session: Session;

  constructor(session: Session) {
    this.session = session;
  }

  read(buf: Buffer, start: number, _end: number): number {
    const s = this.session;
    if (buf[start] === 0x80) {
      if (s.ctx.log.level >= 2) s.ctx.log.line(s.conn.id + ': Client using the binary protocol');
      s.useBinary();
    } else {
      if (s.ctx.log.level >= 2) s.ctx.log.line(s.conn.id + ': Client using the ascii protocol');
      s.useText();
    }
    return 0;
  }

  maxPendingBytes(): number {
    return 0;
  }

  reset(): void {}
}
