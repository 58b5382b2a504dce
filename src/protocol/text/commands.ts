// Classic text commands, memcached 1.6.18's process_command_ascii: dispatch on the first byte
// and length of the command word (no strings), token-count checks (WANT_TOKENS), then one
// handler per command, in retrieval-commands.ts (get family), storage-commands.ts (set family,
// delete, incr/decr, touch), admin-commands.ts and stats-command.ts; meta verbs go to
// meta/commands.ts. Replies are pre-encoded (replies.ts); noreply suppresses every reply that
// memcached's out_string would suppress, errors included (command-support.ts).

import { SessionAction } from '../reader-contract.js';
import { CloseReason } from '../../log/watch.js';
import { StoreMode } from '../../store/store.js';
import type { TextCommandContext } from './command-context.js';
import { executeMeta } from '../meta/commands.js';
import * as R from '../replies.js';
import { closeNow, mcTokens, reply } from './command-support.js';
import { getKeys, processGet } from './retrieval-commands.js';
import { processArithmetic, processDelete, processTouch, processUpdate } from './storage-commands.js';
import { processRefreshCerts } from './refresh-certs.js';
import {
  processDebugTime,
  processFlushAll,
  processLru,
  processLruCrawler,
  processMemlimit,
  processShutdown,
  processSlabs,
  processVerbosity,
  processWatch,
} from './admin-commands.js';
import { processStats } from './stats-command.js';

/** Handles one command line buf[lineStart, lineEnd) (no \r\n). */
export function dispatchCommand(r: TextCommandContext, buf: Buffer, lineStart: number, lineEnd: number): void {
  // `get <key>...`, most requests: the keys are scanned straight off the line, so the line is
  // not tokenized first (the same outcome: 'get' is the command token, and with no key after it
  // the tokenizing path below answers ERROR).
  if (buf[lineStart] === 0x67 && buf[lineStart + 1] === 0x65 && buf[lineStart + 2] === 0x74 && buf[lineStart + 3] === 0x20) {
    let p = lineStart + 4;
    while (p < lineEnd && buf[p] === 0x20) p++;
    if (p < lineEnd) {
      getKeys(r, buf, p, lineEnd, false, false, 0, false);
      return;
    }
  }
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
