// Meta commands (mg ms md ma mn me) on the text front end, byte for byte as memcached 1.6.18.
//
// Grammar (memcached doc/protocol.txt):   <cm> <key> <datalen*> <flag>*\r\n
//   mg <key> <flag>*        -> VA <len> <flag>* / data | HD <flag>* | EN
//   ms <key> <datalen> <flag>* / data -> HD | NS | EX | NF, with O k c
//   md <key> <flag>*        -> HD | NF | EX, with O k
//   ma <key> <flag>*        -> HD | VA <len> / number | NF | NS | EX
//   mn                      -> MN
//   me <key> [b]            -> ME <key> exp= la= cas= fetch= cls= size= | EN
//
// 1.6.18 quirks kept on purpose (each checked against the real binary):
// - Every command shares one flag pre-parse: any known flag is accepted by any command and
//   ignored where it means nothing (`mg foo F5 I` is fine). md and ma report any flag error as
//   `CLIENT_ERROR invalid or duplicate flag`; mg and ms report the specific message.
// - Flags act in request order: `mg k T30 t` shows the new TTL, `mg k t T30` the old one; an O
//   token over 32 bytes fails the command where it stands, after earlier flags took effect.
// - q hides: mg's EN (not HD/VA on a hit), ms's HD, md's HD, ma's HD/VA when an existing
//   number changed (not a vivified one). NF, NS, EX and errors always show.
// - `ms` swallows its data block after a flag, mode, opaque or too-large error, but not after a
//   bad key, token count or <datalen> (the data line is then read as a command).
// - `cmd_meta` counts `me` only; mg counts cmd_get + get_hits/get_misses, or cmd_touch +
//   touch_hits when T touched a hit; a vivified miss counts as a hit; md counts delete_hits
//   (delete) and delete_misses (miss or cas mismatch); ma counts incr/decr hits and misses.
// - -vv prints `>N <reply>` only for replies memcached writes with out_string: errors, MN and
//   me's EN. Normal mg/ms/md/ma replies are not echoed.
//
// The flag set is 1.6.18's, no more: later memcached's `E<cas>` and md's `x` are unknown flags
// here as there (`CLIENT_ERROR invalid flag` from mg and ms, `invalid or duplicate flag` from
// md and ma), and `s`/`N` on ms and `C` on mg keep 1.6.18's meaning (accepted and ignored).

import type { Session } from '../session.js';
import type { ValueConsumer } from '../reader-contract.js';
import type { ItemRef, ItemView } from '../../store/store.js';
import { AllocError, DeltaResult, GetOpt, ItemBit, StoreMode, StoreResult } from '../../store/store.js';
import type { OutBuffer } from '../out-buffer.js';
import { MAX_OPAQUE_TOKEN, MetaFlags, parseMetaFlags } from './flags.js';
import {
  ERR_BAD_DATA_CHUNK,
  ERR_BAD_FORMAT,
  ERR_FLAGS_TOO_LONG,
  ERR_FLAGS_TOO_LONG_MG,
  ERR_INVALID_OR_DUP_FLAG,
  ERR_MA_MODE,
  ERR_MS_MODE,
  ERR_NO_MEMORY,
  ERR_NO_MEMORY_STORING,
  ERR_NON_NUMERIC,
  ERR_OOM_NEW_ITEM,
  ERR_OPAQUE_TOO_LONG,
  ERR_TOO_LARGE,
  REPLY_EN,
  REPLY_ERROR,
  REPLY_MN,
} from '../replies.js';
import { safeStrtol } from '../../common/c-numbers.js';
import { KEY_MAX_LENGTH } from '../../common/limits.js';
import { appendBase64, decodeBase64 } from './key-b64.js';

