// Classic text commands, memcached 1.6.18's process_command_ascii: dispatch on the first byte
// and length of the command word (no strings), token-count checks (WANT_TOKENS), then one
// handler per command. Replies are pre-encoded (replies.ts); noreply suppresses every reply
// that memcached's out_string would suppress, errors included.
//
// Token counts: memcached counts a terminal token, so its `ntokens` is our count + 1 for up to
// 23 tokens; a line with more tokens leaves the rest in the 24th (ours) / terminal (memcached's).

import type { Session } from '../session.js';
import { SessionAction, type ValueConsumer } from '../reader-contract.js';
import { CloseReason, WatchFlag } from '../../log/watch.js';
import type { ItemRef } from '../../store/store.js';
import { AllocError, DeleteResult, DeltaResult, GetOpt, StoreMode, StoreResult } from '../../store/store.js';
import { MAX_TOKENS, type Tokens } from './tokenizer.js';
import type { TextCommandContext } from './command-context.js';
import { executeMeta } from '../meta/commands.js';
import { processRefreshCerts } from './refresh-certs.js';
import { safeStrtod, safeStrtol, safeStrtoll, safeStrtoul, safeStrtoull, safeStrtoullExact } from '../../common/c-numbers.js';
import * as R from './replies.js';
import { ZERO_COPY_MIN } from '../out-buffer.js';
import {
  emitConnsStats,
  emitExtraStats,
  emitGeneralStats,
  emitSettingsStats,
  resetStats,
} from '../../stats/render.js';

export const KEY_MAX_LENGTH = 250;
const MAX_VERBOSITY_LEVEL = 2;
const MAX_NUMBER_OF_SLAB_CLASSES = 64;
const INT_MAX = 2147483647;
const MIB = 1024 * 1024;
const VALUE_COPY_CHUNK = 64 * 1024;

const CH_SP = 0x20;

// ------------------------------------------------------------------------------------------
// Reply helpers
// ------------------------------------------------------------------------------------------

/** out_string: a whole pre-encoded line, suppressed under noreply; -vv logs it either way. */
export function reply(r: TextCommandContext, line: Buffer): void {
  const log = r.ctx.log;
  if (r.noreply) {
    if (log.level >= 2) log.line('>' + r.session.conn.id + ' NOREPLY ' + line.toString('latin1', 0, line.length - 2));
    return;
  }
  if (log.level >= 2) log.line('>' + r.session.conn.id + ' ' + line.toString('latin1', 0, line.length - 2));
  r.session.out.append(line);
}

/** out_string with a run-time text (rare paths only). */
function replyText(r: TextCommandContext, text: string): void {
  const log = r.ctx.log;
  if (r.noreply) {
    if (log.level >= 2) log.line('>' + r.session.conn.id + ' NOREPLY ' + text);
    return;
  }
  if (log.level >= 2) log.line('>' + r.session.conn.id + ' ' + text);
  const out = r.session.out;
  out.appendAscii(text);
  out.appendCrlf();
}

/** A value and its \r\n from the store into the reply: a pinned view when large, else a copy. */
function appendValueCrlf(r: TextCommandContext, ref: ItemRef, len: number): void {
  const out = r.session.out;
  if (len >= ZERO_COPY_MIN && out.pinReleaser !== null) {
    const store = r.ctx.store;
    const view = store.valueSlice(ref, true);
    if (view !== null) {
      store.pin(ref);
      out.appendPinned(view, ref);
      return;
    }
  }
  appendValue(r, ref, len);
  out.appendCrlf();
}

/** Copies a value from the store into the reply buffer in chunk-sized pieces. */
function appendValue(r: TextCommandContext, ref: ItemRef, len: number): void {
  const out = r.session.out;
  const store = r.ctx.store;
  let off = 0;
  while (off < len) {
    let room = out.cur.length - out.pos;
    if (room === 0) {
      out.ensure(len - off < VALUE_COPY_CHUNK ? len - off : VALUE_COPY_CHUNK);
      room = out.cur.length - out.pos;
    }
    const n = len - off < room ? len - off : room;
    store.copyValue(ref, off, out.cur, out.pos, n, out.curView);
    out.pos += n;
    off += n;
  }
}

function statEmitterFor(r: TextCommandContext): (name: string, value: string | number) => void {
  const out = r.session.out;
  return (name, value) => {
    out.append(R.PIECE_STAT);
    out.appendAscii(name);
    out.appendByte(CH_SP);
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) out.appendUint(value);
    else out.appendAscii(String(value));
    out.appendCrlf();
  };
}

/**
 * memcached's conn_closing: the replies it had not flushed yet are lost, those it had flushed
 * (up to the last get in this batch) were already written.
 */
function closeNow(r: TextCommandContext): void {
  r.session.out.truncateTo(r.flushMark);
  r.session.action = SessionAction.CloseAfterFlush;
}

