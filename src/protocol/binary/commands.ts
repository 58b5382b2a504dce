// Binary commands over the store (proto_bin.c's process_bin_*): each one reads its extras and
// key in place from the input buffer and writes its reply into the session's OutBuffer.

import type { BinaryCommandContext } from './command-context.js';
import { GetOpt, StoreMode, StoreResult, DeleteResult, DeltaResult, AllocError } from '../../store/store.js';
import { Opcode, Status, BODY_ENOMEM_ALLOCATING, BODY_ENOMEM_INCR, BODY_ENOMEM_NEW_ITEM } from './header.js';
import { emitBinaryStats } from './stats.js';

const UINT32_MAX = 0xffffffff;

/** GET/GETQ/GETK/GETKQ, TOUCH, GAT/GATQ/GATK/GATKQ. */
export function processGetOrTouch(r: BinaryCommandContext, buf: Buffer, extStart: number, keyStart: number): void {
  const base = r.baseOpcode;
  const isTouch = base === Opcode.Touch || base === Opcode.Gat || base === Opcode.GatK;
  const returnKey = base === Opcode.GetK || base === Opcode.GatK;
  const returnValue = base !== Opcode.Touch;
  const keyLen = r.keyLen;
  const ctx = r.ctx;
  const store = ctx.store;
  const view = r.session.view;

  if (ctx.log.level >= 2) {
    ctx.log.line('<' + r.session.conn.id + (isTouch ? ' TOUCH ' : ' GET ') + buf.toString('latin1', keyStart, keyStart + keyLen));
  }

  let hit: boolean;
  if (isTouch) {
    ctx.counters.cmd_touch++;
    hit = store.get(buf, keyStart, keyLen, view, GetOpt.Touch | GetOpt.CountAsTouch, buf.readUInt32BE(extStart));
  } else {
    ctx.counters.cmd_get++;
    hit = store.get(buf, keyStart, keyLen, view, GetOpt.None, 0);
  }
  if (ctx.runtime.detailEnabled) ctx.prefixStats.recordGet(buf, keyStart, keyLen, hit);

  if (hit) {
    const valueLen = returnValue ? view.valueLen : 0;
    const kl = returnKey ? keyLen : 0;
    r.header(Status.Success, 4, kl, 4 + kl + valueLen, view.cas);
    const out = r.out;
    out.appendUint32(view.flags);
    if (kl > 0) out.appendBytes(buf, keyStart, keyStart + kl);
    out.appendValue(store, view.ref, valueLen, false);
    return;
  }
  if (r.isQuiet) return; // quiet misses are not answered
  if (returnKey) {
    // write_bin_miss_response: status 1 with the key as key and body, no error text.
    r.header(Status.KeyNotFound, 0, keyLen, keyLen, 0);
    r.out.appendBytes(buf, keyStart, keyStart + keyLen);
  } else {
    r.writeError(Status.KeyNotFound, null);
  }
}

/** SET/ADD/REPLACE (+Q): allocate first, then the value streams into the item. */
export function processUpdate(r: BinaryCommandContext, buf: Buffer, extStart: number, keyStart: number): void {
  const keyLen = r.keyLen;
  const flags = buf.readUInt32BE(extStart);
  const exptime = buf.readUInt32BE(extStart + 4);
  const valueLen = r.bodyLen - (keyLen + r.extLen);
  const ctx = r.ctx;
  const base = r.baseOpcode;

  if (ctx.log.level >= 2) {
    const name = base === Opcode.Add ? ' ADD ' : base === Opcode.Set ? ' SET ' : ' REPLACE ';
    ctx.log.line('<' + r.session.conn.id + name + buf.toString('latin1', keyStart, keyStart + keyLen) + ' Value len is ' + valueLen);
  }

  if (ctx.runtime.detailEnabled) ctx.prefixStats.recordSet(buf, keyStart, keyLen);
  const ref = ctx.store.allocate(buf, keyStart, keyLen, flags, exptime, valueLen);
  let mode: StoreMode = base === Opcode.Add ? StoreMode.Add : base === Opcode.Replace ? StoreMode.Replace : StoreMode.Set;
  if (ref < 0) {
    allocFailed(r, ref, buf, keyStart, valueLen, mode);
    return;
  }
  if (r.cas !== 0) mode = StoreMode.Cas; // any update carrying a cas is a cas
  r.expectValue(ref, valueLen, mode, r.cas);
}

/** APPEND/PREPEND (+Q): no extras; the item carries no flags or exptime of its own. */
export function processAppendPrepend(r: BinaryCommandContext, buf: Buffer, keyStart: number): void {
  const keyLen = r.keyLen;
  const valueLen = r.bodyLen - keyLen;
  const ctx = r.ctx;
  if (ctx.log.level >= 2) ctx.log.line('Value len is ' + valueLen);
  if (ctx.runtime.detailEnabled) ctx.prefixStats.recordSet(buf, keyStart, keyLen);
  const ref = ctx.store.allocate(buf, keyStart, keyLen, 0, 0, valueLen);
  const mode = r.baseOpcode === Opcode.Append ? StoreMode.Append : StoreMode.Prepend;
  if (ref < 0) {
    allocFailed(r, ref, buf, keyStart, valueLen, mode);
    return;
  }
  r.expectValue(ref, valueLen, mode, r.cas);
}