const HD = Buffer.from('HD', 'latin1');
const VA_ = Buffer.from('VA ', 'latin1');
const EN = Buffer.from('EN', 'latin1');
const NS = Buffer.from('NS', 'latin1');
const EX = Buffer.from('EX', 'latin1');
const NF = Buffer.from('NF', 'latin1');
const ME_ = Buffer.from('ME ', 'latin1');
const EXP_ = Buffer.from(' exp=', 'latin1');
const LA_ = Buffer.from(' la=', 'latin1');
const CAS_ = Buffer.from(' cas=', 'latin1');
const FETCH_YES = Buffer.from(' fetch=yes', 'latin1');
const FETCH_NO = Buffer.from(' fetch=no', 'latin1');
const CLS_ = Buffer.from(' cls=', 'latin1');
const SIZE_ = Buffer.from(' size=', 'latin1');

// memcached's MFLAG_MAX_OPT_LENGTH: 20 tokens counting its terminal empty token.
const MAX_META_TOKENS = 19;

const SP = 0x20;
const CH_b = 0x62;

// One MetaFlags for every command: a command finishes before the next starts (single thread).
// ms keeps what its reply needs in its per-session MetaSetState until the data block arrives.
const flags = new MetaFlags();
/** A lookup that leaves the item as it was: no stats, no LRU bump, no fetched mark. */
const PEEK = GetOpt.NoStats | GetOpt.NoBump | GetOpt.NoFetchMark;
/** A look memcached's command does not take (a re-read after a store, a peek before incr): unwatched. */
const REPEEK = PEEK | GetOpt.NoWatch;
const KEY_COPY = Buffer.alloc(256);

/** Runs the meta command on buf[lineStart, lineEnd) (no CR/LF); the reply goes to session.out. */
export function executeMeta(session: Session, owner: MetaStateOwner, buf: Buffer, lineStart: number, lineEnd: number): void {
  const t = session.tokens;
  t.tokenize(buf, lineStart, lineEnd);
  if (t.count === 0 || t.len(0) !== 2 || buf[t.start[0]!] !== 0x6d) {
    writeLine(session, REPLY_ERROR);
    return;
  }
  switch (buf[t.start[0]! + 1]) {
    case 0x67: // g
      metaGet(session);
      break;
    case 0x73: // s
      metaSet(session, owner);
      break;
    case 0x64: // d
      metaDelete(session);
      break;
    case 0x61: // a
      metaArithmetic(session);
      break;
    case 0x6e: // n
      writeLine(session, REPLY_MN);
      break;
    case 0x65: // e
      metaDebug(session);
      break;
    default:
      writeLine(session, REPLY_ERROR);
  }
}

// --- shared reply pieces ------------------------------------------------------------------------

/** A whole reply line the way memcached's out_string writes it (echoed at -vv). */
function writeLine(session: Session, reply: Buffer): void {
  session.out.append(reply);
  const log = session.ctx.log;
  if (log.level >= 2) log.line('>' + session.conn.id + ' ' + reply.toString('latin1', 0, reply.length - 2));
}

function appendSpaceChar(out: OutBuffer, c: number): void {
  out.appendByte(SP);
  out.appendByte(c);
}

/** ` k<key>`, or ` k<base64> b` for a binary key. */
function appendKeyFlag(out: OutBuffer, key: Buffer, keyStart: number, keyLen: number, isBinary: boolean): void {
  appendSpaceChar(out, 0x6b);
  if (isBinary) {
    appendBase64(out, key, keyStart, keyLen);
    appendSpaceChar(out, CH_b);
  } else {
    out.appendBytes(key, keyStart, keyStart + keyLen);
  }
}

/** Seconds as memcached prints them with itoa_u32 (a negative difference wraps). */
function appendU32(out: OutBuffer, n: number): void {
  out.appendUint(n >>> 0);
}

/** ` t<seconds left>`, ` t-1` for an item that never expires (mg and ma). */
function appendTtlFlag(out: OutBuffer, exptime: number, now: number): void {
  appendSpaceChar(out, 0x74);
  if (exptime === 0) {
    out.appendByte(0x2d);
    out.appendByte(0x31);
  } else appendU32(out, exptime - now);
}

