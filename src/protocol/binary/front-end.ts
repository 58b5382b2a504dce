// The binary protocol front end: frames requests out of the session's input (24-byte header,
// then extras and key, which must be buffered; the value is streamed straight into the store
// item, or swallowed), validates them in memcached's dispatch_bin_command order, and hands
// each to a command in commands.ts / sasl.ts. Replies go into session.out.

import type { Session } from '../session.js';
import { SessionAction, type ProtocolReader } from '../reader-contract.js';
import { CloseReason } from '../../log/watch.js';
import type { ServerContext } from '../../server-context.js';
import type { OutBuffer } from '../out-buffer.js';
import {
  HEADER_BYTES,
  Magic,
  Opcode,
  Status,
  errorBody,
  hexDumpHeader,
  writeResponseHeader,
} from './header.js';
import { KEY_MAX_LENGTH } from '../../common/limits.js';
import {
  processAppendPrepend,
  processDelete,
  processDelta,
  processFlush,
  processGetOrTouch,
  processStat,
  processUpdate,
  completeUpdate,
} from './commands.js';
import { completeSaslAuth, listSaslMechs, processSaslAuth } from './sasl.js';
import { SaslState } from './sasl-state.js';
import type { BinaryCommandContext } from './command-context.js';

/**
 * memcached reads a request's header, extras and key into its 16 KiB read buffer; one that
 * cannot fit there fills the buffer and the connection is closed without a reply.
 */
export const READ_BUFFER_BYTES = 16384;

// Quiet opcodes and the command each one is a variant of (dispatch_bin_command's first switch).
const BASE_OPCODE = new Uint8Array(256);
const IS_QUIET = new Uint8Array(256);
for (let i = 0; i < 256; i++) BASE_OPCODE[i] = i;
function quiet(q: number, base: number): void {
  BASE_OPCODE[q] = base;
  IS_QUIET[q] = 1;
}
quiet(Opcode.SetQ, Opcode.Set);
quiet(Opcode.AddQ, Opcode.Add);
quiet(Opcode.ReplaceQ, Opcode.Replace);
quiet(Opcode.DeleteQ, Opcode.Delete);
quiet(Opcode.IncrementQ, Opcode.Increment);
quiet(Opcode.DecrementQ, Opcode.Decrement);
quiet(Opcode.QuitQ, Opcode.Quit);
quiet(Opcode.FlushQ, Opcode.Flush);
quiet(Opcode.AppendQ, Opcode.Append);
quiet(Opcode.PrependQ, Opcode.Prepend);
quiet(Opcode.GetQ, Opcode.Get);
quiet(Opcode.GetKQ, Opcode.GetK);
quiet(Opcode.GatQ, Opcode.Gat);
quiet(Opcode.GatKQ, Opcode.GatK);

/** What the bytes after extras + key are for. */
const Body = {
  None: 0,
  Value: 1, // streamed into the item (session.value)
  Swallow: 2, // read and dropped (errors that answer before the value arrives)
  Sasl: 3, // SASL_AUTH / SASL_STEP data, gathered in a scratch buffer
} as const;
type Body = (typeof Body)[keyof typeof Body];

export class BinaryFrontEnd implements ProtocolReader, BinaryCommandContext {
  readonly session: Session;
  readonly ctx: ServerContext;
  readonly out: OutBuffer;
  readonly versionBody: Buffer;
  /** The response header being written (writeResponseHeader builds it here). */
  private readonly replyHeader: Buffer;

  // The request being handled (host order).
  opcode!: number; // as sent (quiet variants included): responses echo it
  baseOpcode!: number; // the non-quiet command
  isQuiet!: boolean;
  keyLen!: number;
  extLen!: number;
  bodyLen!: number;
  opaque!: number;
  /** Request cas as a number; above 2^53 it is rounded, which still matches no stored cas. */
  cas!: number;
  /** cas for the response header (memcached's c->cas, reset per request). */
  replyCas!: number;

  /** What the block being read (session.value) is for. */
  body!: Body;
  storeMode!: number;
  storeCasIn!: number;

  // SASL.
  readonly sasl: SaslState;