/** memcached's ntokens (with the terminal token) for our token count. */
function mcTokens(count: number): number {
  return count < MAX_TOKENS ? count + 1 : MAX_TOKENS;
}

/** set_noreply_maybe: the last token (memcached's tokens[ntokens - 2]) is `noreply`. */
function setNoreplyMaybe(r: TextCommandContext, t: Tokens): boolean {
  const i = mcTokens(t.count) - 2;
  if (i >= 0 && t.is(i, 'noreply')) r.noreply = true;
  return r.noreply;
}

// ------------------------------------------------------------------------------------------
// Dispatch
// ------------------------------------------------------------------------------------------

/** Handles one command line buf[lineStart, lineEnd) (no \r\n). */
export function dispatchCommand(r: TextCommandContext, buf: Buffer, lineStart: number, lineEnd: number): void {
  const t = r.session.tokens;
  const count = t.tokenize(buf, lineStart, lineEnd);
  if (count === 0 || t.len(0) < 2) {
    reply(r, R.REPLY_ERROR);
    return;
  }
  const c0 = t.start[0]!;
  const len0 = t.len(0);
  const first = buf[c0]!;
  const n = mcTokens(count);

  if (first === 0x6d && len0 === 2) {
    // m?: meta commands
    const second = buf[c0 + 1];
    if (second === 0x67 || second === 0x73 || second === 0x64 || second === 0x6e || second === 0x61 || second === 0x65) {
      executeMeta(r.session, r, buf, lineStart, lineEnd);
      if (second === 0x6e) r.markFlushPoint(); // mn flushes
      return;
    }
    reply(r, R.REPLY_ERROR);
    return;
  }
  switch (first) {
    case 0x67: // g
      if (n < 3) {
        reply(r, R.REPLY_ERROR);
        return;
      }
      if (len0 === 3 && buf[c0 + 1] === 0x65 && buf[c0 + 2] === 0x74) processGet(r, buf, lineEnd, false, false);
      else if (len0 === 4 && t.is(0, 'gets')) processGet(r, buf, lineEnd, true, false);
      else if (len0 === 3 && t.is(0, 'gat')) processGet(r, buf, lineEnd, false, true);
      else if (len0 === 4 && t.is(0, 'gats')) processGet(r, buf, lineEnd, true, true);
      else reply(r, R.REPLY_ERROR);
      return;
    case 0x73: // s
      if (len0 === 3 && buf[c0 + 1] === 0x65 && buf[c0 + 2] === 0x74) {
        if (n !== 6 && n !== 7) reply(r, R.REPLY_ERROR);
        else processUpdate(r, buf, StoreMode.Set, false);
      } else if (len0 === 5 && t.is(0, 'stats')) {
        processStats(r, buf);
      } else if (len0 === 8 && t.is(0, 'shutdown')) {
        processShutdown(r);
      } else if (len0 === 5 && t.is(0, 'slabs')) {
        processSlabs(r, buf);
      } else {
        reply(r, R.REPLY_ERROR);
      }
      return;
    case 0x61: // a
      if ((len0 === 3 && t.is(0, 'add')) || (len0 === 6 && t.is(0, 'append'))) {
        if (n !== 6 && n !== 7) reply(r, R.REPLY_ERROR);
        else processUpdate(r, buf, len0 === 3 ? StoreMode.Add : StoreMode.Append, false);
      } else {
        reply(r, R.REPLY_ERROR);
      }
      return;
    case 0x63: // c
      if (len0 === 3 && t.is(0, 'cas')) {
        if (n !== 7 && n !== 8) reply(r, R.REPLY_ERROR);
        else processUpdate(r, buf, StoreMode.Cas, true);
      } else if (len0 === 14 && t.is(0, 'cache_memlimit')) {
        if (n !== 3 && n !== 4) reply(r, R.REPLY_ERROR);
        else processMemlimit(r, buf);
      } else {
        reply(r, R.REPLY_ERROR);
      }
      return;
    case 0x69: // i
      if (len0 === 4 && t.is(0, 'incr')) {
        if (n !== 4 && n !== 5) reply(r, R.REPLY_ERROR);
        else processArithmetic(r, buf, true);
      } else {
        reply(r, R.REPLY_ERROR);
      }
      return;
    case 0x64: // d
      if (len0 === 6 && t.is(0, 'delete')) {
        if (n < 3 || n > 5) reply(r, R.REPLY_ERROR);
        else processDelete(r, buf);
      } else if (len0 === 4 && t.is(0, 'decr')) {
        if (n !== 4 && n !== 5) reply(r, R.REPLY_ERROR);
        else processArithmetic(r, buf, false);
      } else if (len0 === 9 && t.is(0, 'debugtime') && r.ctx.settings.debugCommands) {
        // memcached-debug reads tokens[1] unchecked and crashes on a bare `debugtime`.
        if (n < 3) reply(r, R.REPLY_ERROR);
        else processDebugTime(r, buf);
      } else {
        reply(r, R.REPLY_ERROR);
      }
      return;
    case 0x74: // t
      if (len0 === 5 && t.is(0, 'touch')) {
        if (n !== 4 && n !== 5) reply(r, R.REPLY_ERROR);
        else processTouch(r, buf);
      } else {
        reply(r, R.REPLY_ERROR);
      }
      return;
    default:
      break;
  }
  if (len0 === 7 && t.is(0, 'replace')) {
    if (n !== 6 && n !== 7) reply(r, R.REPLY_ERROR);
    else processUpdate(r, buf, StoreMode.Replace, false);
  } else if (len0 === 7 && t.is(0, 'prepend')) {
    if (n !== 6 && n !== 7) reply(r, R.REPLY_ERROR);
    else processUpdate(r, buf, StoreMode.Prepend, false);
  } else if (len0 === 4 && t.is(0, 'bget')) {
    // the ancient "binary get": a plain get in 1.6.18
    if (n < 3) reply(r, R.REPLY_ERROR);
    else processGet(r, buf, lineEnd, false, false);
  } else if (len0 === 9 && t.is(0, 'flush_all')) {
    if (n < 2 || n > 4) reply(r, R.REPLY_ERROR);
    else processFlushAll(r, buf);
  } else if (len0 === 7 && t.is(0, 'version')) {
    reply(r, R.REPLY_VERSION);
  } else if (len0 === 4 && t.is(0, 'quit')) {
    r.session.closeReason = CloseReason.Normal;
    r.session.action = SessionAction.CloseAfterFlush;
  } else if (len0 === 11 && t.is(0, 'lru_crawler')) {
    processLruCrawler(r);
  } else if (len0 === 5 && t.is(0, 'watch')) {
    processWatch(r);
  } else if (len0 === 9 && t.is(0, 'verbosity')) {
    if (n !== 3 && n !== 4) reply(r, R.REPLY_ERROR);
    else processVerbosity(r, buf);
  } else if (len0 === 3 && t.is(0, 'lru')) {
    if (n < 3) reply(r, R.REPLY_ERROR);
    else processLru(r, buf);
  } else if (len0 === 13 && t.is(0, 'refresh_certs')) {
    processRefreshCerts(r, t);
  } else {
    // Unknown. A line ending in an HTTP version is a web client: hang up (t/malicious-commands.t).
    const last = n - 2;
    const s = t.start[last]!;
    if (t.len(last) >= 5 && buf[s] === 0x48 && buf[s + 1] === 0x54 && buf[s + 2] === 0x54 && buf[s + 3] === 0x50 && buf[s + 4] === 0x2f) {
      closeNow(r);
    } else {
      reply(r, R.REPLY_ERROR);
    }
  }
}

