// The store's control block: the state that lives outside the item pages (slab free lists and
// page tables, hash table position, LRU ends and totals, per-LRU item stats, the CAS counter,
// the clock), in ONE SharedArrayBuffer so that every thread of a `-t N` server reads the same
// words (docs/threads.md, "Shared memory"). This module only says where each field lies:
// byte offsets, one named constant per field, like item-layout.ts for the chunk header.
//
//   Float64 fields first (8-byte aligned), then 32-bit words, then byte arrays.
//   A `*_AT` constant is a byte offset; arrays are read through views made once
//   (new Float64Array(control, X_AT, n)), scalars through the block's three whole views
//   (f64[X_AT >> 3], u32[X_AT >> 2], i32[X_AT >> 2]).

import { LRU_IDS } from './item-layout.js';
import { MAX_SLAB_CLASSES } from './slab-classes.js';

/** Page slots: refs stay below 2^32 (NIL excluded), so 32767 pages of 1 MiB at most. */
export const MAX_PAGES = 32767;
export const PAGE_SLOTS_MAX = MAX_PAGES + 1;

let at = 0;
function take(bytes: number): number {
  const start = at;
  at += (bytes + 7) & ~7;
  return start;
}

// --- Float64 fields ---
/** The last CAS value handed out (Cache.nextCas). */
export const CAS_ID_AT = take(8);
/** Unix time at which the server clock was 0 (clock.ts). */
export const CLOCK_PROCESS_STARTED_AT = take(8);
/** Seconds read from the source clock, never decreasing (clock.ts). */
export const CLOCK_SOURCE_SEC_AT = take(8);
/** Sum of every `debugtime N` (clock.ts). */
export const CLOCK_SHIFT_AT = take(8);
/** Allocation failures of a new page (slabs.ts mallocFails). */
export const MALLOC_FAILS_AT = take(8);
/** Per class: free chunks on the free list, pages (slabs.ts). */
export const FREE_COUNT_AT = take(MAX_SLAB_CLASSES * 8);
export const CLASS_PAGES_AT = take(MAX_SLAB_CLASSES * 8);
/** Per LRU id: items and ITEM_ntotal bytes (lru.ts). */
export const LRU_COUNT_AT = take(LRU_IDS * 8);
export const LRU_BYTES_AT = take(LRU_IDS * 8);
/** Per LRU id item stats (stats.ts StoreCounters), ITEM_STATS_COUNT arrays of LRU_IDS. */
export const ITEM_STATS_COUNT = 14;
export const ITEM_STATS_AT = take(ITEM_STATS_COUNT * LRU_IDS * 8);
/**
 * Counters of the background jobs, each written by the one Cache that runs them (slab-mover.ts:
 * rescues, chunk rescues, evictions_nomem, busy items, busy deletes, slabs moved; crawler.ts
 * starts; lru-maintainer.ts juggles), read by every Cache's `stats`.
 */
export const BG_RESCUES = 0;
export const BG_CHUNK_RESCUES = 1;
export const BG_EVICTIONS_NOMEM = 2;
export const BG_BUSY_ITEMS = 3;
export const BG_BUSY_DELETES = 4;
export const BG_SLABS_MOVED = 5;
export const BG_CRAWLER_STARTS = 6;
export const BG_JUGGLES = 7;
export const BACKGROUND_STATS_COUNT = 8;
export const BACKGROUND_STATS_AT = take(BACKGROUND_STATS_COUNT * 8);

// --- 32-bit words ---
/** Server-relative seconds (clock.ts current). */
export const CLOCK_CURRENT_AT = take(4);
/** `debugtime p`: 1 while the clock is paused. */
export const CLOCK_PAUSED_AT = take(4);
/**
 * Bumped whenever a page slot or a hash table appears: a Cache over this memory that sees it
 * change remakes its views (one compare per lookup or allocation, Cache.syncViews).
 */
export const VIEWS_EPOCH_AT = take(4);
/**
 * Set (to 1) by a verb that wants the background jobs soon (a page move it started could not
 * finish); the Cache that runs them clears it at its next tick and runs a turn.
 */