  constructor(session: Session) {
    this.session = session;
    this.ctx = session.ctx;
    this.out = session.out;
    this.versionBody = Buffer.from(session.ctx.settings.version, 'latin1');
    this.replyHeader = Buffer.alloc(HEADER_BYTES);
    this.sasl = new SaslState();
    this.reset();
  }

  /** Forgets a half-read request (UDP: every datagram starts afresh). */
  reset(): void {
    this.opcode = 0;
    this.baseOpcode = 0;
    this.isQuiet = false;
    this.keyLen = 0;
    this.extLen = 0;
    this.bodyLen = 0;
    this.opaque = 0;
    this.cas = 0;
    this.replyCas = 0;
    this.body = Body.None;
    this.storeMode = 0;
    this.storeCasIn = 0;
  }

  maxPendingBytes(): number {
    // Only one partial request (header + extras + key) is ever held (the session does not
    // check while yielded), and memcached's read buffer bounds that.
    return READ_BUFFER_BYTES - 1;
  }

  read(buf: Buffer, start: number, end: number): number {
    const s = this.session;
    if (s.value.isActive) return this.readBody(buf, start, end);
    if (end - start < HEADER_BYTES) return 0;

    const magic = buf[start]!;
    if (magic !== Magic.Request) {
      const log = this.ctx.log;
      if (log.level >= 2) log.line(hexDumpHeader(buf, start, '<' + s.conn.id + ' Read binary protocol data:', '<' + s.conn.id + '   '));
      if (log.level >= 1) log.line('Invalid magic:  ' + magic.toString(16));
      this.ctx.counters.conns_closed_protocol_error++;
      s.action = SessionAction.CloseAfterFlush; // nothing for this one; earlier replies go out
      return 0;
    }
    const keyLen = (buf[start + 2]! << 8) | buf[start + 3]!;
    const extLen = buf[start + 4]!;
    const need = HEADER_BYTES + extLen + keyLen;
    if (need > READ_BUFFER_BYTES) {
      // memcached's read buffer fills up before the key is complete: it closes, no reply.
      this.ctx.counters.conns_closed_line_too_long++;
      s.action = SessionAction.CloseAfterFlush; // replies to earlier requests still go out
      return 0;
    }
    if (end - start < need) return 0; // extras and key must be here before dispatch

    if (this.ctx.log.level >= 2) {
      this.ctx.log.line(hexDumpHeader(buf, start, '<' + s.conn.id + ' Read binary protocol data:', '<' + s.conn.id + '   '));
    }
    if (s.buffers !== null && !s.buffers.startResponse()) {
      // -o read_buf_mem_limit: no response object for this request; memcached's conn_closing.
      s.action = SessionAction.CloseNow;
      return 0;
    }
    const opcode = buf[start + 1]!;
    this.opcode = opcode;
    this.baseOpcode = BASE_OPCODE[opcode]!;
    this.isQuiet = false;
    this.keyLen = keyLen;
    this.extLen = extLen;
    this.bodyLen = buf.readUInt32BE(start + 8);
    this.opaque = buf.readUInt32BE(start + 12);
    this.cas = buf.readUInt32BE(start + 16) * 4294967296 + buf.readUInt32BE(start + 20);
    this.replyCas = 0;
    s.lastCommandTime = this.ctx.store.now();

    this.dispatch(buf, start + HEADER_BYTES, start + HEADER_BYTES + extLen);
    let used = need;
    // The value usually arrives with its header: keep going in the same call.
    if (s.value.isActive && start + used < end && s.action === SessionAction.Continue) {
      used += this.readBody(buf, start + used, end);
    }
    return used;
  }