// ------------------------------------------------------------------------------------------
// get / gets / gat / gats <key>*
// ------------------------------------------------------------------------------------------

function processGet(r: TextCommandContext, buf: Buffer, lineEnd: number, returnCas: boolean, shouldTouch: boolean): void {
  const t = r.session.tokens;
  let exptime = 0;
  let p: number;
  if (shouldTouch) {
    exptime = safeStrtol(buf, t.start[1]!, t.end[1]!);
    if (Number.isNaN(exptime)) {
      reply(r, R.ERR_INVALID_EXPTIME);
      return;
    }
    p = t.count > 2 ? t.start[2]! : lineEnd;
  } else {
    p = t.start[1]!;
  }
  getKeys(r, buf, p, lineEnd, returnCas, shouldTouch, exptime, false);
}

/**
 * A multiget whose replies pass this many bytes in one batch stops after the current key and
 * continues in the next batch (TextReader.suspendGet), so net/ can write them out and stop
 * reading from a client that does not read: the replies of one get line are not all held
 * in memory at once.
 */
export const MULTIGET_YIELD_BYTES = 1024 * 1024;

/**
 * The keys of a get line from p on; isContinuation: the rest of a suspended one, whose next
 * key's response object was taken before it was suspended.
 */
export function getKeys(r: TextCommandContext, buf: Buffer, p: number, lineEnd: number, returnCas: boolean, shouldTouch: boolean, exptime: number,
  isContinuation: boolean): void {
  const session = r.session;
  const ctx = r.ctx;
  const store = ctx.store;
  const out = session.out;
  const view = session.view;
  const log = ctx.log;
  const counters = ctx.counters;
  const rt = r.ctx.runtime;
  const opts = shouldTouch ? GetOpt.Touch | GetOpt.CountAsTouch : GetOpt.None;
  const buffers = session.buffers;
  // Keys are scanned straight off the line: any number of them, not bounded by MAX_TOKENS.
  let failLength = false;
  let isOutOfMemory = false;
  let hasKeyBefore = isContinuation;
  while (p < lineEnd) {
    while (p < lineEnd && buf[p] === CH_SP) p++;
    if (p >= lineEnd) break;
    // -o read_buf_mem_limit: every key after the first takes a response object of its own.
    if (buffers !== null && hasKeyBefore && !buffers.startResponse()) {
      isOutOfMemory = true;
      break;
    }
    hasKeyBefore = true;
    const keyStart = p;
    while (p < lineEnd && buf[p] !== CH_SP) p++;
    const keyLen = p - keyStart;
    if (keyLen > KEY_MAX_LENGTH) {
      failLength = true;
      break;
    }
    if (shouldTouch) counters.cmd_touch++;
    else counters.cmd_get++;
    const hit = store.get(buf, keyStart, keyLen, view, opts, exptime);
    if (rt.detailEnabled) ctx.prefixStats.recordGet(buf, keyStart, keyLen, hit);
    if (!hit) continue;
    out.append(R.PIECE_VALUE);
    out.appendBytes(buf, keyStart, p);
    out.appendByte(CH_SP);
    out.appendUint(view.flags);
    out.appendByte(CH_SP);
    out.appendUint(view.valueLen);
    if (returnCas) {
      out.appendByte(CH_SP);
      out.appendUint(view.cas);
    }
    out.appendCrlf();
    appendValueCrlf(r, view.ref, view.valueLen);
    if (log.level >= 2) log.line('>' + session.conn.id + ' sending key ' + buf.toString('latin1', keyStart, p));
    if (out.length >= MULTIGET_YIELD_BYTES && p < lineEnd) {
      r.suspendGet(p, returnCas, shouldTouch, exptime);
      return;
    }
  }
  if (log.level >= 2) log.line('>' + session.conn.id + ' END');
  if (failLength || isOutOfMemory) {
    // memcached drops every reply queued since its last flush, then reports the error.
    // out_string: conn_new_cmd, not a flush point, so a second such get culls this error too.
    out.truncateTo(r.flushMark);
    if (buffers !== null) {
      buffers.releaseResponses();
      if (!buffers.startResponse()) {
        session.action = SessionAction.CloseAfterFlush; // not even the error fits: conn_closing
        return;
      }
    }
    reply(r, failLength ? R.ERR_BAD_FORMAT : R.ERR_OOM_GET_RESPONSE);
  } else {
    out.append(R.REPLY_END);
    r.markFlushPoint(); // a get flushes (conn_mwrite)
  }
}