export const MAINTAIN_REQUEST_AT = take(4);
/** Bumped (and notified) by a Cache that wants the background jobs now (background-wake.ts). */
export const BACKGROUND_WAKE_AT = take(4);
/** `lru_crawler crawl` asked in any Cache: 1 while a crawl runs; the classes it covers. */
export const CRAWL_RUNNING_AT = take(4);
export const CRAWL_CLASSES_AT = take(MAX_SLAB_CLASSES);
/** log2 of the item lock stripes in use (store-locks.ts), fixed when the memory is made. */
export const ITEM_LOCK_POWER_AT = take(4);
/** Lock words (common/shared-locks.ts), docs/threads.md "Locks": one per LRU id, slabs, CAS, mover. */
export const LRU_LOCKS_AT = take(LRU_IDS * 4);
export const SLABS_LOCK_AT = take(4);
export const CAS_LOCK_AT = take(4);
/** Held by whoever starts, steps or ends a hash expansion (hash-table.ts). */
export const EXPAND_LOCK_AT = take(4);
/** Held by whoever steps a page move (a verb's steal, `slabs reassign`, the background turn). */
export const MOVER_LOCK_AT = take(4);
/** Item lock stripes: room for memcached's largest item lock power (15); ITEM_LOCK_POWER of them used. */
export const ITEM_LOCKS_MAX = 1 << 15;
export const ITEM_LOCKS_AT = take(ITEM_LOCKS_MAX * 4);
/** Pages allocated now; page slots in use (live or not); the page being moved (-1: none). */
export const PAGE_COUNT_AT = take(4);
export const PAGE_SLOTS_AT = take(4);
export const MOVING_PAGE_AT = take(4);
/** Where the page being moved goes (slab-mover.ts; 0: the global pool). */
export const MOVE_DST_AT = take(4);
/** Depths of the two page stacks below. */
export const POOL_DEPTH_AT = take(4);
export const FREE_SLOTS_DEPTH_AT = take(4);
/** Hash table: power, generation (bumped whenever a table appears or goes), byte offsets in the bucket arena. */
export const HASH_POWER_AT = take(4);
export const TABLE_GENERATION_AT = take(4);
export const TABLE_OFFSET_AT = take(4);
export const OLD_TABLE_OFFSET_AT = take(4);
/** The first old bucket not moved yet, and 1 while an expansion runs. */
export const EXPAND_BUCKET_AT = take(4);
export const IS_EXPANDING_AT = take(4);
/** Bytes of the bucket arena in use by tables (the next table goes there). */
export const TABLES_END_AT = take(4);
/** Per class: free list head ref, the page being carved (-1: none), its next chunk. */
export const FREE_HEAD_AT = take(MAX_SLAB_CLASSES * 4);
export const CARVE_PAGE_AT = take(MAX_SLAB_CLASSES * 4);
export const CARVE_NEXT_AT = take(MAX_SLAB_CLASSES * 4);
/** Per LRU id: head and tail refs. */
export const LRU_HEAD_AT = take(LRU_IDS * 4);
export const LRU_TAIL_AT = take(LRU_IDS * 4);
/** Per page slot: chunks in use. */
export const PAGE_USED_AT = take(PAGE_SLOTS_MAX * 4);
/** memcached's global page pool (pages in no class), a stack of page slots. */
export const POOL_PAGES_AT = take(PAGE_SLOTS_MAX * 4);
/** Page slots whose page was given back, a stack reused before new slots. */
export const FREE_SLOTS_AT = take(PAGE_SLOTS_MAX * 4);

// --- bytes ---
/** Per page slot: its class (0: in no class). */
export const PAGE_CLASS_AT = take(PAGE_SLOTS_MAX);
/** Per page slot: 1 while the slot holds a page (in a class or in the pool). */
export const PAGE_LIVE_AT = take(PAGE_SLOTS_MAX);

export const CONTROL_BYTES = at;

// --- a per-thread counter block (StoreBuffers.threadCounters holds one per thread) ---
// Float64 throughout: the scalars below by index, then per-class arrays of MAX_SLAB_CLASSES.
// currItems and currBytes are deltas: an item linked by one thread may be unlinked by another.
export const TC_GET_MISSES = 0;
export const TC_GET_EXPIRED = 1;
export const TC_GET_FLUSHED = 2;
export const TC_TOUCH_MISSES = 3;
export const TC_DELETE_MISSES = 4;
export const TC_INCR_MISSES = 5;
export const TC_DECR_MISSES = 6;
export const TC_CAS_MISSES = 7;
export const TC_STORE_TOO_LARGE = 8;
export const TC_STORE_NO_MEMORY = 9;
export const TC_TOTAL_ITEMS = 10;
export const TC_CURR_ITEMS = 11;
export const TC_CURR_BYTES = 12;
export const TC_SCALARS = 16;
/** Per class: cmd_set, delete_hits, incr_hits, decr_hits, cas_hits, cas_badval, touch_hits; then get hits per LRU id. */
export const TC_PER_CLASS_ARRAYS = 7;
export const THREAD_COUNTERS_BYTES = (TC_SCALARS + TC_PER_CLASS_ARRAYS * MAX_SLAB_CLASSES + LRU_IDS) * 8;

/** Bytes of the -o track_sizes histogram (stats.ts SizeHistogram): a word per 32-byte size up to -I. */
export function sizeHistogramBytes(itemSizeMax: number): number {
  return (Math.floor(itemSizeMax / 32) + 2) * 4;
}