  /** dispatch_bin_command: length fields, auth gate, key length, then the opcode. */
  private dispatch(buf: Buffer, extStart: number, keyStart: number): void {
    const s = this.session;
    const keyLen = this.keyLen;
    const extLen = this.extLen;
    const bodyLen = this.bodyLen;

    if (keyLen > bodyLen || keyLen + extLen > bodyLen) {
      this.writeError(Status.UnknownCommand, null);
      this.closeAfterWrite();
      return;
    }
    if (this.ctx.sasl !== null && !this.authenticated()) {
      this.writeError(Status.AuthError, null);
      s.action = SessionAction.CloseAfterFlush;
      return;
    }
    this.isQuiet = IS_QUIET[this.opcode] === 1;
    if (keyLen > KEY_MAX_LENGTH) {
      this.protocolError();
      return;
    }

    switch (this.baseOpcode) {
      case Opcode.Version:
        if (extLen === 0 && keyLen === 0 && bodyLen === 0) this.writeSuccess(this.versionBody);
        else this.protocolError();
        return;
      case Opcode.Flush:
        if (keyLen === 0 && bodyLen === extLen && (extLen === 0 || extLen === 4)) processFlush(this, buf, extStart);
        else this.protocolError();
        return;
      case Opcode.Noop:
        if (extLen === 0 && keyLen === 0 && bodyLen === 0) this.writeSuccess(null);
        else this.protocolError();
        return;
      case Opcode.Set:
      case Opcode.Add:
      case Opcode.Replace:
        if (extLen === 8 && keyLen !== 0 && bodyLen >= keyLen + 8) processUpdate(this, buf, extStart, keyStart);
        else this.protocolError();
        return;
      case Opcode.Get:
      case Opcode.GetK:
        if (extLen === 0 && bodyLen === keyLen && keyLen > 0) processGetOrTouch(this, buf, extStart, keyStart);
        else this.protocolError();
        return;
      case Opcode.Delete:
        if (keyLen > 0 && extLen === 0 && bodyLen === keyLen) processDelete(this, buf, keyStart);
        else this.protocolError();
        return;
      case Opcode.Increment:
      case Opcode.Decrement:
        if (keyLen > 0 && extLen === 20 && bodyLen === keyLen + extLen) processDelta(this, buf, extStart, keyStart);
        else this.protocolError();
        return;
      case Opcode.Append:
      case Opcode.Prepend:
        if (keyLen > 0 && extLen === 0) processAppendPrepend(this, buf, keyStart);
        else this.protocolError();
        return;
      case Opcode.Stat:
        // Body bytes past the key are not consumed: memcached parses them as the next request.
        if (extLen === 0) processStat(this, buf, keyStart);
        else this.protocolError();
        return;
      case Opcode.Quit:
        if (keyLen === 0 && extLen === 0 && bodyLen === 0) {
          this.writeSuccess(null);
          s.closeReason = CloseReason.Normal;
          s.action = SessionAction.CloseAfterFlush;
        } else {
          this.protocolError();
        }
        return;
      case Opcode.SaslListMechs:
        if (extLen === 0 && keyLen === 0 && bodyLen === 0) listSaslMechs(this);
        else this.protocolError();
        return;
      case Opcode.SaslAuth:
      case Opcode.SaslStep:
        if (extLen === 0 && keyLen !== 0) processSaslAuth(this, buf, keyStart);
        else this.protocolError();
        return;
      case Opcode.Touch:
      case Opcode.Gat:
      case Opcode.GatK:
        if (extLen === 4 && keyLen !== 0) processGetOrTouch(this, buf, extStart, keyStart);
        else this.protocolError();
        return;
      default:
        // VERBOSITY (0x1b), the range opcodes and anything else. memcached swallows bodylen
        // bytes *after* extras and key; kept for byte compatibility.
        this.writeError(Status.UnknownCommand, null);
        this.swallow(bodyLen);
    }
  }

  /** memcached's authenticated(): SASL list/auth/step and VERSION pass the gate. */
  private authenticated(): boolean {
    const op = this.opcode;
    const rv =
      op === Opcode.SaslListMechs || op === Opcode.SaslAuth || op === Opcode.SaslStep || op === Opcode.Version
        ? true
        : this.session.isAuthenticated;
    const log = this.ctx.log;
    if (log.level >= 2) {
      log.line('authenticated() in cmd 0x' + (op < 16 ? '0' : '') + op.toString(16) + ' is ' + (rv ? 'true' : 'false'));
    }
    return rv;
  }

  // --- the body after extras and key -----------------------------------------------------