// ------------------------------------------------------------------------------------------
// set / add / replace / append / prepend / cas
// ------------------------------------------------------------------------------------------

/** Finishes a classic storage command once its value block is in (or was swallowed). */
class ClassicValueConsumer implements ValueConsumer<Session> {
  private readonly reader: TextCommandContext;
  mode: StoreMode;
  casIn: number;

  constructor(reader: TextCommandContext) {
    this.reader = reader;
    this.mode = StoreMode.Set;
    this.casIn = 0;
  }

  finishValue(_session: Session, ref: ItemRef, ok: boolean): void {
    const r = this.reader;
    if (ref < 0) return; // swallowed: the error went out with the command line
    const store = r.ctx.store;
    if (!ok) {
      store.release(ref);
      reply(r, R.ERR_BAD_DATA_CHUNK);
      return;
    }
    switch (store.link(ref, this.mode, this.casIn)) {
      case StoreResult.Stored:
        reply(r, R.REPLY_STORED);
        break;
      case StoreResult.NotStored:
        reply(r, R.REPLY_NOT_STORED);
        break;
      case StoreResult.Exists:
        reply(r, R.REPLY_EXISTS);
        break;
      case StoreResult.NotFound:
        reply(r, R.REPLY_NOT_FOUND);
        break;
      case StoreResult.TooLarge:
        reply(r, R.ERR_TOO_LARGE);
        break;
      case StoreResult.NoMemory:
        reply(r, R.ERR_NO_MEMORY_STORING);
        break;
    }
  }
}

function consumerFor(r: TextCommandContext): ClassicValueConsumer {
  let c = r.classicConsumer as ClassicValueConsumer | null;
  if (c === null) {
    c = new ClassicValueConsumer(r);
    r.classicConsumer = c;
  }
  return c;
}