function appendInt(out: OutBuffer, n: number): void {
  if (n < 0) {
    out.appendByte(0x2d);
    out.appendUint(-n);
  } else out.appendUint(n);
}

/** The O/k echo every status line carries (md, ma, mg miss). */
function appendOpaqueAndKey(session: Session, f: MetaFlags): void {
  const t = session.tokens;
  const out = session.out;
  for (let i = 2; i < t.count; i++) {
    const s = t.start[i]!;
    const c = t.buf[s]!;
    if (c === 0x4f) {
      out.appendByte(SP);
      out.appendBytes(t.buf, s, t.end[i]!);
    } else if (c === 0x6b) {
      appendKeyFlag(out, f.keyBuf, f.keyStart, f.keyLen, f.isKeyBinary);
    }
  }
}

function keyTooLong(session: Session): boolean {
  return session.tokens.len(1) > KEY_MAX_LENGTH;
}

// --- mg -------------------------------------------------------------------------------------------

// mg <key> <flag>*
function metaGet(session: Session): void {
  const t = session.tokens;
  const f = flags;
  if (t.count < 2) return writeLine(session, REPLY_ERROR);
  if (keyTooLong(session)) return writeLine(session, ERR_BAD_FORMAT);
  if (t.count >= MAX_META_TOKENS) return writeLine(session, ERR_FLAGS_TOO_LONG_MG);
  if (!parseMetaFlags(t, 2, f)) return writeLine(session, f.error!);

  const ctx = session.ctx;
  const store = ctx.store;
  const view = session.view;
  const failsOnOpaque = f.longOpaqueAt >= 0;
  // memcached reads h/l before its (delayed) bump; view holds the state from before the lookup.
  // A command that will fail on a long opaque after locking the item never bumps it.
  const doBump = !f.noUpdate && !(f.isLocked && failsOnOpaque);
  const opts = GetOpt.NoStats | (doBump ? 0 : GetOpt.NoBump | GetOpt.NoFetchMark);
  let hit = store.get(f.keyBuf, f.keyStart, f.keyLen, view, opts, 0);
  let created = false;
  if (!hit && f.vivify) {
    // A stub of 0 bytes, never expiring until N sets its TTL below; not a "set" in the stats.
    const ref = store.allocate(f.keyBuf, f.keyStart, f.keyLen, 0, 0, 0);
    if (ref >= 0 && store.link(ref, StoreMode.Add, 0) === StoreResult.Stored) {
      // memcached bumps the stub too (marking it fetched) once the reply is built.
      hit = store.get(f.keyBuf, f.keyStart, f.keyLen, view, opts | GetOpt.NoWatch, 0);
      if (hit) {
        created = true;
        store.adjustStat('cmd_set', view.slabClass, -1);
      }
    }
  }
  if (hit) mgHit(session, f, view, created, failsOnOpaque);
  else mgMiss(session, f, failsOnOpaque);
}

