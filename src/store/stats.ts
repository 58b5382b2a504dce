// The store's counters, kept where memcached keeps them: item stats per LRU id (itemstats[]),
// hits per LRU id (lru_hits[]), slab stats per class, and a few globals. The emitters turn them
// into `stats items` / `stats slabs` bodies in memcached's order.

import type { StatEmitter } from './store.js';
import type { LruLists } from './lru.js';
import type { Slabs } from './slabs.js';
import type { StoreMemory } from './store-memory.js';
import {
  BACKGROUND_STATS_AT,
  BACKGROUND_STATS_COUNT,
  ITEM_STATS_AT,
  TC_CURR_BYTES,
  TC_CURR_ITEMS,
  TC_PER_CLASS_ARRAYS,
  TC_SCALARS,
  THREAD_COUNTERS_BYTES,
} from './shared-layout.js';
import { LRU_COLD, LRU_HOT, LRU_IDS, LRU_TEMP, LRU_WARM } from './item-layout.js';
import { MAX_SLAB_CLASSES } from './slab-classes.js';

/** One thread's counter block (shared memory, written by that thread only; every thread reads it). */
export class ThreadCounters {
  /** The TC_* scalars (shared-layout.ts). */
  readonly counts: Float64Array;
  // slab_stats, per class
  readonly setCmds: Float64Array;
  readonly deleteHits: Float64Array;
  readonly incrHits: Float64Array;
  readonly decrHits: Float64Array;
  readonly casHits: Float64Array;
  readonly casBadval: Float64Array;
  readonly touchHits: Float64Array;
  /** get hits by the LRU id the item was in (hits_to_hot/warm/cold/temp; slab get_hits sums them). */
  readonly lruHits: Float64Array;
  /** The whole block (reset). */
  readonly all: Float64Array;

  constructor(buffer: SharedArrayBuffer, index: number) {
    const start = index * THREAD_COUNTERS_BYTES;
    this.all = new Float64Array(buffer, start, THREAD_COUNTERS_BYTES >>> 3);
    this.counts = new Float64Array(buffer, start, TC_SCALARS);
    let next = 0;
    const perClass = (): Float64Array =>
      new Float64Array(buffer, start + (TC_SCALARS + MAX_SLAB_CLASSES * next++) * 8, MAX_SLAB_CLASSES);
    this.setCmds = perClass();
    this.deleteHits = perClass();
    this.incrHits = perClass();
    this.decrHits = perClass();
    this.casHits = perClass();
    this.casBadval = perClass();
    this.touchHits = perClass();
    this.lruHits = new Float64Array(buffer, start + (TC_SCALARS + MAX_SLAB_CLASSES * TC_PER_CLASS_ARRAYS) * 8, LRU_IDS);
  }
}

