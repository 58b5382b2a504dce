// Binary STAT (process_bin_stat): the same groups and emitters as the text `stats`, each stat
// one response packet (key = name, value = text, opcode 0x10, cas 0), then an empty packet.

import type { BinaryCommandContext } from './command-context.js';
import type { StatEmitter } from '../../store/store.js';
import { Status } from './header.js';
import { emitExtraStats, emitGeneralStats, emitSettingsStats, resetStats } from '../../stats/render.js';

/** Appends one stat packet (append_bin_stats: no -vv dump, cas 0). */
function appendStat(r: BinaryCommandContext, name: string, value: string): void {
  const out = r.out;
  const klen = Buffer.byteLength(name, 'latin1');
  const vlen = Buffer.byteLength(value, 'latin1');
  r.statHeader(klen, klen + vlen);
  if (klen > 0) out.appendAscii(name);
  if (vlen > 0) out.appendAscii(value);
}

function emitterFor(r: BinaryCommandContext): StatEmitter {
  return (name, value) => appendStat(r, name, typeof value === 'string' ? value : String(value));
}

function terminate(r: BinaryCommandContext): void {
  r.statHeader(0, 0);
}

export function emitBinaryStats(r: BinaryCommandContext, group: string): void {
  const ctx = r.ctx;
  const emit = emitterFor(r);
  if (group.length === 0) {
    emitGeneralStats(ctx, emit);
  } else if (group.startsWith('reset')) {
    // memcached compares with strncmp on the group's length: `resetX` is reset too.
    resetStats(ctx);
  } else if (group.startsWith('settings')) {
    emitSettingsStats(ctx, emit);
  } else if (group.startsWith('detail')) {
    const sub = group.slice(6);
    if (sub.startsWith(' dump')) {
      appendStat(r, 'detailed', ctx.prefixStats.dumpLines() + 'END\r\n');
    } else if (sub.startsWith(' on')) {
      r.ctx.runtime.detailEnabled = true;
    } else if (sub.startsWith(' off')) {
      r.ctx.runtime.detailEnabled = false;
    } else {
      r.writeError(Status.KeyNotFound, null);
      return;
    }
  } else if (group === 'items') {
    ctx.store.emitItems(emit);
  } else if (group === 'slabs') {
    ctx.store.emitSlabs(emit);
  } else if (group === 'sizes' || group === 'sizes_enable' || group === 'sizes_disable') {
    // Size tracking is fixed at start-up (-o track_sizes): the status is reported as it is.
    ctx.store.emitSizes(emit);
  } else if (group === 'memcachedts') {
    emitExtraStats(ctx, emit); // our own figures (text `stats memcachedts` has them too)
  } else {
    r.writeError(Status.KeyNotFound, null);
    return;
  }
  terminate(r);
}
