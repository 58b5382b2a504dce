// The classic text front end: one per connection, it reads command lines and value blocks
// (into the allocated item, through the session's ValueSink), runs the -Y ascii-auth gate,
// keeps memcached's input bounds, and holds the per-connection state the commands use
// (TextCommandContext). Commands are dispatched by commands.ts; meta verbs by meta/commands.ts.
//
// States, as memcached's conn states: a command line (conn_parse_cmd), a value block being
// read into an item (conn_nread) or thrown away (conn_swallow), the -Y pre-auth reader
// (try_read_command_asciiauth), and a `watch` connection that no longer reads commands.

import type { Session } from '../session.js';
import { SessionAction, type ProtocolReader, type ValueConsumer } from '../reader-contract.js';
import type { ItemRef } from '../../store/store.js';
import type { ServerContext } from '../../server-context.js';
import type { MetaSetState } from '../meta/commands.js';
import type { TextCommandContext } from './command-context.js';
import { dispatchCommand } from './commands.js';
import { getKeys } from './retrieval-commands.js';
import { runAuthAttempt } from '../auth-attempt.js';
import { safeStrtoul } from '../../common/c-numbers.js';
import {
  ERR_AUTH_FAILURE,
  ERR_AUTH_TERMINATION,
  ERR_AUTH_TOKEN_FORMAT,
  ERR_UNAUTHENTICATED,
  REPLY_STORED,
} from '../replies.js';

/** A partial line (no \n yet) longer than this closes the connection, unless it is a get. */
export const MAX_PARTIAL_LINE = 2048;
/** While the -Y value token is awaited: memcached's fixed read buffer. */
const MAX_AUTH_PENDING = 16 * 1024;

const CH_LF = 0x0a;
const CH_CR = 0x0d;
const CH_SP = 0x20;
/**
 * Lines are looked for byte by byte this far (noting a NUL on the way), then by indexOf: for
 * the usual short line the loop costs less than the native call, and it scans the line once.
 */
const LINE_SCAN_MAX = 64;

export class TextFrontEnd implements ProtocolReader, TextCommandContext {
  readonly session: Session;
  readonly ctx: ServerContext;
  /** The classic storage commands' value consumer, made on first use (storage-commands.ts). */
  classicConsumer: ValueConsumer<Session> | null;
  /** What a pending `ms` reply needs, made on the first ms (meta/commands.ts). */
  metaSetState: MetaSetState | null;

  /** noreply seen on the current command (memcached's c->noreply, reset per line). */
  noreply!: boolean;
  /**
   * out.length at memcached's last flush point in this batch (after a get, mn, a -R yield, or
   * when input ran dry). A get with a too-long key drops the replies queued since then, as memcached does.
   */
  flushMark!: number;
  /** `watch`: the connection only streams (here: nothing) and reads no more commands. */
  isWatching: boolean;

  /** Finishes the command whose value block is being read (session.value); null when none. */
  private valueConsumer!: ValueConsumer<Session> | null;

  // Partial-line bound, decided when a line is incomplete.
  private pendingLimit!: number;
  /** Replies held back while a value block is incomplete (see holdOutput). */
  private held!: Buffer | null;

  // A multiget suspended past MULTIGET_YIELD_BYTES (retrieval-commands.ts): the rest of its
  // line stays in the input and the next read() continues it with these arguments.
  private isGetSuspended!: boolean;
  private suspendedAt!: number; // buffer offset where the line was left, during one read()
  private getReturnsCas!: boolean;
  private getTouches!: boolean;
  private getExptime!: number;

  // -Y: the `set` line has been read; its data (user pass\r\n) is awaited.
  private authValueBytes!: number;
  private authReplyStart!: number;
  private authReplyEnd!: number;

  constructor(session: Session) {
    this.session = session;
    this.ctx = session.ctx;
    this.classicConsumer = null;
    this.metaSetState = null;
    this.isWatching = false;
    this.reset();
  }

