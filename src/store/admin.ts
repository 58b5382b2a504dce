// The store's stats and admin verbs: `stats` fields, `stats items|slabs|sizes`, `stats reset`,
// `stats cachedump`, `slabs reassign`, `lru_crawler` and its metadump, the -vv slab class lines.
// Read-mostly views over the parts the Cache owns; the Cache answers these Store verbs by
// delegating here, so cache.ts keeps to the item verbs.

import type { RuntimeSettings } from '../config/runtime-settings.js';
import type { ItemRef, StatEmitter, StoreStats } from './store.js';
import type { ServerClock } from './clock.js';
import type { Crawler } from './crawler.js';
import type { HashTable } from './hash-table.js';
import { headerWord, LRU_COLD, LRU_HOT, LRU_TEMP, LRU_WARM, W_EXP, W_META, W_VLEN } from './item-layout.js';
import * as L from './shared-layout.js';
import type { LruLists } from './lru.js';
import type { SlabMover } from './slab-mover.js';
import type { Slabs } from './slabs.js';
import { emitItemStats, emitSlabStats, type SizeHistogram, type StoreCounters, sum } from './stats.js';

export interface AdminParts {
  readonly runtime: RuntimeSettings;
  readonly counters: StoreCounters;
  readonly slabs: Slabs;
  readonly hash: HashTable;
  readonly lists: LruLists;
  readonly mover: SlabMover;
  readonly crawler: Crawler;
  readonly clock: ServerClock;
  /** -o track_sizes: the `stats sizes` histogram, null when off. */
  readonly sizes: SizeHistogram | null;
  /** memcached's lru_maintainer_thread runs (segmented LRU: segment stats shown). */
  readonly isSegmented: boolean;
}

export class StoreAdmin {
  private readonly parts: AdminParts;

  constructor(parts: AdminParts) {
    this.parts = parts;
  }

  stats(): StoreStats {
    const { counters: k, slabs, hash, mover, crawler } = this.parts;
    const bg = k.background;
    return {
      limit_maxbytes: slabs.memLimit,
      hash_power_level: hash.hashPower,
      hash_bytes: hash.bytes,
      hash_is_expanding: hash.isExpanding ? 1 : 0,
      slab_reassign_rescues: bg[L.BG_RESCUES]!,
      slab_reassign_chunk_rescues: bg[L.BG_CHUNK_RESCUES]!,
      slab_reassign_evictions_nomem: bg[L.BG_EVICTIONS_NOMEM]!,
      // memcached counts chunks it pulled off the free list inside the page it empties; ours
      // leave the free list when the move starts, so none is ever pulled
      slab_reassign_inline_reclaim: 0,
      slab_reassign_busy_items: bg[L.BG_BUSY_ITEMS]!,
      slab_reassign_busy_deletes: bg[L.BG_BUSY_DELETES]!,
      slab_reassign_running: mover.running ? 1 : 0,
      slabs_moved: bg[L.BG_SLABS_MOVED]!,
      lru_crawler_running: crawler.running ? 1 : 0,
      lru_crawler_starts: bg[L.BG_CRAWLER_STARTS]!,
      lru_maintainer_juggles: bg[L.BG_JUGGLES]!,
      malloc_fails: slabs.mallocFails,
      bytes: k.currBytes,
      curr_items: k.currItems,
      total_items: k.total(L.TC_TOTAL_ITEMS),
      slab_global_page_pool: slabs.globalPagePool,
      expired_unfetched: sum(k.expiredUnfetched),
      evicted_unfetched: sum(k.evictedUnfetched),
      evicted_active: sum(k.evictedActive),
      evictions: sum(k.evicted),
      reclaimed: sum(k.reclaimed),
      crawler_reclaimed: sum(k.crawlerReclaimed),
      crawler_items_checked: sum(k.crawlerItemsChecked),
      lrutail_reflocked: 0,
      moves_to_cold: sum(k.movesToCold),
      moves_to_warm: sum(k.movesToWarm),
      moves_within_lru: sum(k.movesWithinLru),
      direct_reclaims: sum(k.directReclaims),
      lru_bumps_dropped: 0,
      cmd_set: k.allClasses('setCmds'),
      get_hits: k.allHits(),
      get_misses: k.total(L.TC_GET_MISSES),
      get_expired: k.total(L.TC_GET_EXPIRED),
      get_flushed: k.total(L.TC_GET_FLUSHED),
      delete_misses: k.total(L.TC_DELETE_MISSES),
      delete_hits: k.allClasses('deleteHits'),
      incr_misses: k.total(L.TC_INCR_MISSES),
      incr_hits: k.allClasses('incrHits'),
      decr_misses: k.total(L.TC_DECR_MISSES),
      decr_hits: k.allClasses('decrHits'),
      cas_misses: k.total(L.TC_CAS_MISSES),
      cas_hits: k.allClasses('casHits'),
      cas_badval: k.allClasses('casBadval'),
      touch_hits: k.allClasses('touchHits'),
      touch_misses: k.total(L.TC_TOUCH_MISSES),
      store_too_large: k.total(L.TC_STORE_TOO_LARGE),
      store_no_memory: k.total(L.TC_STORE_NO_MEMORY),
    };
  }

  emitItems(emit: StatEmitter): void {
    const p = this.parts;
    emitItemStats({
      counters: p.counters,
      lists: p.lists,
      largest: p.slabs.largest,
      now: p.clock.now(),
      segmented: p.isSegmented,
      tempLru: p.runtime.tempLru,
    }, emit);
  }

  emitSlabs(emit: StatEmitter): void {
    emitSlabStats(this.parts.slabs, this.parts.counters, emit);
  }

  emitSizes(emit: StatEmitter): void {
    const sizes = this.parts.sizes;
    if (sizes === null) emit('sizes_status', 'disabled');
    else sizes.emit(emit);
  }

  resetStats(): void {
    const p = this.parts;
    p.counters.reset();
    p.slabs.mallocFails = 0;
  }

  cachedump(slabClass: number, limit: number,
    each: (ref: ItemRef, keyLen: number, valueLen: number, exptimeUnix: number) => void): void {
    const { slabs, lists, clock } = this.parts;
    if (slabClass < 1 || slabClass > slabs.largest) return;
    const words = slabs.words;
    const show = (it: number): void => {
      const exp = headerWord(words, it, W_EXP);
      each(it, headerWord(words, it, W_META) & 0xff, headerWord(words, it, W_VLEN), exp === 0 ? 0 : exp + clock.processStarted);
    };
    // memcached dumps COLD only; items reach COLD through the maintainer, so we show every
    // segment, HOT first, each from its head
    let shown = 0;
    for (const seg of [LRU_HOT, LRU_WARM, LRU_COLD, LRU_TEMP]) {
      if (limit !== 0 && shown >= limit) break;
      shown += lists.walk(slabClass | seg, false, limit === 0 ? 0 : limit - shown, show);
    }
  }

  slabsReassign(src: number, dst: number): string {
    this.parts.clock.now(); // expired items in the page are dropped, not rescued
    return this.parts.mover.reassign(src, dst);
  }

  lruCrawlerCommand(args: readonly string[]): string {
    return this.parts.crawler.command(args);
  }

  metadump(spec: string, each: (line: string) => void): string {
    return this.parts.crawler.metadump(spec, each);
  }

  describeSlabClasses(each: (line: string) => void): void {
    this.parts.slabs.describe(each);
  }
}
