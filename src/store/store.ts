// The only store file protocol/ may import: the verbs, their result codes, and the reused
// ItemView a lookup fills. Keys are always (buffer, start, length): no subarray per key.
// Item identity is a number (ItemRef); a ref from a lookup is valid until the next call that
// may store, delete or evict, so callers use it at once (the loop is single-threaded).

export type ItemRef = number;

export const StoreMode = {
  Set: 0,
  Add: 1,
  Replace: 2,
  Append: 3,
  Prepend: 4,
  Cas: 5, // set only if the item exists and its cas equals casIn
  // meta `ms I C<cas>` (memcached's set_stale): as Cas, but a casIn lower than the item's cas
  // also stores, keeping the old exptime, marking the new item Stale and keeping TokenSent.
  CasStale: 6,
} as const;
export type StoreMode = (typeof StoreMode)[keyof typeof StoreMode];

export const StoreResult = {
  Stored: 0,
  NotStored: 1,
  Exists: 2, // cas mismatch
  NotFound: 3, // cas on a missing key
  TooLarge: 4,
  NoMemory: 5,
} as const;
export type StoreResult = (typeof StoreResult)[keyof typeof StoreResult];

// allocate() returns an ItemRef >= 0, or one of these.
export const AllocError = {
  TooLarge: -1, // key + value beyond -I
  NoMemory: -2, // -M, or nothing evictable
} as const;

export const DeleteResult = { Deleted: 0, NotFound: 1, Exists: 2 } as const;
export type DeleteResult = (typeof DeleteResult)[keyof typeof DeleteResult];

export const DeltaResult = {
  Ok: 0,
  NotFound: 1,
  NonNumeric: 2, // CLIENT_ERROR cannot increment or decrement non-numeric value
  Exists: 3, // casIn given and different
  NoMemory: 4,
} as const;
export type DeltaResult = (typeof DeltaResult)[keyof typeof DeltaResult];

// Options for get(), a bit mask.
export const GetOpt = {
  None: 0,
  NoBump: 1, // do not update last access / LRU position (meta `u`)
  Touch: 2, // set a new exptime (gat/gats, binary GAT/TOUCH, meta T)
  CountAsTouch: 4, // stats: count touch_hits/touch_misses (touch, gat) besides get_*
  NoStats: 8, // do not count hits/misses at all (meta me, internal lookups)
  NoFetchMark: 16, // do not mark the item fetched (meta me)
  NoWatch: 32, // an internal re-lookup, not the client's: watchers do not hear of it
} as const;

// Item bits (view.itemBits), kept per item for meta commands.
export const ItemBit = {
  Fetched: 1, // read at least once since stored (meta h, expired_unfetched)
  Stale: 2, // invalidated with meta I: served with X until replaced
  TokenSent: 4, // a recache (W) token went out: others see Z
  KeyBinary: 8, // stored by meta with a base64 (`b`) key: meta `k` returns it base64-encoded
} as const;

/** Filled by lookups; one instance reused per session. */
export interface ItemView {
  ref: ItemRef;
  flags: number; // client flags, uint32
  valueLen: number; // bytes of value, without the trailing \r\n
  keyLen: number;
  cas: number; // 0 when -C; below 2^53
  exptime: number; // server-relative seconds; 0 = never
  lastAccess: number; // server-relative seconds
  itemBits: number; // ItemBit mask, before this lookup changed it
  slabClass: number;
}

export function newItemView(): ItemView {
  return { ref: -1, flags: 0, valueLen: 0, keyLen: 0, cas: 0, exptime: 0, lastAccess: 0, itemBits: 0, slabClass: 0 };
}

/** What a key lookup found (memcached's item_get status: not_found found flushed expired). */
export const LookupOutcome = { NotFound: 0, Found: 1, Flushed: 2, Expired: 3 } as const;
export type LookupOutcome = (typeof LookupOutcome)[keyof typeof LookupOutcome];

/** Which StoreListener calls the store makes, a bit mask (0: none, and nothing is built). */
export const StoreEvents = { ItemGet: 1, ItemStore: 2, Eviction: 4 } as const;

/**
 * Item events for live watchers (log/watch.ts), called synchronously where memcached's items.c
 * logs them. Key bytes are valid only during the call. The store checks its event mask before
 * gathering any argument, so nobody watching costs one field test per verb.
 */
export interface StoreListener {
  /** Every key lookup (memcached's do_item_get): gets, and the lookups inside store, delete, touch, incr. */
  itemGet(outcome: LookupOutcome, key: Buffer, keyStart: number, keyLen: number, valueLen: number, slabClass: number): void;
  /**
   * Every store attempt: its result and mode, the item it concerned (the merged one for a
   * successful append), its value length, and seconds to its expiry as memcached's uint32
   * arithmetic gives them (0 = never; an exptime already past wraps). A store refused before
   * any item was allocated (too large, no memory) has valueLen 0, ttlSec 0 and slabClass -1.
   */
  itemStore(result: StoreResult, mode: StoreMode, key: Buffer, keyStart: number, keyLen: number, valueLen: number,
    ttlSec: number, slabClass: number): void;
  /** An item evicted from an LRU tail: ttlSec -1 when it had no exptime; idleSec since last access. */
  eviction(key: Buffer, keyStart: number, keyLen: number, valueLen: number, isFetched: boolean, ttlSec: number,
    idleSec: number, slabClass: number): void;
}