function mgHit(session: Session, f: MetaFlags, view: ItemView, created: boolean, failsOnOpaque: boolean): void {
  const store = session.ctx.store;
  const t = session.tokens;
  const out = session.out;
  const ref = view.ref;
  const now = store.now();
  const bits = view.itemBits;
  let exptime = view.exptime; // server-relative, as flags change it in order
  let newExptime = -1; // client form to store, -1 = unchanged
  let won = false;
  let ttlSet = false;
  const writing = !failsOnOpaque;
  if (writing) {
    if (f.wantValue) {
      out.append(VA_);
      out.appendUint(view.valueLen);
    } else out.append(HD);
  }
  for (let i = 2; i < t.count; i++) {
    const s = t.start[i]!;
    switch (t.buf[s]) {
      case 0x54: // T
        ttlSet = true;
        exptime = store.realTime(f.exptime);
        newExptime = f.exptime;
        break;
      case 0x4e: // N
        if (created) {
          exptime = store.realTime(f.vivifyExptime);
          newExptime = f.vivifyExptime;
          won = true;
        }
        break;
      case 0x52: // R
        if ((bits & ItemBit.TokenSent) === 0 && !created && exptime !== 0 && exptime < store.realTime(f.recacheExptime)) {
          won = true;
        }
        break;
      case 0x4f: // O
        if (i === f.longOpaqueAt) {
          if (newExptime >= 0) store.setExptime(ref, newExptime);
          writeLine(session, ERR_OPAQUE_TOO_LONG);
          return;
        }
        if (writing) {
          out.appendByte(SP);
          out.appendBytes(t.buf, s, t.end[i]!);
        }
        break;
      default:
        if (writing) appendMgReturnFlag(out, t.buf[s]!, f, view, exptime, now);
    }
  }
  if (newExptime >= 0) store.setExptime(ref, newExptime);
  // Z before W: a client never sees both.
  if ((bits & ItemBit.TokenSent) !== 0) appendSpaceChar(out, 0x5a);
  if ((bits & ItemBit.Stale) !== 0) {
    appendSpaceChar(out, 0x58);
    if ((bits & ItemBit.TokenSent) === 0) won = true;
  }
  if (won) {
    appendSpaceChar(out, 0x57);
    store.setItemBits(ref, ItemBit.TokenSent);
  }
  out.appendCrlf();
  if (f.wantValue) out.appendValue(store, ref, view.valueLen, true);
  const ctx = session.ctx;
  if (ttlSet) {
    ctx.counters.cmd_touch++;
    store.adjustStat('touch_hits', view.slabClass, 1);
  } else {
    ctx.counters.cmd_get++;
    store.adjustStat('get_hits', view.slabClass, 1);
  }
}

function appendMgReturnFlag(out: OutBuffer, c: number, f: MetaFlags, view: ItemView, exptime: number, now: number): void {
  switch (c) {
    case 0x73: // s
      appendSpaceChar(out, c);
      out.appendUint(view.valueLen);
      break;
    case 0x74: // t
      appendTtlFlag(out, exptime, now);
      break;
    case 0x63: // c
      appendSpaceChar(out, c);
      out.appendUint(view.cas);
      break;
    case 0x66: // f
      appendSpaceChar(out, c);
      out.appendUint(view.flags);
      break;
    case 0x6c: // l
      appendSpaceChar(out, c);
      appendU32(out, now - view.lastAccess);
      break;
    case 0x68: // h
      appendSpaceChar(out, c);
      out.appendByte((view.itemBits & ItemBit.Fetched) !== 0 ? 0x31 : 0x30);
      break;
    case 0x6b: // k: the item's own idea of whether its key is binary
      appendKeyFlag(out, f.keyBuf, f.keyStart, f.keyLen, (view.itemBits & ItemBit.KeyBinary) !== 0);
      break;
  }
}

function mgMiss(session: Session, f: MetaFlags, failsOnOpaque: boolean): void {
  const store = session.ctx.store;
  session.ctx.counters.cmd_get++;
  store.adjustStat('get_misses', 0, 1);
  if (failsOnOpaque) return writeLine(session, ERR_OPAQUE_TOO_LONG);
  if (f.noReply) return;
  const out = session.out;
  out.append(EN);
  appendOpaqueAndKey(session, f);
  out.appendCrlf();
}

// --- ms -------------------------------------------------------------------------------------------

const OP_OPAQUE = 1;
const OP_KEY = 2;
const OP_CAS = 3;

/** What an ms reply needs once its data block has arrived; one per session. */
/** What an `ms` reply needs until its value block has arrived; one per connection (its owner). */
export class MetaSetState implements ValueConsumer<Session> {
  mode: StoreMode = StoreMode.Set;
  casIn = 0;
  noReply = false;
  readonly key = Buffer.alloc(256);
  keyLen = 0;
  isKeyBinary = false;
  readonly ops = new Uint8Array(4);
  opCount = 0;
  readonly opaque = Buffer.alloc(MAX_OPAQUE_TOKEN);
  opaqueLen = 0;