  /** Called by getKeys: stop this get line at buffer offset p; the next read() resumes it. */
  suspendGet(p: number, returnCas: boolean, shouldTouch: boolean, exptime: number): void {
    this.isGetSuspended = true;
    this.suspendedAt = p;
    this.getReturnsCas = returnCas;
    this.getTouches = shouldTouch;
    this.getExptime = exptime;
  }

  /** Forgets a half-read request (UDP: every datagram starts afresh). */
  reset(): void {
    this.isGetSuspended = false;
    this.suspendedAt = -1;
    this.getReturnsCas = false;
    this.getTouches = false;
    this.getExptime = 0;
    this.noreply = false;
    this.flushMark = 0;
    this.valueConsumer = null;
    this.pendingLimit = MAX_PARTIAL_LINE;
    this.held = null;
    this.authValueBytes = -1;
    this.authReplyStart = -1;
    this.authReplyEnd = -1;
  }

  /** A command's value block of len bytes and \r\n follows: into ref, or swallowed when ref < 0. */
  expectValue(ref: ItemRef, len: number, consumer: ValueConsumer<Session>): void {
    this.valueConsumer = consumer;
    if (ref < 0) this.session.value.swallow(len, true);
    else this.session.value.start(ref, len, true);
  }

  /** A -R yield is a flush point: a later too-long-key get no longer culls what came before. */
  onResume(): void {
    this.flushMark = this.session.out.length;
  }

  /** memcached writes its replies out here (after a get, at mn): they can no longer be culled. */
  markFlushPoint(): void {
    this.flushMark = this.session.out.length;
    this.session.buffers?.releaseResponses();
  }

  maxPendingBytes(): number {
    if (this.authValueBytes >= 0) return MAX_AUTH_PENDING;
    return this.pendingLimit;
  }

  read(buf: Buffer, start: number, end: number): number {
    const session = this.session;
    // A batch starts with an empty reply buffer: nothing queued is left to cull.
    if (session.out.length === 0) this.flushMark = 0;
    if (session.value.isActive) return this.readValue(buf, start, end);
    if (this.isWatching) return end - start;
    if (!session.isAuthenticated && this.ctx.asciiAuth !== null) return this.readAuth(buf, start, end);

    let nl = -1;
    let nul = -1; // the first NUL before nl
    const scanEnd = end - start > LINE_SCAN_MAX ? start + LINE_SCAN_MAX : end;
    for (let i = start; i < scanEnd; i++) {
      const b = buf[i]!;
      if (b === CH_LF) {
        nl = i;
        break;
      }
      if (b === 0 && nul < 0) nul = i;
    }
    if (nl < 0 && scanEnd < end) {
      nl = buf.indexOf(CH_LF, scanEnd);
      if (nl >= end) nl = -1;
      for (let i = scanEnd; nul < 0 && i < nl; i++) if (buf[i] === 0) nul = i;
    }
    if (nl < 0) {
      this.notePartialLine(buf, start, end);
      return 0;
    }
    let lineEnd = nl;
    // memcached strips a \r only when the line has at least two bytes before the \n.
    if (nl - start > 1 && buf[nl - 1] === CH_CR) lineEnd = nl - 1;
    // The C tokenizer stops at a NUL byte: the rest of the line is ignored.
    if (nul >= 0 && nul < lineEnd) lineEnd = nul;
    if (this.isGetSuspended) {
      // The rest of a multiget line: the same command, from the next key on.
      this.isGetSuspended = false;
      getKeys(this, buf, start, lineEnd, this.getReturnsCas, this.getTouches, this.getExptime, true);
    } else {
      const buffers = session.buffers;
      if (buffers !== null && !buffers.startResponse()) {
        // memcached's conn_closing: what it had not flushed yet is lost.
        session.out.truncateTo(this.flushMark);
        session.action = SessionAction.CloseAfterFlush;
        return nl + 1 - start;
      }
      session.lastCommandTime = this.ctx.store.now();
      this.noreply = false;
      if (this.ctx.log.level >= 2) this.ctx.log.line('<' + session.conn.id + ' ' + buf.toString('latin1', start, lineEnd));
      session.stateName = 'conn_parse_cmd';
      dispatchCommand(this, buf, start, lineEnd);
    }
    if (this.isGetSuspended) {
      const used = this.suspendedAt - start;
      this.suspendedAt = -1;
      return used;
    }
    let used = nl + 1 - start;
    if (session.value.isActive) {
      // The command announced a value block: read what has already arrived into the item.
      session.stateName = session.value.isSwallowing ? 'conn_swallow' : 'conn_nread';
      if (nl + 1 < end) used += this.readValue(buf, nl + 1, end);
      else this.holdOutput();
    } else {
      session.stateName = 'conn_new_cmd';
    }
    return used;
  }