/** The per-class arrays of a thread block, by name (for sums over threads). */
export type PerClassCounter = 'setCmds' | 'deleteHits' | 'incrHits' | 'decrHits' | 'casHits' | 'casBadval' | 'touchHits';

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
  /** This thread's block: the only one it writes. */
  readonly mine: ThreadCounters;
  /** Every thread's block, summed by the stats. */
  private readonly threads: ThreadCounters[] = [];
  /** The background jobs' counters (BACKGROUND_STATS_AT): written by the Cache that runs them. */
  readonly background: Float64Array;

  constructor(memory: StoreMemory, threadIndex: number) {
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
    this.background = new Float64Array(memory.buffers.control, BACKGROUND_STATS_AT, BACKGROUND_STATS_COUNT);
    if (threadIndex < 0 || threadIndex >= memory.counterBlocks) throw new RangeError(`thread index ${threadIndex} of ${memory.threads}`);
    for (let t = 0; t < memory.counterBlocks; t++) this.threads.push(new ThreadCounters(memory.buffers.threadCounters, t));
    this.mine = this.threads[threadIndex]!;
  }

  /** A TC_* scalar summed over the threads. */
  total(field: number): number {
    const threads = this.threads;
    let s = 0;
    for (let i = 0; i < threads.length; i++) s += threads[i]!.counts[field]!;
    return s;
  }

  /** A per-class counter of class cls summed over the threads. */
  classTotal(name: PerClassCounter, cls: number): number {
    let s = 0;
    for (const t of this.threads) s += t[name][cls]!;
    return s;
  }

  /** get hits of LRU id summed over the threads. */
  lruHitsOf(id: number): number {
    let s = 0;
    for (const t of this.threads) s += t.lruHits[id]!;
    return s;
  }

  /** get hits of a class (its four LRU ids) summed over the threads. */
  classHits(cls: number): number {
    return this.lruHitsOf(cls | LRU_HOT) + this.lruHitsOf(cls | LRU_WARM) + this.lruHitsOf(cls | LRU_COLD) + this.lruHitsOf(cls | LRU_TEMP);
  }

  /** get hits over every LRU and thread. */
  allHits(): number {
    let s = 0;
    for (const t of this.threads) s += sum(t.lruHits);
    return s;
  }

  /** A per-class counter over every class and thread. */
  allClasses(name: PerClassCounter): number {
    let s = 0;
    for (const t of this.threads) s += sum(t[name]);
    return s;
  }

  /** Linked items and their bytes: the threads' deltas summed. */
  get currItems(): number {
    return this.total(TC_CURR_ITEMS);
  }

  get currBytes(): number {
    return this.total(TC_CURR_BYTES);
  }

  private perLruArrays(): Float64Array[] {
    return [this.evicted, this.evictedNonzero, this.evictedTime, this.outOfMemory, this.reclaimed,
      this.expiredUnfetched, this.evictedUnfetched, this.evictedActive, this.crawlerReclaimed,
      this.crawlerItemsChecked, this.movesToCold, this.movesToWarm, this.movesWithinLru, this.directReclaims];
  }

  /**
   * `stats reset`: outcome counters to zero (item and byte counts stay), every thread's. A
   * thread counting at the same moment may keep one count from before the reset.
   */
  reset(): void {
    for (const a of this.perLruArrays()) a.fill(0);
    for (const t of this.threads) {
      const items = t.counts[TC_CURR_ITEMS]!;
      const bytes = t.counts[TC_CURR_BYTES]!;
      t.all.fill(0);
      t.counts[TC_CURR_ITEMS] = items;
      t.counts[TC_CURR_BYTES] = bytes;
    }
    this.background.fill(0);
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
  readonly largest: number;
  readonly now: number;
  /** memcached's lru_maintainer_thread (segment stats shown) and temp_lru. */
  readonly segmented: boolean;
  readonly tempLru: boolean;
}

/** `stats items`, as memcached's item_stats prints it. */
export function emitItemStats(v: ItemsView, emit: StatEmitter): void {
  const { counters: k, lists, now } = v;
  const ageOf = (id: number): number => {
    const time = lists.tailTime(id);
    return time < 0 ? 0 : now - time;
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
      emit(p + 'hits_to_hot', k.lruHitsOf(c | LRU_HOT));
      emit(p + 'hits_to_warm', k.lruHitsOf(c | LRU_WARM));
      emit(p + 'hits_to_cold', k.lruHitsOf(c | LRU_COLD));
      emit(p + 'hits_to_temp', k.lruHitsOf(c | LRU_TEMP));
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
    emit(p + 'get_hits', k.classHits(c));
    emit(p + 'cmd_set', k.classTotal('setCmds', c));
    emit(p + 'delete_hits', k.classTotal('deleteHits', c));
    emit(p + 'incr_hits', k.classTotal('incrHits', c));
    emit(p + 'decr_hits', k.classTotal('decrHits', c));
    emit(p + 'cas_hits', k.classTotal('casHits', c));
    emit(p + 'cas_badval', k.classTotal('casBadval', c));
    emit(p + 'touch_hits', k.classTotal('touchHits', c));
  }
  emit('active_slabs', active);
  emit('total_malloced', slabs.mallocedBytes);
}

/**
 * -o track_sizes: linked items by total size in 32-byte buckets (`stats sizes`), one histogram
 * in shared memory (StoreBuffers.sizes) that every thread counts into with Atomics.
 */
export class SizeHistogram {
  private readonly buckets: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.buckets = new Int32Array(buffer);
  }

  add(total: number): void {
    Atomics.add(this.buckets, Math.ceil(total / 32), 1);
  }

  remove(total: number): void {
    Atomics.sub(this.buckets, Math.ceil(total / 32), 1);
  }

  emit(emit: StatEmitter): void {
    const h = this.buckets;
    for (let i = 0; i < h.length; i++) if (h[i] !== 0) emit(String(i * 32), h[i]!);
  }
}
