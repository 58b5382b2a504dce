// The store's counters, kept where memcached keeps them: item stats per LRU id (itemstats[]),
// hits per LRU id (lru_hits[]), slab stats per class, and a few globals. The emitters turn them
// into `stats items` / `stats slabs` bodies in memcached's order.

import type { StatEmitter } from './store.js';
import type { LruLists } from './lru.js';
import type { Slabs } from './slabs.js';
import type { StoreMemory } from './store-memory.js';
import { ITEM_STATS_AT } from './shared-layout.js';
import { headerWord, LRU_COLD, LRU_HOT, LRU_IDS, LRU_TEMP, LRU_WARM, NIL, W_TIME } from './item-layout.js';
import { MAX_SLAB_CLASSES } from './slab-classes.js';

function perClass(): Float64Array {
  return new Float64Array(MAX_SLAB_CLASSES);
}

export class StoreCounters {
  // itemstats, per LRU id: views of the store memory's control block
  readonly evicted: Float64Array;
  readonly evictedNonzero: Float64Array;
  readonly evictedTime: Float64Array;
  readonly outOfMemory: Float64Array;
  readonly reclaimed: Float64Array;
  readonly expiredUnfetched: Float64Array;
  readonly evictedUnfetched: Float64Array;
  readonly evictedActive: Float64Array;
  readonly crawlerReclaimed: Float64Array;
  readonly crawlerItemsChecked: Float64Array;
  readonly movesToCold: Float64Array;
  readonly movesToWarm: Float64Array;
  readonly movesWithinLru: Float64Array;
  readonly directReclaims: Float64Array;
  /** get hits by the LRU the item was in (hits_to_hot/warm/cold/temp; slab get_hits sums them). */
  readonly lruHits: Float64Array;
  // slab_stats, per class
  readonly setCmds = perClass();
  readonly deleteHits = perClass();
  readonly incrHits = perClass();
  readonly decrHits = perClass();
  readonly casHits = perClass();
  readonly casBadval = perClass();
  readonly touchHits = perClass();
  // globals
  getMisses = 0;
  getExpired = 0;
  getFlushed = 0;
  touchMisses = 0;
  deleteMisses = 0;
  incrMisses = 0;
  decrMisses = 0;
  casMisses = 0;
  storeTooLarge = 0;
  storeNoMemory = 0;
  totalItems = 0;
  currItems = 0;
  currBytes = 0;
  /** LRU maintainer wake-ups (lru_maintainer_juggles). */
  juggles = 0;

  constructor(memory: StoreMemory) {
    let next = 0;
    const perLru = (): Float64Array => new Float64Array(memory.buffers.control, ITEM_STATS_AT + LRU_IDS * 8 * next++, LRU_IDS);
    this.evicted = perLru();
    this.evictedNonzero = perLru();
    this.evictedTime = perLru();
    this.outOfMemory = perLru();
    this.reclaimed = perLru();
    this.expiredUnfetched = perLru();
    this.evictedUnfetched = perLru();
    this.evictedActive = perLru();
    this.crawlerReclaimed = perLru();
    this.crawlerItemsChecked = perLru();
    this.movesToCold = perLru();
    this.movesToWarm = perLru();
    this.movesWithinLru = perLru();
    this.directReclaims = perLru();
    this.lruHits = perLru();
  }

  private perLruArrays(): Float64Array[] {
    return [this.evicted, this.evictedNonzero, this.evictedTime, this.outOfMemory, this.reclaimed,
      this.expiredUnfetched, this.evictedUnfetched, this.evictedActive, this.crawlerReclaimed,
      this.crawlerItemsChecked, this.movesToCold, this.movesToWarm, this.movesWithinLru, this.directReclaims,
      this.lruHits];
  }

  /** `stats reset`: outcome counters to zero (item and byte counts stay). */
  reset(): void {
    for (const a of this.perLruArrays()) a.fill(0);
    for (const a of [this.setCmds, this.deleteHits, this.incrHits, this.decrHits, this.casHits, this.casBadval,
      this.touchHits]) a.fill(0);
    this.getMisses = 0;
    this.getExpired = 0;
    this.getFlushed = 0;
    this.touchMisses = 0;
    this.deleteMisses = 0;
    this.incrMisses = 0;
    this.decrMisses = 0;
    this.casMisses = 0;
    this.storeTooLarge = 0;
    this.storeNoMemory = 0;
    this.totalItems = 0;
    this.juggles = 0;
  }
}