  finishValue(session: Session, ref: ItemRef, ok: boolean): void {
    if (ref < 0) return; // swallowed after an error already written
    const store = session.ctx.store;
    if (!ok) {
      store.release(ref);
      writeLine(session, ERR_BAD_DATA_CHUNK);
      return;
    }
    const result = store.link(ref, this.mode, this.casIn);
    let cas = 0;
    let code: Buffer;
    switch (result) {
      case StoreResult.Stored:
        cas = store.lastCas;
        if (this.noReply) return;
        code = HD;
        break;
      case StoreResult.Exists:
        code = EX;
        break;
      case StoreResult.NotFound:
        code = NF;
        break;
      default: // NotStored, or memory trouble while appending: memcached answers NOT_STORED
        code = NS;
    }
    const out = session.out;
    out.append(code);
    for (let i = 0; i < this.opCount; i++) {
      switch (this.ops[i]) {
        case OP_OPAQUE:
          out.appendByte(SP);
          out.appendBytes(this.opaque, 0, this.opaqueLen);
          break;
        case OP_KEY:
          appendKeyFlag(out, this.key, 0, this.keyLen, this.isKeyBinary);
          break;
        case OP_CAS:
          appendSpaceChar(out, 0x63);
          out.appendUint(cas);
          break;
      }
    }
    out.appendCrlf();
  }
}

/** The per-connection holder of ms state (the text front end), filled on the first ms. */
export interface MetaStateOwner {
  metaSetState: MetaSetState | null;
  /** The value block of len bytes and \r\n follows: into ref, or swallowed when ref < 0. */
  expectValue(ref: ItemRef, len: number, consumer: ValueConsumer<Session>): void;
}

// ms <key> <datalen> <flag>*
function metaSet(session: Session, owner: MetaStateOwner): void {
  const t = session.tokens;
  const f = flags;
  if (t.count < 2) return writeLine(session, REPLY_ERROR);
  if (keyTooLong(session) || t.count === 2) return writeLine(session, ERR_BAD_FORMAT);
  if (t.count >= MAX_META_TOKENS) return writeLine(session, ERR_FLAGS_TOO_LONG);
  const buf = t.buf;
  const vlen = parseDatalen(buf, t.start[2]!, t.end[2]!);
  if (vlen < 0) return writeLine(session, ERR_BAD_FORMAT);
  const st = owner.metaSetState ?? (owner.metaSetState = new MetaSetState());
  if (!parseMetaFlags(t, 3, f)) return msSwallow(session, owner, st, vlen, f.error!);

  st.opCount = 0;
  for (let i = 3; i < t.count; i++) {
    const s = t.start[i]!;
    const c = buf[s];
    if (c === 0x4f) {
      const n = t.end[i]! - s;
      if (n <= MAX_OPAQUE_TOKEN) {
        buf.copy(st.opaque, 0, s, s + n);
        st.opaqueLen = n;
      }
      st.ops[st.opCount++] = OP_OPAQUE;
    } else if (c === 0x6b) st.ops[st.opCount++] = OP_KEY;
    else if (c === 0x63) st.ops[st.opCount++] = OP_CAS;
  }
  let mode: StoreMode;
  switch (f.mode) {
    case 0:
    case 0x53: // S
      mode = StoreMode.Set;
      break;
    case 0x45: // E: add
      mode = StoreMode.Add;
      break;
    case 0x41: // A
      mode = StoreMode.Append;
      break;
    case 0x50: // P
      mode = StoreMode.Prepend;
      break;
    case 0x52: // R
      mode = StoreMode.Replace;
      break;
    default:
      return msSwallow(session, owner, st, vlen, ERR_MS_MODE);
  }
  // A cas turns set and replace into cas; add ignores it; append/prepend check it themselves.
  if (f.hasCas && (mode === StoreMode.Set || mode === StoreMode.Replace)) {
    mode = f.setStale ? StoreMode.CasStale : StoreMode.Cas;
  }
  if (f.longOpaqueAt >= 0) return msSwallow(session, owner, st, vlen, ERR_OPAQUE_TOO_LONG);

  const store = session.ctx.store;
  const exptime = f.hasNewTtl ? f.exptime : 0;
  const ref = store.allocate(f.keyBuf, f.keyStart, f.keyLen, f.clientFlags, exptime, vlen);
  if (ref < 0) {
    // Stale data must not survive a failed store, whatever the mode.
    store.noteAllocFailure(ref, f.keyBuf, f.keyStart, f.keyLen, true, mode);
    return msSwallow(session, owner, st, vlen, ref === AllocError.TooLarge ? ERR_TOO_LARGE : ERR_NO_MEMORY_STORING);
  }
  if (f.isKeyBinary) store.setItemBits(ref, ItemBit.KeyBinary);
  st.mode = mode;
  st.casIn = f.hasCas ? f.reqCas : 0;
  st.noReply = f.noReply;
  f.keyBuf.copy(st.key, 0, f.keyStart, f.keyStart + f.keyLen);
  st.keyLen = f.keyLen;
  st.isKeyBinary = f.isKeyBinary;
  owner.expectValue(ref, vlen, st);
}

