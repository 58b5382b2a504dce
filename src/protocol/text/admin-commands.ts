// Server administration over the text protocol: flush_all, verbosity, debugtime,
// cache_memlimit, shutdown, slabs, lru, lru_crawler and watch. Settings they change live in
// ctx.runtime (config/runtime-settings.ts) or the store.

import { CloseReason, WatchFlag } from '../../log/watch.js';
import type { TextCommandContext } from './command-context.js';
import { safeStrtod, safeStrtol, safeStrtoll, safeStrtoul } from '../../common/c-numbers.js';
import * as R from '../replies.js';
import { closeNow, mcTokens, reply, replyText, setNoreplyMaybe } from './command-support.js';

const MAX_VERBOSITY_LEVEL = 2;
const MIB = 1024 * 1024;

export function processFlushAll(r: TextCommandContext, buf: Buffer): void {
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

export function processVerbosity(r: TextCommandContext, buf: Buffer): void {
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
export function processDebugTime(r: TextCommandContext, buf: Buffer): void {
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

export function processMemlimit(r: TextCommandContext, buf: Buffer): void {
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

export function processShutdown(r: TextCommandContext): void {
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

export function processSlabs(r: TextCommandContext, buf: Buffer): void {
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

export function processLru(r: TextCommandContext, buf: Buffer): void {
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

export function processLruCrawler(r: TextCommandContext): void {
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
export function processWatch(r: TextCommandContext): void {
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
