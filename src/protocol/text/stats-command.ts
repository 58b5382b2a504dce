// `stats` and its groups over the text protocol (STAT <name> <value> lines, then END); the
// groups themselves are rendered by stats/render.ts and the store, as for binary STAT.

import type { TextCommandContext } from './command-context.js';
import { safeStrtoul } from '../../common/c-numbers.js';
import * as R from '../replies.js';
import { mcTokens, reply } from './command-support.js';
import {
  emitConnsStats,
  emitExtraStats,
  emitGeneralStats,
  emitSettingsStats,
  resetStats,
} from '../../stats/render.js';

const MAX_NUMBER_OF_SLAB_CLASSES = 64;
const CH_SP = 0x20;

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

export function processStats(r: TextCommandContext, buf: Buffer): void {
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
      out.appendItemKey(ctx.store, ref);
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