function msSwallow(session: Session, owner: MetaStateOwner, st: MetaSetState, vlen: number, err: Buffer): void {
  writeLine(session, err);
  owner.expectValue(-1, vlen, st);
}

/** <datalen>: safe_strtol (int32 truncation), then 0 <= n <= INT_MAX - 2; -1 when not. */
function parseDatalen(buf: Buffer, s: number, e: number): number {
  const n = safeStrtol(buf, s, e);
  return n >= 0 && n <= 2147483645 ? n : -1;
}

// --- md -------------------------------------------------------------------------------------------

// md <key> <flag>*
function metaDelete(session: Session): void {
  const t = session.tokens;
  const f = flags;
  if (t.count < 2) return writeLine(session, REPLY_ERROR);
  if (keyTooLong(session)) return writeLine(session, ERR_BAD_FORMAT);
  if (t.count >= MAX_META_TOKENS) return writeLine(session, ERR_FLAGS_TOO_LONG);
  if (!parseMetaFlags(t, 2, f)) return writeLine(session, ERR_INVALID_OR_DUP_FLAG);
  if (f.longOpaqueAt >= 0) return writeLine(session, ERR_OPAQUE_TOO_LONG);

  const store = session.ctx.store;
  const view = session.view;
  let code: Buffer;
  if (!store.get(f.keyBuf, f.keyStart, f.keyLen, view, PEEK, 0)) {
    store.adjustStat('delete_misses', 0, 1);
    code = NF;
  } else if (f.hasCas && view.cas !== f.reqCas) {
    store.adjustStat('delete_misses', 0, 1);
    code = EX;
  } else if (f.setStale) {
    // Invalidate: keep serving the value, marked stale, with a fresh cas; the next mg wins.
    const ref = view.ref;
    if (f.hasNewTtl) store.setExptime(ref, f.exptime);
    store.setItemBits(ref, ItemBit.Stale);
    store.clearItemBits(ref, ItemBit.TokenSent);
    store.bumpCas(ref);
    if (f.noReply) return;
    code = HD;
  } else {
    store.adjustStat('delete_hits', view.slabClass, 1);
    store.unlinkRef(view.ref);
    if (f.noReply) return;
    code = HD;
  }
  session.out.append(code);
  appendOpaqueAndKey(session, f);
  session.out.appendCrlf();
}

// --- ma -------------------------------------------------------------------------------------------

const NUM_SCRATCH = Buffer.alloc(24);