function processUpdate(r: TextCommandContext, buf: Buffer, mode: StoreMode, handleCas: boolean): void {
  const session = r.session;
  const t = session.tokens;
  const ctx = r.ctx;
  setNoreplyMaybe(r, t);
  const keyStart = t.start[1]!;
  const keyLen = t.len(1);
  if (keyLen > KEY_MAX_LENGTH) {
    reply(r, R.ERR_BAD_FORMAT);
    return;
  }
  const flags = safeStrtoul(buf, t.start[2]!, t.end[2]!);
  const exptime = Number.isNaN(flags) ? NaN : safeStrtol(buf, t.start[3]!, t.end[3]!);
  const vlen = Number.isNaN(exptime) ? NaN : safeStrtol(buf, t.start[4]!, t.end[4]!);
  if (Number.isNaN(vlen)) {
    reply(r, R.ERR_BAD_FORMAT);
    return;
  }
  let casIn = 0;
  if (handleCas) {
    casIn = safeStrtoull(buf, t.start[5]!, t.end[5]!);
    if (Number.isNaN(casIn)) {
      reply(r, R.ERR_BAD_FORMAT);
      return;
    }
  }
  if (vlen < 0 || vlen > INT_MAX - 2) {
    reply(r, R.ERR_BAD_FORMAT);
    return;
  }
  if (r.ctx.runtime.detailEnabled) ctx.prefixStats.recordSet(buf, keyStart, keyLen);
  const store = ctx.store;
  const consumer = consumerFor(r);
  const ref = store.allocate(buf, keyStart, keyLen, flags, exptime, vlen);
  if (ref < 0) {
    reply(r, ref === AllocError.TooLarge ? R.ERR_TOO_LARGE : R.ERR_NO_MEMORY_STORING);
    // Swallow the data block; a failed set also drops the old value so no stale data persists.
    store.noteAllocFailure(ref, buf, keyStart, keyLen, mode === StoreMode.Set, mode);
    session.expectValue(-1, vlen, consumer);
    return;
  }
  consumer.mode = mode;
  consumer.casIn = casIn;
  session.expectValue(ref, vlen, consumer);
}

// ------------------------------------------------------------------------------------------
// delete / incr / decr / touch
// ------------------------------------------------------------------------------------------

function processDelete(r: TextCommandContext, buf: Buffer): void {
  const t = r.session.tokens;
  const ctx = r.ctx;
  const n = mcTokens(t.count);
  if (n > 3) {
    const holdIsZero = t.is(2, '0');
    const setsNoreply = setNoreplyMaybe(r, t);
    const valid = (n === 4 && (holdIsZero || setsNoreply)) || (n === 5 && holdIsZero && setsNoreply);
    if (!valid) {
      reply(r, R.ERR_DELETE_USAGE);
      return;
    }
  }
  const keyStart = t.start[1]!;
  const keyLen = t.len(1);
  if (keyLen > KEY_MAX_LENGTH) {
    reply(r, R.ERR_BAD_FORMAT);
    return;
  }
  if (r.ctx.runtime.detailEnabled) ctx.prefixStats.recordDelete(buf, keyStart, keyLen);
  reply(r, ctx.store.delete(buf, keyStart, keyLen, 0) === DeleteResult.Deleted ? R.REPLY_DELETED : R.REPLY_NOT_FOUND);
}

function processArithmetic(r: TextCommandContext, buf: Buffer, isIncr: boolean): void {
  const t = r.session.tokens;
  const store = r.ctx.store;
  setNoreplyMaybe(r, t);
  const keyLen = t.len(1);
  if (keyLen > KEY_MAX_LENGTH) {
    reply(r, R.ERR_BAD_FORMAT);
    return;
  }
  const delta = safeStrtoullExact(buf, t.start[2]!, t.end[2]!);
  if (delta === null) {
    reply(r, R.ERR_INVALID_DELTA);
    return;
  }
  switch (store.delta(buf, t.start[1]!, keyLen, isIncr, delta, 0, 0n, null, null)) {
    case DeltaResult.Ok: {
      const v = store.deltaValue;
      const log = r.ctx.log;
      if (log.level >= 2) log.line('>' + r.session.conn.id + (r.noreply ? ' NOREPLY ' : ' ') + v.toString());
      if (r.noreply) return;
      const out = r.session.out;
      out.appendBigUint(v);
      out.appendCrlf();
      return;
    }
    case DeltaResult.NotFound:
      reply(r, R.REPLY_NOT_FOUND);
      return;
    case DeltaResult.NonNumeric:
      reply(r, R.ERR_NON_NUMERIC);
      return;
    case DeltaResult.NoMemory:
      reply(r, R.ERR_NO_MEMORY);
      return;
    case DeltaResult.Exists:
      return; // cannot happen without a cas
  }
}

function processTouch(r: TextCommandContext, buf: Buffer): void {
  const t = r.session.tokens;
  const ctx = r.ctx;
  setNoreplyMaybe(r, t);
  const keyLen = t.len(1);
  if (keyLen > KEY_MAX_LENGTH) {
    reply(r, R.ERR_BAD_FORMAT);
    return;
  }
  const exptime = safeStrtol(buf, t.start[2]!, t.end[2]!);
  if (Number.isNaN(exptime)) {
    reply(r, R.ERR_INVALID_EXPTIME);
    return;
  }
  ctx.counters.cmd_touch++;
  reply(r, ctx.store.touch(buf, t.start[1]!, keyLen, exptime) ? R.REPLY_TOUCHED : R.REPLY_NOT_FOUND);
}

// ------------------------------------------------------------------------------------------
// Admin commands
// ------------------------------------------------------------------------------------------

