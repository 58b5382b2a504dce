// Commands that change items: set / add / replace / append / prepend / cas (the value block is
// read into the allocated item, then linked), delete, incr / decr and touch.

import type { Session } from '../session.js';
import type { ValueConsumer } from '../reader-contract.js';
import type { ItemRef } from '../../store/store.js';
import { AllocError, DeleteResult, DeltaResult, StoreMode, StoreResult } from '../../store/store.js';
import type { TextCommandContext } from './command-context.js';
import { safeStrtol, safeStrtoul, safeStrtoull, safeStrtoullExact } from '../../common/c-numbers.js';
import { KEY_MAX_LENGTH } from '../../common/limits.js';
import * as R from '../replies.js';
import { mcTokens, reply, setNoreplyMaybe } from './command-support.js';

const INT_MAX = 2147483647;

/** Finishes a classic storage command once its value block is in (or was swallowed). */
class ClassicValueConsumer implements ValueConsumer<Session> {
  private readonly frontEnd: TextCommandContext;
  mode: StoreMode;
  casIn: number;

  constructor(frontEnd: TextCommandContext) {
    this.frontEnd = frontEnd;
    this.mode = StoreMode.Set;
    this.casIn = 0;
  }

  finishValue(_session: Session, ref: ItemRef, ok: boolean): void {
    const r = this.frontEnd;
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

export function processUpdate(r: TextCommandContext, buf: Buffer, mode: StoreMode, handleCas: boolean): void {
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
    r.expectValue(-1, vlen, consumer);
    return;
  }
  consumer.mode = mode;
  consumer.casIn = casIn;
  r.expectValue(ref, vlen, consumer);
}

export function processDelete(r: TextCommandContext, buf: Buffer): void {
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

export function processArithmetic(r: TextCommandContext, buf: Buffer, isIncr: boolean): void {
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

export function processTouch(r: TextCommandContext, buf: Buffer): void {
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