// ma <key> <flag>*
function metaArithmetic(session: Session): void {
  const t = session.tokens;
  const f = flags;
  if (t.count < 2) return writeLine(session, REPLY_ERROR);
  if (keyTooLong(session)) return writeLine(session, ERR_BAD_FORMAT);
  if (t.count >= MAX_META_TOKENS) return writeLine(session, ERR_FLAGS_TOO_LONG);
  if (!parseMetaFlags(t, 2, f)) return writeLine(session, ERR_INVALID_OR_DUP_FLAG);
  let isIncr: boolean;
  switch (f.mode) {
    case 0:
    case 0x49: // I
    case 0x2b: // +
      isIncr = true;
      break;
    case 0x44: // D
    case 0x2d: // -
      isIncr = false;
      break;
    default:
      return writeLine(session, ERR_MA_MODE);
  }

  const store = session.ctx.store;
  const view = session.view;
  const out = session.out;
  let hasItem = false;
  let created = false;
  let value = 0n;
  let cas = 0;
  let code: Buffer | null = null;
  let isQuiet = false; // q hides the reply to a changed number only
  // When a number outgrows its item, memcached links a copy but keeps working on the old,
  // unlinked item: a T in the same command then changes nothing that stays. Know which it was.
  let oldRef = -1;
  if (f.hasNewTtl && store.get(f.keyBuf, f.keyStart, f.keyLen, view, REPEEK, 0)) {
    oldRef = view.ref;
  }
  switch (store.delta(f.keyBuf, f.keyStart, f.keyLen, isIncr, f.delta, f.hasCas ? f.reqCas : 0, 0n, null, view)) {
    case DeltaResult.Ok:
      isQuiet = f.noReply;
      hasItem = true;
      value = store.deltaValue;
      cas = store.lastCas;
      break;
    case DeltaResult.NonNumeric:
      return writeLine(session, ERR_NON_NUMERIC);
    case DeltaResult.NoMemory:
      return writeLine(session, ERR_NO_MEMORY);
    case DeltaResult.Exists:
      code = EX;
      break;
    case DeltaResult.NotFound:
      // The store counted an incr/decr miss; memcached does not when it vivifies.
      if (!f.vivify) {
        code = NF;
        break;
      }
      store.adjustStat(isIncr ? 'incr_misses' : 'decr_misses', 0, -1);
      if (!vivifyNumber(session, f)) return writeLine(session, ERR_OOM_NEW_ITEM);
      hasItem = true;
      created = true;
      value = f.initial;
      cas = view.cas;
      break;
  }

  if (!hasItem) {
    if (f.longOpaqueAt >= 0) return writeLine(session, ERR_OPAQUE_TOO_LONG);
    out.append(code!);
    appendOpaqueAndKey(session, f);
    out.appendCrlf();
    return;
  }

  // The number's digits, for VA's length and the data line.
  const digits = formatUint64(value);
  const writing = f.longOpaqueAt < 0 && !isQuiet;
  if (writing) {
    if (f.wantValue) {
      out.append(VA_);
      out.appendUint(digits);
    } else out.append(HD);
  }
  const now = store.now();
  let exptime = view.exptime;
  let newExptime = -1;
  for (let i = 2; i < t.count; i++) {
    const s = t.start[i]!;
    switch (t.buf[s]) {
      case 0x63: // c
        if (writing) {
          appendSpaceChar(out, 0x63);
          out.appendUint(cas);
        }
        break;
      case 0x74: // t
        if (writing) appendTtlFlag(out, exptime, now);
        break;
      case 0x54: // T
        exptime = store.realTime(f.exptime);
        newExptime = f.exptime;
        break;
      case 0x4e: // N
        if (created) {
          exptime = store.realTime(f.vivifyExptime);
          newExptime = f.vivifyExptime;
        }
        break;
      case 0x4f: // O
        if (i === f.longOpaqueAt) {
          if (newExptime >= 0 && !(oldRef >= 0 && !created && view.ref !== oldRef)) store.setExptime(view.ref, newExptime);
          return writeLine(session, ERR_OPAQUE_TOO_LONG);
        }
        if (writing) {
          out.appendByte(SP);
          out.appendBytes(t.buf, s, t.end[i]!);
        }
        break;
      case 0x6b: // k
        if (writing) appendKeyFlag(out, f.keyBuf, f.keyStart, f.keyLen, f.isKeyBinary);
        break;
    }
  }
  const isCopied = oldRef >= 0 && !created && view.ref !== oldRef;
  if (newExptime >= 0 && !isCopied) store.setExptime(view.ref, newExptime);
  if (!writing) return;
  if (f.wantValue) {
    out.appendCrlf();
    out.appendBytes(NUM_SCRATCH, NUM_SCRATCH.length - digits, NUM_SCRATCH.length);
  }
  out.appendCrlf();
}