function processFlushAll(r: TextCommandContext, buf: Buffer): void {
  const t = r.session.tokens;
  const ctx = r.ctx;
  const store = ctx.store;
  setNoreplyMaybe(r, t);
  ctx.counters.cmd_flush++;
  if (!ctx.settings.flushEnabled) {
    reply(r, R.ERR_FLUSH_DISABLED);
    return;
  }
  let exptime = 0;
  if (mcTokens(t.count) !== (r.noreply ? 3 : 2)) {
    exptime = safeStrtol(buf, t.start[1]!, t.end[1]!);
    if (Number.isNaN(exptime)) {
      reply(r, R.ERR_INVALID_EXPTIME);
      return;
    }
  }
  store.flushAll(exptime > 0 ? exptime : 0); // moves the flush point in ctx.runtime
  reply(r, R.REPLY_OK);
}

function processVerbosity(r: TextCommandContext, buf: Buffer): void {
  const t = r.session.tokens;
  setNoreplyMaybe(r, t);
  const level = safeStrtoul(buf, t.start[1]!, t.end[1]!);
  if (Number.isNaN(level)) {
    reply(r, R.ERR_BAD_FORMAT);
    return;
  }
  r.ctx.log.level = level > MAX_VERBOSITY_LEVEL ? MAX_VERBOSITY_LEVEL : level;
  reply(r, R.REPLY_OK);
}

// debugtime p|r|<seconds>: memcached-debug's clock control (-o debug_commands). Later tokens
// are ignored, noreply included.
function processDebugTime(r: TextCommandContext, buf: Buffer): void {
  const t = r.session.tokens;
  const store = r.ctx.store;
  if (t.len(1) === 1 && buf[t.start[1]!] === 0x70 /* p */) {
    store.pauseClock(true);
  } else if (t.len(1) === 1 && buf[t.start[1]!] === 0x72 /* r */) {
    store.pauseClock(false);
  } else {
    const deltaSec = safeStrtoll(buf, t.start[1]!, t.end[1]!);
    if (Number.isNaN(deltaSec)) {
      reply(r, R.REPLY_ERROR);
      return;
    }
    store.shiftClock(deltaSec);
  }
  reply(r, R.REPLY_OK);
}

function processMemlimit(r: TextCommandContext, buf: Buffer): void {
  const t = r.session.tokens;
  const ctx = r.ctx;
  setNoreplyMaybe(r, t);
  const mb = safeStrtoul(buf, t.start[1]!, t.end[1]!);
  if (Number.isNaN(mb)) {
    reply(r, R.REPLY_ERROR);
  } else if (mb < 8) {
    reply(r, R.ERR_MEMLIMIT_TOO_SMALL);
  } else if (mb > 1000000000) {
    reply(r, R.ERR_MEMLIMIT_UNITS);
  } else if (ctx.store.setMemLimit(mb * MIB)) {
    if (ctx.log.level > 0) ctx.log.line('maxbytes adjusted to ' + mb + 'm');
    reply(r, R.REPLY_OK);
  } else {
    reply(r, R.ERR_MEMLIMIT_FAILED);
  }
}

function processShutdown(r: TextCommandContext): void {
  const t = r.session.tokens;
  const ctx = r.ctx;
  if (!ctx.settings.enableShutdown) {
    reply(r, R.ERR_SHUTDOWN_DISABLED);
    return;
  }
  const n = mcTokens(t.count);
  if (n === 2) {
    closeNow(r);
    r.session.closeReason = CloseReason.Shutdown;
    ctx.requestShutdown(false);
  } else if (n === 3 && t.is(1, 'graceful')) {
    closeNow(r);
    r.session.closeReason = CloseReason.Shutdown;
    ctx.requestShutdown(true);
  } else {
    reply(r, R.ERR_SHUTDOWN_MODE);
  }
}

function processSlabs(r: TextCommandContext, buf: Buffer): void {
  const t = r.session.tokens;
  const ctx = r.ctx;
  const n = mcTokens(t.count);
  if (n === 5 && t.is(1, 'reassign')) {
    if (!ctx.settings.slabReassign) {
      reply(r, R.ERR_SLAB_REASSIGN_DISABLED);
      return;
    }
    const src = safeStrtol(buf, t.start[2]!, t.end[2]!);
    const dst = Number.isNaN(src) ? NaN : safeStrtol(buf, t.start[3]!, t.end[3]!);
    if (Number.isNaN(dst)) {
      reply(r, R.ERR_BAD_FORMAT);
      return;
    }
    const word = ctx.store.slabsReassign(src, dst);
    const line = R.SLABS_REASSIGN_LINES[word];
    if (line !== undefined) reply(r, line);
    else replyText(r, word);
    return;
  }
  if (n >= 4 && t.is(1, 'automove')) {
    setNoreplyMaybe(r, t);
    const rt = ctx.runtime;
    if (t.is(2, 'ratio')) {
      const ratio = n < 5 ? NaN : safeStrtod(buf, t.start[3]!, t.end[3]!);
      if (Number.isNaN(ratio)) {
        reply(r, R.REPLY_ERROR);
        return;
      }
      rt.slabAutomoveRatio = ratio;
    } else {
      const level = safeStrtoul(buf, t.start[2]!, t.end[2]!);
      if (Number.isNaN(level)) {
        reply(r, R.ERR_BAD_FORMAT);
        return;
      }
      if (level > 2) {
        reply(r, R.REPLY_ERROR);
        return;
      }
      rt.slabAutomove = level; // the store's background turn reads it
    }
    reply(r, R.REPLY_OK);
    return;
  }
  reply(r, R.REPLY_ERROR);
}