  /** Starts streaming a value of valueLen bytes into ref; completes at once when empty. */
  expectValue(ref: number, valueLen: number, mode: number, casIn: number): void {
    this.storeMode = mode;
    this.storeCasIn = casIn;
    if (valueLen === 0) {
      completeUpdate(this, ref);
      return;
    }
    const s = this.session;
    s.value.start(ref, valueLen, false);
    s.stateName = 'conn_nread';
    this.body = Body.Value;
  }

  /** Drops the next n bytes of input (conn_swallow). */
  swallow(n: number): void {
    if (n <= 0) return;
    const s = this.session;
    s.value.swallow(n, false);
    s.stateName = 'conn_swallow';
    this.body = Body.Swallow;
  }

  /** Gathers n bytes of SASL data into the scratch buffer, then runs the mechanism. */
  expectSasl(n: number): void {
    if (n === 0) {
      completeSaslAuth(this);
      return;
    }
    const s = this.session;
    s.value.start(-1, n, false); // not into an item: readBody gathers the bytes
    s.stateName = 'conn_nread';
    this.body = Body.Sasl;
  }

  readInPlace(buf: Buffer, len: number): void {
    this.readBody(buf, 0, len, true);
  }

  /** Feeds the block (see readInPlace for isInPlace); finishes the command once complete. */
  private readBody(buf: Buffer, start: number, end: number, isInPlace = false): number {
    const s = this.session;
    const n = s.value.consume(buf, start, end, isInPlace);
    const body = this.body;
    if (body === Body.Sasl) this.sasl.append(buf, start, n);
    if (!s.value.isComplete) return n;
    const ref = s.value.finish();
    s.stateName = 'conn_new_cmd';
    this.body = Body.None;
    if (body === Body.Value) completeUpdate(this, ref);
    else if (body === Body.Sasl) completeSaslAuth(this);
    return n;
  }

  // --- replies ---------------------------------------------------------------------------

  /** add_bin_header: a response header for the current request. */
  header(status: number, extLen: number, keyLen: number, bodyLen: number, cas: number): void {
    writeResponseHeader(this.out, this.replyHeader, this.opcode, keyLen, extLen, status, bodyLen, this.opaque, cas);
    const log = this.ctx.log;
    if (log.level >= 2) {
      const id = this.session.conn.id;
      log.line(hexDumpHeader(this.replyHeader, 0, '>' + id + ' Writing bin response:', '>' + id + '  '));
    }
  }

  /** append_bin_stats: a STAT packet's header (Success, cas 0, no -vv dump). */
  statHeader(keyLen: number, bodyLen: number): void {
    writeResponseHeader(this.out, this.replyHeader, Opcode.Stat, keyLen, 0, Status.Success, bodyLen, this.opaque, 0);
  }

  /** write_bin_response: success with an optional body; suppressed for quiet commands. */
  writeSuccess(body: Buffer | null): void {
    if (this.isQuiet) return;
    const n = body === null ? 0 : body.length;
    this.header(Status.Success, 0, 0, n, this.replyCas);
    if (body !== null && n > 0) this.out.appendBytes(body, 0, n);
  }

  /** write_bin_error: errors are sent for quiet commands too. body null = the default text. */
  writeError(status: number, body: Buffer | null): void {
    const text = body === null ? errorBody(status) : body;
    const log = this.ctx.log;
    if (log.level >= 2) log.line('>' + this.session.conn.id + ' Writing an error: ' + text.toString('latin1'));
    this.header(status, 0, 0, text.length, this.replyCas);
    this.out.appendBytes(text, 0, text.length);
  }

  /** handle_binary_protocol_error: Invalid arguments, then close. */
  protocolError(): void {
    this.writeError(Status.InvalidArguments, null);
    const log = this.ctx.log;
    if (log.level >= 1) {
      const op = this.opcode;
      log.line('Protocol error (opcode ' + (op < 16 ? '0' : '') + op.toString(16) + '), close connection ' + this.session.conn.id);
    }
    this.closeAfterWrite();
  }

  private closeAfterWrite(): void {
    this.ctx.counters.conns_closed_protocol_error++;
    this.session.action = SessionAction.CloseAfterFlush;
  }
}

export function createBinaryFrontEnd(session: Session): ProtocolReader {
  return new BinaryFrontEnd(session);
}