/** ma N on a miss: stores J (default 0) as a fresh item, like add; fills session.view. */
function vivifyNumber(session: Session, f: MetaFlags): boolean {
  const store = session.ctx.store;
  const digits = formatUint64(f.initial);
  const ref = store.allocate(f.keyBuf, f.keyStart, f.keyLen, 0, 0, digits);
  if (ref < 0) return false;
  store.writeValue(ref, 0, NUM_SCRATCH, NUM_SCRATCH.length - digits, digits);
  if (store.link(ref, StoreMode.Add, 0) !== StoreResult.Stored) return false;
  const view = session.view;
  if (!store.get(f.keyBuf, f.keyStart, f.keyLen, view, REPEEK, 0)) return false;
  store.adjustStat('cmd_set', view.slabClass, -1);
  return true;
}

/** Writes the decimal digits of a uint64 at the end of NUM_SCRATCH; returns their count. */
function formatUint64(v: bigint): number {
  let p = NUM_SCRATCH.length;
  if (v <= 9007199254740991n) {
    let n = Number(v);
    do {
      const q = Math.floor(n / 10);
      NUM_SCRATCH[--p] = 0x30 + (n - q * 10);
      n = q;
    } while (n > 0);
  } else {
    let n = v;
    do {
      NUM_SCRATCH[--p] = 0x30 + Number(n % 10n);
      n /= 10n;
    } while (n > 0n);
  }
  return NUM_SCRATCH.length - p;
}

// --- me -------------------------------------------------------------------------------------------

// me <key> [b]
function metaDebug(session: Session): void {
  const t = session.tokens;
  const buf = t.buf;
  if (t.count < 2 || keyTooLong(session)) return writeLine(session, ERR_BAD_FORMAT);
  let key = buf;
  let keyStart = t.start[1]!;
  let keyLen = t.len(1);
  if (t.count >= 3 && t.len(2) === 1 && buf[t.start[2]!] === CH_b) {
    const n = decodeBase64(buf, keyStart, keyLen, KEY_COPY, 0);
    if (n === 0) return writeLine(session, ERR_BAD_FORMAT);
    key = KEY_COPY;
    keyStart = 0;
    keyLen = n;
  }
  const ctx = session.ctx;
  const store = ctx.store;
  const view = session.view;
  ctx.counters.cmd_meta++;
  if (!store.get(key, keyStart, keyLen, view, PEEK, 0)) {
    return writeLine(session, REPLY_EN);
  }
  const out = session.out;
  const now = store.now();
  out.append(ME_);
  if ((view.itemBits & ItemBit.KeyBinary) !== 0) appendBase64(out, key, keyStart, keyLen);
  else out.appendBytes(key, keyStart, keyStart + keyLen);
  out.append(EXP_);
  appendInt(out, view.exptime === 0 ? -1 : (now - view.exptime) | 0);
  out.append(LA_);
  appendU32(out, now - view.lastAccess);
  out.append(CAS_);
  out.appendUint(view.cas);
  out.append((view.itemBits & ItemBit.Fetched) !== 0 ? FETCH_YES : FETCH_NO);
  out.append(CLS_);
  out.appendUint(view.slabClass);
  out.append(SIZE_);
  out.appendUint(store.itemTotalSize(view.ref));
  out.appendCrlf();
}