function processLru(r: TextCommandContext, buf: Buffer): void {
  const t = r.session.tokens;
  const ctx = r.ctx;
  const rt = ctx.runtime;
  const n = mcTokens(t.count);
  const hasMaintainer = ctx.settings.lruSegmented;
  setNoreplyMaybe(r, t);
  if (t.is(1, 'tune') && n >= 7) {
    const hot = safeStrtoul(buf, t.start[2]!, t.end[2]!);
    const warm = safeStrtoul(buf, t.start[3]!, t.end[3]!);
    const hotFactor = safeStrtod(buf, t.start[4]!, t.end[4]!);
    const factor = safeStrtod(buf, t.start[5]!, t.end[5]!);
    if (Number.isNaN(hot) || Number.isNaN(warm) || Number.isNaN(hotFactor) || Number.isNaN(factor)) {
      reply(r, R.REPLY_ERROR);
    } else if (hot + warm > 80) {
      reply(r, R.ERR_LRU_PCTS);
    } else if (factor <= 0 || hotFactor <= 0) {
      reply(r, R.ERR_LRU_FACTORS);
    } else {
      rt.hotLruPct = hot;
      rt.warmLruPct = warm;
      rt.hotMaxFactor = hotFactor;
      rt.warmMaxFactor = factor;
      reply(r, R.REPLY_OK);
    }
  } else if (t.is(1, 'mode') && n >= 4 && hasMaintainer) {
    if (t.is(2, 'flat')) {
      rt.lruSegmented = false;
      reply(r, R.REPLY_OK);
    } else if (t.is(2, 'segmented')) {
      rt.lruSegmented = true;
      reply(r, R.REPLY_OK);
    } else {
      reply(r, R.REPLY_ERROR);
    }
  } else if (t.is(1, 'temp_ttl') && n >= 4 && hasMaintainer) {
    const ttl = safeStrtol(buf, t.start[2]!, t.end[2]!);
    if (Number.isNaN(ttl)) {
      reply(r, R.REPLY_ERROR);
    } else {
      if (ttl < 0) {
        rt.tempLru = false;
      } else {
        rt.tempLru = true;
        rt.temporaryTtl = ttl;
      }
      reply(r, R.REPLY_OK);
    }
  } else {
    reply(r, R.REPLY_ERROR);
  }
}

function processLruCrawler(r: TextCommandContext): void {
  const t = r.session.tokens;
  const args: string[] = [];
  for (let i = 1; i < t.count; i++) args.push(t.text(i));
  const ctx = r.ctx;
  if (args.length === 2 && args[0] === 'metadump' && r.session.out.length > r.flushMark) {
    // memcached refuses a metadump behind unflushed replies, after its disabled / not-allowed
    // checks: probe those with class 0 (always BADCLASS, no dump, no side effect).
    const probe = ctx.store.lruCrawlerCommand(['metadump', '0']);
    replyText(r, probe.startsWith('BADCLASS') ? 'ERROR cannot pipeline other commands before metadump' : probe);
    return;
  }
  const answer = ctx.store.lruCrawlerCommand(args); // enable/disable/sleep/tocrawl write ctx.runtime
  if (answer === '') return;
  if (answer.endsWith('\r\n')) {
    r.session.out.appendAscii(answer);
    return;
  }
  replyText(r, answer);
}

/** The arguments `watch` takes in memcached 1.6.18, with the events each selects. */
const WATCH_ARGS: ReadonlyArray<readonly [string, number]> = [
  ['rawcmds', WatchFlag.RawCmds],
  ['evictions', WatchFlag.Evictions],
  ['fetchers', WatchFlag.Fetchers],
  ['mutations', WatchFlag.Mutations],
  ['sysevents', WatchFlag.SysEvents],
  ['connevents', WatchFlag.ConnEvents],
  ['proxyreqs', WatchFlag.ProxyReqs],
  ['proxyevents', WatchFlag.ProxyEvents],
  ['proxyuser', WatchFlag.ProxyUser],
];

/**
 * watch [event ...]: the connection becomes a log stream (log/watch.ts) and reads no more
 * commands. No argument means fetchers; an unknown one is ERROR. Its `OK` comes from the log,
 * ahead of its lines, as memcached's logger writes it.
 */