/** Named exactly as the wire names, for `stats`. */
export interface StoreStats {
  limit_maxbytes: number;
  hash_power_level: number;
  hash_bytes: number;
  hash_is_expanding: number;
  slab_reassign_rescues: number;
  slab_reassign_chunk_rescues: number;
  slab_reassign_evictions_nomem: number;
  slab_reassign_inline_reclaim: number;
  slab_reassign_busy_items: number;
  slab_reassign_busy_deletes: number;
  slab_reassign_running: number;
  slabs_moved: number;
  lru_crawler_running: number;
  lru_crawler_starts: number;
  lru_maintainer_juggles: number;
  malloc_fails: number;
  bytes: number;
  curr_items: number;
  total_items: number;
  slab_global_page_pool: number;
  expired_unfetched: number;
  evicted_unfetched: number;
  evicted_active: number;
  evictions: number;
  reclaimed: number;
  crawler_reclaimed: number;
  crawler_items_checked: number;
  lrutail_reflocked: number;
  moves_to_cold: number;
  moves_to_warm: number;
  moves_within_lru: number;
  direct_reclaims: number;
  lru_bumps_dropped: number;
  // Outcome counters, summed over slab classes (memcached aggregates slab stats the same way).
  cmd_set: number;
  get_hits: number;
  get_misses: number;
  get_expired: number;
  get_flushed: number;
  delete_misses: number;
  delete_hits: number;
  incr_misses: number;
  incr_hits: number;
  decr_misses: number;
  decr_hits: number;
  cas_misses: number;
  cas_hits: number;
  cas_badval: number;
  touch_hits: number;
  touch_misses: number;
  store_too_large: number;
  store_no_memory: number;
}

/** Outcome counters meta commands adjust through Store.adjustStat. */
export type CountedStat = 'cmd_set' | 'get_hits' | 'get_misses' | 'touch_hits' | 'touch_misses' | 'delete_hits'
  | 'delete_misses' | 'incr_misses' | 'decr_misses' | 'incr_hits' | 'decr_hits';

/** Emits one `STAT name value` pair; the renderer writes the line. */
export type StatEmitter = (name: string, value: string | number) => void;

export interface Store {
  // --- lookups -------------------------------------------------------------------------
  /** Finds a live item; fills view; counts get (or touch) hits and misses unless NoStats. */
  get(key: Buffer, keyStart: number, keyLen: number, view: ItemView, opts: number, touchExptime: number): boolean;
  /**
   * Copies len bytes of the value of view.ref starting at valueOffset into dst. dstView, when
   * given, is a DataView of the whole of dst (common/byte-copy.ts): the copy allocates nothing.
   */
  copyValue(ref: ItemRef, valueOffset: number, dst: Buffer, dstStart: number, len: number, dstView?: DataView): void;
  /** Copies the key of ref into dst; returns key length. */
  copyKey(ref: ItemRef, dst: Buffer, dstStart: number): number;
  /**
   * Zero-copy replies of large values: the value of ref (plus its stored \r\n when withCrlf)
   * as a view of the slab page, or null when the value spans several chunks. The bytes stay
   * put only while ref is pinned: pin() before handing the view to a socket, unpin() once the
   * socket no longer holds it. A pinned item is not evicted, its page not moved, and if it is
   * deleted or replaced meanwhile its chunk is freed only at the last unpin. from: skip that
   * many value bytes (the rest of a value being read straight into an allocated item).
   */
  valueSlice(ref: ItemRef, withCrlf: boolean, from?: number): Buffer | null;
  pin(ref: ItemRef): void;
  unpin(ref: ItemRef): void;
  /**
   * A run of requests begins / ends (a session's read loop). get() keeps a reference for the
   * caller's reads of the item it found until the next verb; inside a run the run's end drops
   * it, outside one a microtask queued by the get does.
   */
  beginRun(): void;
  endRun(): void;

  // --- two-phase storage (alloc -> fill value -> link | release) -------------------------
  /** exptime as the client sent it (memcached's rules applied inside). Counts cmd_set. */
  allocate(key: Buffer, keyStart: number, keyLen: number, flags: number, exptime: number, valueLen: number): ItemRef;
  /** Copies arriving value bytes into the allocated item at valueOffset. */
  writeValue(ref: ItemRef, valueOffset: number, src: Buffer, srcStart: number, len: number): void;
  /** Links an allocated item under mode; casIn for Cas mode (and meta C on any mode; 0 = none). */
  link(ref: ItemRef, mode: StoreMode, casIn: number): StoreResult;
  /** Frees an allocated item that will not be linked (bad data chunk, swallowed value). */
  release(ref: ItemRef): void;
  /** cas of the item the last successful link() stored (meta ms `c`, binary replies). */
  readonly lastCas: number;
  /**
   * counts store_too_large / store_no_memory for a failed allocate (mode: the store command, for
   * watchers), and for set unlinks the old item.
   */
  noteAllocFailure(err: number, key: Buffer, keyStart: number, keyLen: number, unlinkOld: boolean, mode: StoreMode): void;