function allocFailed(r: BinaryCommandContext, err: number, buf: Buffer, keyStart: number, valueLen: number, mode: StoreMode): void {
  if (err === AllocError.TooLarge) r.writeError(Status.TooLarge, null);
  else r.writeError(Status.OutOfMemory, BODY_ENOMEM_ALLOCATING);
  // A failed SET must not leave the old value readable (memcached unlinks it).
  r.ctx.store.noteAllocFailure(err, buf, keyStart, r.keyLen, mode === StoreMode.Set, mode);
  r.swallow(valueLen);
}

/** complete_update_bin: the value is in; link it and answer. */
export function completeUpdate(r: BinaryCommandContext, ref: number): void {
  const store = r.ctx.store;
  const mode = r.storeMode;
  const result = store.link(ref, mode as StoreMode, r.storeCasIn);
  switch (result) {
    case StoreResult.Stored:
      r.replyCas = store.lastCas;
      r.writeSuccess(null);
      return;
    case StoreResult.Exists:
      r.writeError(Status.KeyExists, null);
      return;
    case StoreResult.NotFound:
      r.writeError(Status.KeyNotFound, null);
      return;
    default:
      // NOT_STORED, TOO_LARGE, NO_MEMORY: add answers "exists", replace "not found".
      if (mode === StoreMode.Add) r.writeError(Status.KeyExists, null);
      else if (mode === StoreMode.Replace) r.writeError(Status.KeyNotFound, null);
      else r.writeError(Status.NotStored, null);
  }
}

/** DELETE (+Q), with an optional cas. */
export function processDelete(r: BinaryCommandContext, buf: Buffer, keyStart: number): void {
  const ctx = r.ctx;
  if (ctx.log.level >= 2) ctx.log.line('Deleting ' + buf.toString('latin1', keyStart, keyStart + r.keyLen));
  if (ctx.runtime.detailEnabled) ctx.prefixStats.recordDelete(buf, keyStart, r.keyLen);
  switch (ctx.store.delete(buf, keyStart, r.keyLen, r.cas)) {
    case DeleteResult.Deleted:
      r.writeSuccess(null);
      return;
    case DeleteResult.Exists:
      r.writeError(Status.KeyExists, null);
      return;
    default:
      r.writeError(Status.KeyNotFound, null);
  }
}

/** INCREMENT/DECREMENT (+Q): delta, initial, exptime; exptime 0xffffffff = do not create. */
export function processDelta(r: BinaryCommandContext, buf: Buffer, extStart: number, keyStart: number): void {
  const ctx = r.ctx;
  const store = ctx.store;
  const isIncr = r.baseOpcode === Opcode.Increment;
  // BigInt for the 64-bit fields (incr/decr only, never the get/set path).
  const delta = buf.readBigUInt64BE(extStart);
  const initial = buf.readBigUInt64BE(extStart + 8);
  const exptime = buf.readUInt32BE(extStart + 16);
  if (ctx.log.level >= 2) {
    ctx.log.line((isIncr ? 'incr ' : 'decr ') + buf.toString('latin1', keyStart, keyStart + r.keyLen) + ' ' +
      BigInt.asIntN(64, delta).toString() + ', ' + initial.toString() + ', ' + (exptime | 0));
  }
  const vivify = exptime === UINT32_MAX ? null : exptime;
  switch (store.delta(buf, keyStart, r.keyLen, isIncr, delta, r.cas, initial, vivify, null)) {
    case DeltaResult.Ok: {
      r.replyCas = store.lastCas;
      if (r.isQuiet) return;
      r.header(Status.Success, 0, 0, 8, r.replyCas);
      r.out.appendBigUint64(BigInt.asUintN(64, store.deltaValue));
      return;
    }
    case DeltaResult.NonNumeric:
      r.writeError(Status.DeltaBadValue, null);
      return;
    case DeltaResult.Exists:
      r.writeError(Status.KeyExists, null);
      return;
    case DeltaResult.NoMemory:
      r.writeError(Status.OutOfMemory, vivify === null ? BODY_ENOMEM_INCR : BODY_ENOMEM_NEW_ITEM);
      return;
    default:
      r.writeError(Status.KeyNotFound, null);
  }
}

/** FLUSH (+Q) with an optional 4-byte exptime; -F answers Auth failure like memcached. */
export function processFlush(r: BinaryCommandContext, buf: Buffer, extStart: number): void {
  const ctx = r.ctx;
  if (!ctx.settings.flushEnabled) {
    r.writeError(Status.AuthError, null);
    return;
  }
  const exptime = r.extLen === 4 ? buf.readUInt32BE(extStart) : 0;
  ctx.store.flushAll(exptime);
  ctx.counters.cmd_flush++;
  r.writeSuccess(null);
}

/** STAT: one response per stat (key = name, value = text), then an empty terminator. */
export function processStat(r: BinaryCommandContext, buf: Buffer, keyStart: number): void {
  const ctx = r.ctx;
  const keyLen = r.keyLen;
  const group = buf.toString('latin1', keyStart, keyStart + keyLen); // rare command: a string is fine
  if (ctx.log.level >= 2) ctx.log.line('<' + r.session.conn.id + ' STATS ' + group);
  emitBinaryStats(r, group);
}
