// get / gets / gat / gats <key>* (and the ancient bget): memcached's process_get_command,
// keys scanned straight off the line, each hit written as VALUE <key> <flags> <bytes> [<cas>].

import { SessionAction } from '../reader-contract.js';
import { GetOpt } from '../../store/store.js';
import type { TextCommandContext } from './command-context.js';
import { safeStrtol } from '../../common/c-numbers.js';
import { KEY_MAX_LENGTH } from '../../common/limits.js';
import * as R from '../replies.js';
import { reply } from './command-support.js';

const CH_SP = 0x20;

export function processGet(r: TextCommandContext, buf: Buffer, lineEnd: number, returnCas: boolean, shouldTouch: boolean): void {
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
 * continues in the next batch (TextFrontEnd.suspendGet), so net/ can write them out and stop
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
    out.appendValueLine(buf, keyStart, p, view.flags, view.valueLen, returnCas ? view.cas : -1);
    out.appendValue(store, view.ref, view.valueLen, true);
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