  readInPlace(buf: Buffer, len: number): void {
    this.readValue(buf, 0, len, true);
  }

  /** Feeds the value block (see readInPlace for isInPlace); finishes the command once complete. */
  private readValue(buf: Buffer, start: number, end: number, isInPlace = false): number {
    const value = this.session.value;
    const used = value.consume(buf, start, end, isInPlace);
    if (value.isComplete) this.finishValue();
    else this.holdOutput();
    return used;
  }

  private finishValue(): void {
    const session = this.session;
    const isTrailerOk = session.value.isTrailerOk;
    const ref = session.value.finish();
    const consumer = this.valueConsumer;
    this.valueConsumer = null;
    session.stateName = 'conn_new_cmd';
    if (this.held !== null) {
      session.out.append(this.held);
      this.held = null;
    }
    if (consumer !== null) consumer.finishValue(session, ref, isTrailerOk);
  }

  /**
   * The input ran out inside a value block. memcached does not flush while it reads a value
   * (conn_nread / conn_swallow), so replies queued since its last flush wait for the value to
   * complete; we keep them aside so the socket sees the same bytes at the same moments.
   */
  private holdOutput(): void {
    const out = this.session.out;
    if (out.length <= this.flushMark) return;
    const parts = out.take();
    if (parts === null) return;
    const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    out.appendBytes(all, 0, this.flushMark);
    const tail = all.subarray(this.flushMark);
    this.held = this.held === null ? Buffer.from(tail) : Buffer.concat([this.held, tail]);
  }

  /** Decides how long an incomplete line may grow (memcached: only get/gets may pass 2048). */
  private notePartialLine(buf: Buffer, start: number, end: number): void {
    let i = start;
    while (i < end && buf[i] === CH_SP && i - start <= 100) i++;
    if (i - start <= 100 && isMultiGetPrefix(buf, i, end)) {
      this.pendingLimit = this.ctx.settings.multigetLineMax;
    } else {
      this.pendingLimit = MAX_PARTIAL_LINE;
    }
  }

  // --- -Y ascii authentication (memcached's try_read_command_asciiauth) ---------------------