  // --- other item verbs ------------------------------------------------------------------
  delete(key: Buffer, keyStart: number, keyLen: number, casIn: number): DeleteResult;
  /** touch: new exptime; counts cmd_touch-style hits (touch_hits/touch_misses). */
  touch(key: Buffer, keyStart: number, keyLen: number, exptime: number): boolean;
  /**
   * incr/decr by delta (uint64). On Ok, deltaValue holds the new value and lastCas the new cas.
   * When the key is missing and vivifyExptime is not null, creates it with `initial` (meta N/J,
   * binary incr with exptime != 0xffffffff) and returns Ok.
   */
  delta(key: Buffer, keyStart: number, keyLen: number, isIncr: boolean, delta: bigint, casIn: number,
    initial: bigint, vivifyExptime: number | null, view: ItemView | null): DeltaResult;
  readonly deltaValue: bigint;
  /** Sets item bits (meta Stale/TokenSent) on a ref from a lookup. */
  setItemBits(ref: ItemRef, bits: number): void;
  clearItemBits(ref: ItemRef, bits: number): void;
  /** Gives ref a fresh cas (meta md I / ms I); returns it. */
  bumpCas(ref: ItemRef): number;
  /** Sets a new exptime (client form) on ref. */
  setExptime(ref: ItemRef, exptime: number): void;
  /** Unlinks ref from the index and LRU (meta md, internal). */
  unlinkRef(ref: ItemRef): void;
  /**
   * Adds `by` to an outcome counter (per slab class where memcached keeps it per class).
   * Meta commands look items up with NoStats and count exactly as memcached's proto_text does.
   */
  adjustStat(name: CountedStat, slabClass: number, by: number): void;

  // --- whole-cache verbs -----------------------------------------------------------------
  /** flush_all [delay]: items stored at or before now+delay become invisible then. */
  flushAll(delaySec: number): void;
  /** cache_memlimit: returns false when below 8 MiB (MEMLIMIT_TOO_SMALL). */
  setMemLimit(bytes: number): boolean;
  /** Server-relative seconds now (memcached's current_time). */
  now(): number;
  /** Converts a client exptime to server-relative seconds (0 = never, negative -> already past). */
  realTime(exptime: number): number;
  /** Unix time at which the server clock was 0 (process_started). */
  readonly processStarted: number;
  /** memcached-debug's `debugtime N`: moves the server clock N seconds (negative: back). */
  shiftClock(deltaSec: number): void;
  /** memcached-debug's `debugtime p` (true) / `debugtime r` (false): stop or restart the clock. */
  pauseClock(isPaused: boolean): void;

  // --- watchers --------------------------------------------------------------------------
  /**
   * Sets who hears item events, and which: the StoreEvents bits in events[0], read at each verb
   * (the caller may change the word later, from any thread: watchers of other serving threads).
   * null or a 0 word turns them off.
   */
  setListener(listener: StoreListener | null, events: Int32Array): void;

  // --- stats -----------------------------------------------------------------------------
  stats(): StoreStats;
  /** `stats items`, `stats slabs`, `stats sizes` bodies, in memcached's order. */
  emitItems(emit: StatEmitter): void;
  emitSlabs(emit: StatEmitter): void;
  emitSizes(emit: StatEmitter): void;
  /** `stats reset`: zero the outcome counters. */
  resetStats(): void;
  /** `stats cachedump <cls> <limit>` lines: calls back with key bytes, value length, exptime (unix). */
  cachedump(slabClass: number, limit: number, each: (ref: ItemRef, keyLen: number, valueLen: number, exptimeUnix: number) => void): void;
  /** `slabs reassign` result word: OK, BUSY, BADCLASS, NOSPARE, NOTFULL, UNSAFE, SAME. */
  slabsReassign(src: number, dst: number): string;
  /**
   * lru_crawler control; args are the tokens after `lru_crawler`. Returns memcached's reply line
   * without CRLF, except for `metadump`, which returns the whole block ending in `END\r\n`.
   */
  lruCrawlerCommand(args: readonly string[]): string;
  /**
   * `lru_crawler metadump <classes|all|hash>`: returns '' after calling each() once per live
   * item with memcached's line (`key=<uri-encoded> exp=.. la=.. cas=.. fetch=yes|no cls=.. size=..\n`,
   * LF included; the caller then writes `END\r\n`), or returns the error reply line instead
   * (`BADCLASS invalid class id`, `CLIENT_ERROR lru crawler disabled`, `ERROR metadump not allowed`).
   */
  metadump(spec: string, each: (line: string) => void): string;
  /** `-vv` start-up lines: `slab class   N: chunk size ... perslab ...` */
  describeSlabClasses(each: (line: string) => void): void;
  /** Bytes the item occupies (header + key + value + CRLF), as meta `me` size= reports. */
  itemTotalSize(ref: ItemRef): number;
  /** Stops timers (crawler, clock). */
  close(): void;
}