/** Sum over every index (all classes, or all LRU ids). */
export function sum(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

/** Sum over the four LRU ids of a class. */
export function classSum(a: Float64Array, cls: number): number {
  return a[cls | LRU_HOT]! + a[cls | LRU_WARM]! + a[cls | LRU_COLD]! + a[cls | LRU_TEMP]!;
}

export interface ItemsView {
  readonly counters: StoreCounters;
  readonly lists: LruLists;
  readonly words: Uint32Array[];
  readonly largest: number;
  readonly now: number;
  /** memcached's lru_maintainer_thread (segment stats shown) and temp_lru. */
  readonly segmented: boolean;
  readonly tempLru: boolean;
}

/** `stats items`, as memcached's item_stats prints it. */
export function emitItemStats(v: ItemsView, emit: StatEmitter): void {
  const { counters: k, lists, words, now } = v;
  const ageOf = (id: number): number => {
    const t = lists.tail[id]!;
    return t === NIL ? 0 : now - headerWord(words, t, W_TIME);
  };
  for (let c = 1; c <= v.largest; c++) {
    const n = lists.itemsInClass(c);
    if (n === 0) continue;
    const p = `items:${c}:`;
    emit(p + 'number', n);
    if (v.segmented) {
      emit(p + 'number_hot', lists.count[c | LRU_HOT]!);
      emit(p + 'number_warm', lists.count[c | LRU_WARM]!);
      emit(p + 'number_cold', lists.count[c | LRU_COLD]!);
      if (v.tempLru) emit(p + 'number_temp', lists.count[c | LRU_TEMP]!);
      emit(p + 'age_hot', ageOf(c | LRU_HOT));
      emit(p + 'age_warm', ageOf(c | LRU_WARM));
    }
    emit(p + 'age', ageOf(c | LRU_COLD));
    emit(p + 'mem_requested', lists.bytesInClass(c));
    emit(p + 'evicted', classSum(k.evicted, c));
    emit(p + 'evicted_nonzero', classSum(k.evictedNonzero, c));
    emit(p + 'evicted_time', k.evictedTime[c | LRU_COLD]!);
    emit(p + 'outofmemory', classSum(k.outOfMemory, c));
    emit(p + 'tailrepairs', 0);
    emit(p + 'reclaimed', classSum(k.reclaimed, c));
    emit(p + 'expired_unfetched', classSum(k.expiredUnfetched, c));
    emit(p + 'evicted_unfetched', classSum(k.evictedUnfetched, c));
    if (v.segmented) emit(p + 'evicted_active', classSum(k.evictedActive, c));
    emit(p + 'crawler_reclaimed', classSum(k.crawlerReclaimed, c));
    emit(p + 'crawler_items_checked', classSum(k.crawlerItemsChecked, c));
    emit(p + 'lrutail_reflocked', 0);
    if (v.segmented) {
      emit(p + 'moves_to_cold', classSum(k.movesToCold, c));
      emit(p + 'moves_to_warm', classSum(k.movesToWarm, c));
      emit(p + 'moves_within_lru', classSum(k.movesWithinLru, c));
      emit(p + 'direct_reclaims', classSum(k.directReclaims, c));
      emit(p + 'hits_to_hot', k.lruHits[c | LRU_HOT]!);
      emit(p + 'hits_to_warm', k.lruHits[c | LRU_WARM]!);
      emit(p + 'hits_to_cold', k.lruHits[c | LRU_COLD]!);
      emit(p + 'hits_to_temp', k.lruHits[c | LRU_TEMP]!);
    }
  }
}

/** `stats slabs`, as memcached's slabs_stats prints it. */
export function emitSlabStats(slabs: Slabs, k: StoreCounters, emit: StatEmitter): void {
  let active = 0;
  for (let c = 1; c <= slabs.largest; c++) {
    const pages = slabs.classPages[c]!;
    if (pages === 0) continue;
    active++;
    const per = slabs.perSlab[c]!;
    const free = slabs.freeChunksOf(c);
    const p = `${c}:`;
    emit(p + 'chunk_size', slabs.chunkSize[c]!);
    emit(p + 'chunks_per_page', per);
    emit(p + 'total_pages', pages);
    emit(p + 'total_chunks', pages * per);
    emit(p + 'used_chunks', pages * per - free);
    emit(p + 'free_chunks', free);
    emit(p + 'free_chunks_end', 0);
    emit(p + 'get_hits', classSum(k.lruHits, c));
    emit(p + 'cmd_set', k.setCmds[c]!);
    emit(p + 'delete_hits', k.deleteHits[c]!);
    emit(p + 'incr_hits', k.incrHits[c]!);
    emit(p + 'decr_hits', k.decrHits[c]!);
    emit(p + 'cas_hits', k.casHits[c]!);
    emit(p + 'cas_badval', k.casBadval[c]!);
    emit(p + 'touch_hits', k.touchHits[c]!);
  }
  emit('active_slabs', active);
  emit('total_malloced', slabs.mallocedBytes);
}

/** -o track_sizes: linked items by total size in 32-byte buckets (`stats sizes`). */
export class SizeHistogram {
  private readonly buckets: Uint32Array;

  constructor(itemSizeMax: number) {
    this.buckets = new Uint32Array(Math.floor(itemSizeMax / 32) + 2);
  }

  add(total: number): void {
    this.buckets[Math.ceil(total / 32)]!++;
  }

  remove(total: number): void {
    this.buckets[Math.ceil(total / 32)]!--;
  }

  emit(emit: StatEmitter): void {
    const h = this.buckets;
    for (let i = 0; i < h.length; i++) if (h[i] !== 0) emit(String(i * 32), h[i]!);
  }
}