  private readAuth(buf: Buffer, start: number, end: number): number {
    const session = this.session;
    let pos = start;
    if (this.authValueBytes < 0) {
      if (end - start < 2) {
        this.pendingLimit = MAX_PARTIAL_LINE;
        return 0;
      }
      const nl = buf.indexOf(CH_LF, start);
      if (nl < 0 || nl >= end) {
        this.pendingLimit = MAX_PARTIAL_LINE;
        return 0;
      }
      // Looking for `set <key> <flags> <exptime> <bytes>`: only the size matters.
      const t = session.tokens;
      let lineEnd = nl;
      for (let i = start; i < lineEnd; i++) {
        if (buf[i] === 0) {
          lineEnd = i;
          break;
        }
      }
      const n = t.tokenize(buf, start, lineEnd);
      pos = nl + 1;
      let size = NaN;
      if (n >= 5 && t.is(0, 'set')) size = safeStrtoul(buf, t.start[4]!, t.end[4]!);
      if (Number.isNaN(size)) {
        this.authReply(ERR_UNAUTHENTICATED);
        return pos - start;
      }
      this.authValueBytes = size + 2;
    }
    if (end - pos < this.authValueBytes) return pos - start; // wait for the whole token
    const valueStart = pos;
    const valueEnd = pos + this.authValueBytes;
    this.authValueBytes = -1;
    pos = valueEnd;
    if (valueEnd - valueStart < 2 || buf[valueEnd - 2] !== CH_CR || buf[valueEnd - 1] !== CH_LF) {
      this.authReply(ERR_AUTH_TERMINATION);
      return pos - start;
    }
    const auth = this.ctx.asciiAuth!;
    if (!hasTwoTokens(buf, valueStart, valueEnd - 2)) {
      this.authReply(ERR_AUTH_TOKEN_FORMAT); // not an attempt: not counted, never delayed
      return pos - start;
    }
    // The check may run later (auth-throttle.ts): it gets its own copy of the token.
    const token = Buffer.from(buf.subarray(valueStart, valueEnd - 2));
    const counters = this.ctx.counters;
    runAuthAttempt(
      session,
      authUser(token, 0, token.length),
      () => auth.check(token, 0, token.length) === 'ok',
      (ok) => {
        token.fill(0);
        counters.auth_cmds++;
        if (ok) {
          this.authReply(REPLY_STORED);
          session.isAuthenticated = true;
        } else {
          counters.auth_errors++;
          this.authReply(ERR_AUTH_FAILURE);
        }
      },
    );
    return pos - start;
  }

  /**
   * memcached reuses one response object for pre-auth replies until it is flushed, so within
   * one batch only the last of consecutive pre-auth replies reaches the client.
   */
  private authReply(line: Buffer): void {
    const out = this.session.out;
    if (out.length > 0 && out.length === this.authReplyEnd && this.authReplyStart >= 0) {
      out.truncateTo(this.authReplyStart);
    }
    if (this.ctx.log.level >= 2) {
      this.ctx.log.line('>' + this.session.conn.id + ' ' + line.toString('latin1', 0, line.length - 2));
    }
    this.authReplyStart = out.length;
    out.append(line);
    this.authReplyEnd = out.length;
  }

  /** quit, HTTP/ lines: close once the replies so far are written. */
  close(): void {
    this.session.action = SessionAction.CloseAfterFlush;
  }
}

/** The token has a user and a password (memcached's tokenizer: up to a NUL, split on spaces). */
function hasTwoTokens(buf: Buffer, start: number, end: number): boolean {
  let p = start;
  while (p < end && buf[p] !== 0) p++;
  end = p;
  p = start;
  while (p < end && buf[p] === CH_SP) p++;
  if (p === end) return false;
  while (p < end && buf[p] !== CH_SP) p++;
  while (p < end && buf[p] === CH_SP) p++;
  return p < end;
}

/** The user part of a -Y `user pass` token, for the failure log line (never the password). */
function authUser(buf: Buffer, start: number, end: number): string {
  let sp = start;
  while (sp < end && buf[sp] !== CH_SP) sp++;
  return buf.toString('latin1', start, sp);
}

function isMultiGetPrefix(buf: Buffer, i: number, end: number): boolean {
  // `get `, `gets `, `gat `, `gats ` (memcached itself allows only get/gets; gat/gats lines
  // are bounded the same way here).
  if (end - i < 4 || buf[i] !== 0x67) return false;
  const b1 = buf[i + 1];
  const b2 = buf[i + 2];
  if (b1 === 0x65 && b2 === 0x74) {
    // get
  } else if (b1 === 0x61 && b2 === 0x74) {
    // gat
  } else {
    return false;
  }
  const b3 = buf[i + 3];
  if (b3 === CH_SP) return true;
  return b3 === 0x73 && end - i >= 5 && buf[i + 4] === CH_SP;
}

export function createTextFrontEnd(session: Session): ProtocolReader {
  return new TextFrontEnd(session);
}