function processWatch(r: TextCommandContext): void {
  const session = r.session;
  const t = session.tokens;
  const ctx = r.ctx;
  setNoreplyMaybe(r, t);
  if (!ctx.settings.watchEnabled) {
    reply(r, R.ERR_WATCH_DISABLED);
    return;
  }
  if (session.out.length > r.flushMark) {
    reply(r, R.ERR_WATCH_PIPELINE);
    return;
  }
  const n = mcTokens(t.count);
  let flags = 0;
  if (n > 2) {
    for (let x = 1; x < n - 1; x++) {
      let flag = 0;
      for (const [name, f] of WATCH_ARGS) {
        if (t.is(x, name)) {
          flag = f;
          break;
        }
      }
      if (flag === 0) {
        reply(r, R.REPLY_ERROR);
        return;
      }
      flags |= flag;
    }
  } else {
    flags = WatchFlag.Fetchers;
  }
  // Over UDP memcached's logger cannot write to the (unconnected) socket: no reply, no watcher.
  if (session.watchSink === null) return;
  const watcher = ctx.watch.add(session.watchSink, flags);
  if (watcher === 'too_many') {
    reply(r, R.ERR_WATCHER_TOO_MANY);
    return;
  }
  if (watcher === 'failed') {
    reply(r, R.ERR_WATCHER_FAILED);
    return;
  }
  session.watcher = watcher;
  r.isWatching = true;
  session.stateName = 'conn_watch';
}

// ------------------------------------------------------------------------------------------
// stats
// ------------------------------------------------------------------------------------------

function processStats(r: TextCommandContext, buf: Buffer): void {
  const session = r.session;
  const t = session.tokens;
  const ctx = r.ctx;
  const out = session.out;
  const n = mcTokens(t.count);
  const emit = statEmitterFor(r);
  if (n === 2) {
    emitGeneralStats(ctx, emit);
    out.append(R.REPLY_END);
    return;
  }
  if (t.is(1, 'reset')) {
    resetStats(ctx);
    reply(r, R.REPLY_RESET);
    return;
  }
  if (t.is(1, 'detail')) {
    const rt = ctx.runtime;
    if (n >= 4 && t.is(2, 'on')) {
      rt.detailEnabled = true;
      reply(r, R.REPLY_OK);
    } else if (n >= 4 && t.is(2, 'off')) {
      rt.detailEnabled = false;
      reply(r, R.REPLY_OK);
    } else if (n >= 4 && t.is(2, 'dump')) {
      out.appendAscii(ctx.prefixStats.dumpLines());
      out.append(R.REPLY_END);
    } else {
      reply(r, R.ERR_STATS_DETAIL_USAGE);
    }
    return;
  }
  if (t.is(1, 'settings')) {
    emitSettingsStats(ctx, emit);
    out.append(R.REPLY_END);
    return;
  }
  if (t.is(1, 'cachedump')) {
    if (!ctx.settings.dumpEnabled) {
      reply(r, R.ERR_CACHEDUMP_DISABLED);
      return;
    }
    if (n < 5) {
      reply(r, R.ERR_BAD_COMMAND_LINE);
      return;
    }
    const id = safeStrtoul(buf, t.start[2]!, t.end[2]!);
    const limit = Number.isNaN(id) ? NaN : safeStrtoul(buf, t.start[3]!, t.end[3]!);
    if (Number.isNaN(limit)) {
      reply(r, R.ERR_BAD_FORMAT);
      return;
    }
    if (id >= MAX_NUMBER_OF_SLAB_CLASSES) {
      reply(r, R.ERR_ILLEGAL_SLAB_ID);
      return;
    }
    ctx.store.cachedump(id, limit, (ref, _keyLen, valueLen, exptimeUnix) => {
      out.appendAscii('ITEM ');
      out.ensure(KEY_MAX_LENGTH);
      out.pos += ctx.store.copyKey(ref, out.cur, out.pos);
      out.appendAscii(' [');
      out.appendUint(valueLen);
      out.appendAscii(' b; ');
      out.appendUint(exptimeUnix);
      out.appendAscii(' s]\r\n');
    });
    out.append(R.REPLY_END);
    return;
  }
  if (t.is(1, 'conns')) {
    emitConnsStats(ctx, emit);
    out.append(R.REPLY_END);
    return;
  }
  if (t.is(1, 'items')) {
    ctx.store.emitItems(emit);
  } else if (t.is(1, 'slabs')) {
    ctx.store.emitSlabs(emit);
  } else if (t.is(1, 'sizes') || t.is(1, 'sizes_enable') || t.is(1, 'sizes_disable')) {
    ctx.store.emitSizes(emit);
  } else if (t.is(1, 'memcachedts')) {
    emitExtraStats(ctx, emit);
  } else {
    reply(r, R.REPLY_ERROR);
    return;
  }
  out.append(R.REPLY_END);
}
