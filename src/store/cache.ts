// The slab-style store behind store.ts: memcached's items.c + slabs.c + assoc.c in one
// single-threaded object. Item bytes live in 1 MiB pages off the V8 heap; every per-item
// field lives in the chunk header (see item-layout.ts); the hash buckets, the per-class LRU
// ends and all counters are typed arrays. No JavaScript object, string or Map entry per item.

import type { Settings } from '../config/settings.js';
import {
  AllocError,
  DeleteResult,
  DeltaResult,
  GetOpt,
  StoreMode,
  StoreResult,
  type CountedStat,
  type ItemRef,
  type ItemView,
  type StatEmitter,
  type Store,
  type StoreStats,
} from './store.js';
import { CLOCK_START_OFFSET_SEC, ITEM_UPDATE_INTERVAL, REALTIME_MAXDELTA, systemClock, type Clock } from './clock.js';
import { murmur3 } from './hash.js';
import { computeSlabClasses, describeSlabClass, MAX_SLAB_CLASSES, SLAB_PAGE_SIZE } from './slab-classes.js';
import {
  HDR_BYTES,
  IF_ACTIVE,
  IF_CHAINED,
  IF_CONT,
  IF_FETCHED,
  IF_LINKED,
  IF_STALE,
  IF_TOKEN,
  IF_USED,
  ITEM_BITS_MASK,
  mcItemTotal,
  META_FLAG_SHIFT,
  NIL,
  REF_OFF_MASK,
  REF_PAGE_STRIDE,
  W_CASHI,
  W_CASLO,
  W_CHAIN,
  W_EXP,
  W_FLAGS,
  W_HASH,
  W_HNEXT,
  W_META,
  W_NEXT,
  W_PREV,
  W_TIME,
  W_VLEN,
} from './item-layout.js';

const MIB = 1024 * 1024;
const MAX_PAGES = 32767; // refs stay below 2^32 (NIL excluded)
const HASH_SEED = 0;
const HASHPOWER_DEFAULT = 16;
const HASHPOWER_MAX = 32;
const EXPAND_BUCKETS_PER_STORE = 64;
const EVICT_SEARCH = 5; // items looked at from an LRU tail per eviction try (memcached: 5)
const CRAWL_SLICE_MS = 1;
const CRAWL_TICK_MS = 10;
const CRAWL_IDLE_TICK_MS = 1000;
const CRAWL_AUTO_INTERVAL_SEC = 60;
const MIN_MEMLIMIT = 8 * MIB;
const CLOCK_TICK_MS = 100;
const TWO_32 = 4294967296;
const U64_MASK = (1n << 64n) - 1n;
const EMPTY_WORDS = new Uint32Array(0);
const EMPTY_PAGE = Buffer.alloc(0);
const CRLF0 = 0x0d;
const CRLF1 = 0x0a;


function f64(): Float64Array {
  return new Float64Array(MAX_SLAB_CLASSES);
}

export function createStore(settings: Settings, clock?: Clock): Store {
  return new Cache(settings, clock ?? systemClock);
}

export class Cache implements Store {
  // --- configuration ---
  private readonly casEnabled: boolean;
  private readonly itemSizeMax: number;
  private readonly evictionsDisabled: boolean;
  private readonly trackSizes: boolean;
  private readonly hashExpandDisabled: boolean;
  private readonly dumpEnabled: boolean;
  private readonly chunkSize: Int32Array;
  private readonly perSlab: Int32Array;
  private readonly largest: number;
  private memLimit: number;
  private automove: number;

  // --- pages ---
  private pages: Buffer[] = [];
  private words: Uint32Array[] = [];
  private readonly pageClass = new Uint8Array(MAX_PAGES + 1);
  private readonly pageUsed = new Uint32Array(MAX_PAGES + 1);
  private readonly freePageSlots: number[] = [];
  private pageCount = 0;

  // --- per slab class ---
  private readonly freeHead = new Uint32Array(MAX_SLAB_CLASSES).fill(NIL);
  private readonly freeCount = new Float64Array(MAX_SLAB_CLASSES);
  private readonly carvePage = new Int32Array(MAX_SLAB_CLASSES).fill(-1);
  private readonly carveNext = new Int32Array(MAX_SLAB_CLASSES);
  private readonly classPages = new Float64Array(MAX_SLAB_CLASSES);
  private readonly lruHead = new Uint32Array(MAX_SLAB_CLASSES).fill(NIL);
  private readonly lruTail = new Uint32Array(MAX_SLAB_CLASSES).fill(NIL);
  private readonly lruCount = new Float64Array(MAX_SLAB_CLASSES);
  private readonly memRequested = new Float64Array(MAX_SLAB_CLASSES);
  // slab_stats (stats slabs) and lru_hits
  private readonly sGetHits = f64();
  private readonly sSetCmds = f64();
  private readonly sDeleteHits = f64();
  private readonly sIncrHits = f64();
  private readonly sDecrHits = f64();
  private readonly sCasHits = f64();
  private readonly sCasBadval = f64();
  private readonly sTouchHits = f64();
  // itemstats (stats items)
  private readonly iEvicted = f64();
  private readonly iEvictedNonzero = f64();
  private readonly iEvictedTime = f64();
  private readonly iOutOfMemory = f64();
  private readonly iReclaimed = f64();
  private readonly iExpiredUnfetched = f64();
  private readonly iEvictedUnfetched = f64();
  private readonly iEvictedActive = f64();
  private readonly iCrawlerReclaimed = f64();
  private readonly iCrawlerItemsChecked = f64();
  private readonly iMovesToWarm = f64();
  private readonly iDirectReclaims = f64();

  // --- global counters ---
  private getMisses = 0;
  private getExpired = 0;
  private getFlushed = 0;
  private touchMisses = 0;
  private deleteMisses = 0;
  private incrMisses = 0;
  private decrMisses = 0;
  private casMisses = 0;
  private storeTooLarge = 0;
  private storeNoMemory = 0;
  private totalItems = 0;
  private currItems = 0;
  private currBytes = 0;
  private slabsMoved = 0;
  private slabReassignEvictionsNomem = 0;
  private crawlerStarts = 0;
  private mallocFails = 0;
  private readonly sizesHist: Uint32Array | null;

  // --- hash index ---
  private hashPower: number;
  private buckets: Uint32Array;
  private oldBuckets: Uint32Array | null = null;
  private expandBucket = 0;

  // --- clock, cas, flush ---
  private readonly clock: Clock;
  readonly processStarted: number;
  private currentTime = CLOCK_START_OFFSET_SEC;
  private casId = 0;
  private oldestLive = 0;
  private oldestCas = 0;

  // --- results of the last call ---
  lastCas = 0;
  deltaValue = 0n;
  private pinned = NIL; // an item a running verb still reads: eviction skips it

  // --- crawler ---
  private crawlerEnabled: boolean;
  private crawlerSleepUs: number;
  private crawlerToCrawl: number;
  private crawlRunning = false;
  private readonly crawlClasses = new Uint8Array(MAX_SLAB_CLASSES);
  private crawlPage = 0;
  private crawlOffset = 0;
  private crawlLastStart = 0;
  private crawlTimer: NodeJS.Timeout | null = null;
  private expandTimer: NodeJS.Timeout | null = null;
  // With the system clock, time is read by a timer (memcached's clock_handler) instead of on
  // every verb; injected clocks are read on every verb so tests can move them at will.
  private clockTimer: NodeJS.Timeout | null = null;
  private closed = false;
  // chained-item read cursor (sequential copyValue over a big value)
  private cursorRef = NIL;
  private cursorIndex = 0;
  private cursorChunk = NIL;

  constructor(settings: Settings, clock: Clock) {
    this.clock = clock;
    this.casEnabled = settings.casEnabled;
    this.itemSizeMax = settings.itemSizeMax;
    this.evictionsDisabled = settings.evictionsDisabled;
    this.trackSizes = settings.trackSizes;
    this.hashExpandDisabled = settings.hashExpandDisabled;
    this.dumpEnabled = settings.dumpEnabled;
    this.memLimit = settings.memLimitBytes;
    this.automove = settings.slabAutomove;
    const geo = computeSlabClasses(settings.chunkSizeMin, settings.growthFactor, settings.slabChunkMax);
    this.chunkSize = new Int32Array(MAX_SLAB_CLASSES);
    this.perSlab = new Int32Array(MAX_SLAB_CLASSES);
    for (let i = 1; i <= geo.largest; i++) {
      this.chunkSize[i] = geo.chunkSize[i]!;
      this.perSlab[i] = geo.perSlab[i]!;
    }
    this.largest = geo.largest;
    this.hashPower = settings.hashPowerInit > 0 ? settings.hashPowerInit : HASHPOWER_DEFAULT;
    this.buckets = new Uint32Array(2 ** this.hashPower).fill(NIL);
    this.sizesHist = this.trackSizes ? new Uint32Array(Math.floor(this.itemSizeMax / 32) + 2) : null;
    const nowUnix = Math.floor(clock.nowUnixSec());
    this.processStarted = nowUnix - CLOCK_START_OFFSET_SEC;
    this.crawlerEnabled = settings.lruCrawler;
    this.crawlerSleepUs = settings.lruCrawlerSleepUs;
    this.crawlerToCrawl = settings.lruCrawlerToCrawl;
    this.readClock();
    this.crawlLastStart = this.currentTime;
    if (clock === systemClock) {
      this.clockTimer = setInterval(() => this.readClock(), CLOCK_TICK_MS);
      this.clockTimer.unref();
    }
    this.scheduleCrawler(CRAWL_IDLE_TICK_MS);
  }

  // =====================================================================================
  // clock
  // =====================================================================================

  now(): number {
    if (this.clockTimer !== null) return this.currentTime;
    return this.readClock();
  }

  private readClock(): number {
    const t = Math.floor(this.clock.nowUnixSec()) - this.processStarted;
    // memcached's clock never runs backwards
    if (t > this.currentTime) this.currentTime = t;
    return this.currentTime;
  }

  realTime(exptime: number): number {
    if (exptime === 0) return 0;
    if (exptime < 0) return 1;
    if (exptime > REALTIME_MAXDELTA) {
      if (exptime <= this.processStarted) return 1;
      return exptime - this.processStarted;
    }
    return exptime + this.currentTime;
  }

  private nextCas(): number {
    return this.casEnabled ? ++this.casId : 0;
  }

  // =====================================================================================
  // item field helpers
  // =====================================================================================

  private w(ref: number): Uint32Array {
    return this.words[(ref / REF_PAGE_STRIDE) | 0]!;
  }

  private metaOf(ref: number): number {
    return this.w(ref)[((ref & REF_OFF_MASK) << 1) + W_META]!;
  }

  private flagsOf(ref: number): number {
    return this.metaOf(ref) >>> META_FLAG_SHIFT;
  }

  private setFlagBits(ref: number, bits: number): void {
    const w = this.w(ref);
    const b = ((ref & REF_OFF_MASK) << 1) + W_META;
    w[b] = (w[b]! | (bits << META_FLAG_SHIFT)) >>> 0;
  }

  private clearFlagBits(ref: number, bits: number): void {
    const w = this.w(ref);
    const b = ((ref & REF_OFF_MASK) << 1) + W_META;
    w[b] = (w[b]! & ~(bits << META_FLAG_SHIFT)) >>> 0;
  }

  private casOf(ref: number): number {
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    return w[b + W_CASHI]! * TWO_32 + w[b + W_CASLO]!;
  }

  setCas(ref: ItemRef, cas: number): void {
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    w[b + W_CASLO] = cas >>> 0;
    w[b + W_CASHI] = Math.floor(cas / TWO_32);
  }

  private totalOf(ref: number): number {
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    return mcItemTotal(w[b + W_META]! & 0xff, w[b + W_VLEN]!, w[b + W_FLAGS]!, this.casEnabled);
  }

  private isFlushed(ref: number): boolean {
    const oldest = this.oldestLive;
    if (oldest === 0 || oldest > this.currentTime) return false;
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    if (w[b + W_TIME]! <= oldest) return true;
    if (this.oldestCas !== 0) {
      const cas = w[b + W_CASHI]! * TWO_32 + w[b + W_CASLO]!;
      if (cas !== 0 && cas < this.oldestCas) return true;
    }
    return false;
  }

  private isExpired(ref: number): boolean {
    const w = this.w(ref);
    const exp = w[((ref & REF_OFF_MASK) << 1) + W_EXP]!;
    return exp !== 0 && exp <= this.currentTime;
  }

  // =====================================================================================
  // hash index
  // =====================================================================================

  private keyEquals(ref: number, key: Buffer, keyStart: number, keyLen: number): boolean {
    const page = this.pages[(ref / REF_PAGE_STRIDE) | 0]!;
    const off = ((ref & REF_OFF_MASK) << 3) + HDR_BYTES;
    if (keyLen <= 32) {
      for (let i = 0; i < keyLen; i++) if (page[off + i] !== key[keyStart + i]) return false;
      return true;
    }
    return key.compare(page, off, off + keyLen, keyStart, keyStart + keyLen) === 0;
  }

  private bucketTable(hv: number): Uint32Array {
    const old = this.oldBuckets;
    if (old !== null && (hv & (old.length - 1)) >= this.expandBucket) return old;
    return this.buckets;
  }

  private find(hv: number, key: Buffer, keyStart: number, keyLen: number): number {
    const table = this.bucketTable(hv);
    let it = table[hv & (table.length - 1)]!;
    while (it !== NIL) {
      const w = this.words[(it / REF_PAGE_STRIDE) | 0]!;
      const b = (it & REF_OFF_MASK) << 1;
      if (w[b + W_HASH] === hv && (w[b + W_META]! & 0xff) === keyLen && this.keyEquals(it, key, keyStart, keyLen)) return it;
      it = w[b + W_HNEXT]!;
    }
    return NIL;
  }

  private hashInsert(ref: number, hv: number): void {
    const table = this.bucketTable(hv);
    const idx = hv & (table.length - 1);
    const w = this.w(ref);
    w[((ref & REF_OFF_MASK) << 1) + W_HNEXT] = table[idx]!;
    table[idx] = ref;
  }

  private hashRemove(ref: number, hv: number): void {
    const table = this.bucketTable(hv);
    const idx = hv & (table.length - 1);
    let it = table[idx]!;
    const next = this.w(ref)[((ref & REF_OFF_MASK) << 1) + W_HNEXT]!;
    if (it === ref) {
      table[idx] = next;
      return;
    }
    while (it !== NIL) {
      const w = this.w(it);
      const b = ((it & REF_OFF_MASK) << 1) + W_HNEXT;
      const n = w[b]!;
      if (n === ref) {
        w[b] = next;
        return;
      }
      it = n;
    }
  }

  private maybeStartExpand(): void {
    if (this.oldBuckets !== null || this.hashExpandDisabled || this.hashPower >= HASHPOWER_MAX) return;
    if (this.currItems <= (this.buckets.length * 3) / 2) return;
    this.oldBuckets = this.buckets;
    this.hashPower++;
    this.buckets = new Uint32Array(2 ** this.hashPower).fill(NIL);
    this.expandBucket = 0;
    if (this.expandTimer === null && !this.closed) {
      this.expandTimer = setTimeout(this.expandTick, 0);
      this.expandTimer.unref();
    }
  }

  /** Moves up to n old buckets into the new table; memcached's assoc_maintenance_thread. */
  private expandStep(n: number): void {
    const old = this.oldBuckets;
    if (old === null) return;
    const mask = this.buckets.length - 1;
    const end = Math.min(old.length, this.expandBucket + n);
    for (let i = this.expandBucket; i < end; i++) {
      let it = old[i]!;
      while (it !== NIL) {
        const w = this.w(it);
        const b = (it & REF_OFF_MASK) << 1;
        const next = w[b + W_HNEXT]!;
        const idx = w[b + W_HASH]! & mask;
        w[b + W_HNEXT] = this.buckets[idx]!;
        this.buckets[idx] = it;
        it = next;
      }
      old[i] = NIL;
    }
    this.expandBucket = end;
    if (end >= old.length) {
      this.oldBuckets = null;
      this.expandBucket = 0;
    }
  }

  private readonly expandTick = (): void => {
    this.expandTimer = null;
    const deadline = performance.now() + CRAWL_SLICE_MS;
    while (this.oldBuckets !== null && performance.now() < deadline) this.expandStep(4096);
    if (this.oldBuckets !== null && !this.closed) {
      this.expandTimer = setTimeout(this.expandTick, 1);
      this.expandTimer.unref();
    }
  };

  // =====================================================================================
  // LRU (one list per class; head = most recent)
  // =====================================================================================

  private lruLink(ref: number, cls: number): void {
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    const head = this.lruHead[cls]!;
    w[b + W_PREV] = NIL;
    w[b + W_NEXT] = head;
    if (head !== NIL) this.w(head)[((head & REF_OFF_MASK) << 1) + W_PREV] = ref;
    else this.lruTail[cls] = ref;
    this.lruHead[cls] = ref;
    this.lruCount[cls]!++;
  }

  private lruUnlink(ref: number, cls: number): void {
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    const prev = w[b + W_PREV]!;
    const next = w[b + W_NEXT]!;
    if (prev !== NIL) this.w(prev)[((prev & REF_OFF_MASK) << 1) + W_NEXT] = next;
    else this.lruHead[cls] = next;
    if (next !== NIL) this.w(next)[((next & REF_OFF_MASK) << 1) + W_PREV] = prev;
    else this.lruTail[cls] = prev;
    w[b + W_PREV] = NIL;
    w[b + W_NEXT] = NIL;
    this.lruCount[cls]!--;
  }

  private lruBump(ref: number, cls: number): void {
    if (this.lruHead[cls] === ref) return;
    this.lruUnlink(ref, cls);
    this.lruLink(ref, cls);
  }

  // =====================================================================================
  // slabs: pages, chunks, free lists
  // =====================================================================================

  private classFor(total: number): number {
    for (let c = 1; c <= this.largest; c++) if (total <= this.chunkSize[c]!) return c;
    return 0;
  }

  private newPage(cls: number): boolean {
    if ((this.pageCount + 1) * SLAB_PAGE_SIZE > this.memLimit) return false;
    let page: number;
    if (this.freePageSlots.length > 0) page = this.freePageSlots.pop()!;
    else {
      if (this.pages.length > MAX_PAGES) return false;
      page = this.pages.length;
      this.pages.push(EMPTY_PAGE);
      this.words.push(EMPTY_WORDS);
    }
    let buf: Buffer;
    try {
      buf = Buffer.allocUnsafeSlow(SLAB_PAGE_SIZE);
    } catch {
      this.mallocFails++;
      this.freePageSlots.push(page);
      return false;
    }
    this.pages[page] = buf;
    this.words[page] = new Uint32Array(buf.buffer, buf.byteOffset, SLAB_PAGE_SIZE >>> 2);
    this.pageCount++;
    this.assignPage(page, cls);
    return true;
  }

  /** Gives an empty page to cls: carved lazily when the class has no carve running. */
  private assignPage(page: number, cls: number): void {
    // chunk headers must not be read from stale bytes (fresh memory or another geometry)
    this.pages[page]!.fill(0);
    this.pageClass[page] = cls;
    this.pageUsed[page] = 0;
    this.classPages[cls]!++;
    const per = this.perSlab[cls]!;
    if (this.carvePage[cls] === -1) {
      this.carvePage[cls] = page;
      this.carveNext[cls] = 0;
    } else {
      const size = this.chunkSize[cls]!;
      for (let i = per - 1; i >= 0; i--) this.pushFree(page * REF_PAGE_STRIDE + ((i * size) >>> 3), cls);
    }
  }

  private pushFree(ref: number, cls: number): void {
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    w[b + W_META] = cls << 8;
    w[b + W_NEXT] = this.freeHead[cls]!;
    this.freeHead[cls] = ref;
    this.freeCount[cls]!++;
  }

  /** A free chunk of cls without evicting, or NIL. */
  private takeChunk(cls: number): number {
    let ref = this.freeHead[cls]!;
    if (ref !== NIL) {
      this.freeHead[cls] = this.w(ref)[((ref & REF_OFF_MASK) << 1) + W_NEXT]!;
      this.freeCount[cls]!--;
    } else {
      let page = this.carvePage[cls]!;
      if (page === -1) {
        if (!this.newPage(cls)) return NIL;
        page = this.carvePage[cls]!;
        if (page === -1) return this.takeChunk(cls);
      }
      const i = this.carveNext[cls]!;
      ref = page * REF_PAGE_STRIDE + ((i * this.chunkSize[cls]!) >>> 3);
      if (i + 1 >= this.perSlab[cls]!) this.carvePage[cls] = -1;
      else this.carveNext[cls] = i + 1;
    }
    this.pageUsed[(ref / REF_PAGE_STRIDE) | 0]!++;
    return ref;
  }

  private freeChunk(ref: number, cls: number): void {
    const page = (ref / REF_PAGE_STRIDE) | 0;
    this.pageUsed[page]!--;
    this.pushFree(ref, cls);
    if (this.pageUsed[page] === 0 && this.pageCount * SLAB_PAGE_SIZE > this.memLimit) this.releasePage(page);
  }

  /** Frees every chunk of an unlinked item. */
  private freeItem(ref: number): void {
    if (ref === this.cursorRef) this.cursorRef = NIL;
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    const meta = w[b + W_META]!;
    const cls = (meta >>> 8) & 0xff;
    let chain = (meta >>> META_FLAG_SHIFT) & IF_CHAINED ? w[b + W_CHAIN]! : NIL;
    this.freeChunk(ref, cls);
    while (chain !== NIL) {
      const next = this.w(chain)[((chain & REF_OFF_MASK) << 1) + W_CHAIN]!;
      this.freeChunk(chain, this.largest);
      chain = next;
    }
  }

  /** Chunks not handed out yet: the free list plus what is left of the page being carved. */
  private freeChunksOf(cls: number): number {
    const carve = this.carvePage[cls] === -1 ? 0 : this.perSlab[cls]! - this.carveNext[cls]!;
    return this.freeCount[cls]! + carve;
  }

  /**
   * Gets a chunk of cls: free list, new page, then the LRU tail (expired first, then
   * eviction unless -M), then a page taken from another class. NIL when none can be had.
   */
  private allocChunk(cls: number): number {
    let ref = this.takeChunk(cls);
    if (ref !== NIL) return ref;
    for (let tries = 0; tries < 10; tries++) {
      if (!this.pullTail(cls)) break;
      ref = this.takeChunk(cls);
      if (ref !== NIL) return ref;
    }
    if (this.stealPage(cls)) {
      ref = this.takeChunk(cls);
      if (ref !== NIL) return ref;
    }
    return NIL;
  }

  /**
   * memcached's lru_pull_tail: reclaims an expired or flushed item near the tail, else evicts
   * the tail (items hit twice get one second chance at the head). false = nothing freed.
   */
  private pullTail(cls: number): boolean {
    let it = this.lruTail[cls]!;
    let secondChances = 0;
    while (it !== NIL) {
      const w = this.w(it);
      const b = (it & REF_OFF_MASK) << 1;
      const prev = w[b + W_PREV]!;
      if (it === this.pinned) {
        it = prev;
        continue;
      }
      const flags = w[b + W_META]! >>> META_FLAG_SHIFT;
      if (this.isFlushed(it) || this.isExpired(it)) {
        this.iReclaimed[cls]!++;
        if ((flags & IF_FETCHED) === 0) this.iExpiredUnfetched[cls]!++;
        this.unlinkItem(it);
        return true;
      }
      if (this.evictionsDisabled) return false;
      if ((flags & IF_ACTIVE) !== 0 && secondChances < EVICT_SEARCH && this.lruCount[cls]! > 1) {
        // memcached moves active COLD items to WARM instead of evicting them
        this.clearFlagBits(it, IF_ACTIVE);
        this.lruBump(it, cls);
        this.iMovesToWarm[cls]!++;
        secondChances++;
        it = prev;
        continue;
      }
      this.iEvicted[cls]!++;
      this.iEvictedTime[cls] = this.currentTime - w[b + W_TIME]!;
      if (w[b + W_EXP] !== 0) this.iEvictedNonzero[cls]!++;
      if ((flags & IF_FETCHED) === 0) this.iEvictedUnfetched[cls]!++;
      if ((flags & IF_ACTIVE) !== 0) this.iEvictedActive[cls]!++;
      this.unlinkItem(it);
      return true;
    }
    return false;
  }

  /** Unlinks and frees every item with a chunk in page; false when an item there is in use. */
  private evacuatePage(page: number, evictOnly: boolean): boolean {
    const cls = this.pageClass[page]!;
    const size = this.chunkSize[cls]!;
    const per = this.perSlab[cls]!;
    const w = this.words[page]!;
    // first pass: refuse busy pages (allocated but not linked yet, or pinned)
    for (let i = 0; i < per; i++) {
      const ref = page * REF_PAGE_STRIDE + ((i * size) >>> 3);
      const flags = w[((ref & REF_OFF_MASK) << 1) + W_META]! >>> META_FLAG_SHIFT;
      if ((flags & IF_USED) === 0) continue;
      const head = (flags & IF_CONT) !== 0 ? w[((ref & REF_OFF_MASK) << 1) + W_NEXT]! : ref;
      if (head === this.pinned) return false;
      if ((this.flagsOf(head) & IF_LINKED) === 0) return false;
      if (evictOnly) return false;
    }
    for (let i = 0; i < per; i++) {
      const ref = page * REF_PAGE_STRIDE + ((i * size) >>> 3);
      const flags = w[((ref & REF_OFF_MASK) << 1) + W_META]! >>> META_FLAG_SHIFT;
      if ((flags & IF_USED) === 0) continue;
      const head = (flags & IF_CONT) !== 0 ? w[((ref & REF_OFF_MASK) << 1) + W_NEXT]! : ref;
      this.slabReassignEvictionsNomem++;
      this.unlinkItem(head);
    }
    return true;
  }

  /** Detaches an empty page from its class (its free chunks leave the free list). */
  private detachPage(page: number): void {
    const cls = this.pageClass[page]!;
    let prev = NIL;
    let it = this.freeHead[cls]!;
    while (it !== NIL) {
      const next = this.w(it)[((it & REF_OFF_MASK) << 1) + W_NEXT]!;
      if (((it / REF_PAGE_STRIDE) | 0) === page) {
        if (prev === NIL) this.freeHead[cls] = next;
        else this.w(prev)[((prev & REF_OFF_MASK) << 1) + W_NEXT] = next;
        this.freeCount[cls]!--;
      } else prev = it;
      it = next;
    }
    if (this.carvePage[cls] === page) this.carvePage[cls] = -1;
    this.classPages[cls]!--;
  }

  private releasePage(page: number): void {
    this.detachPage(page);
    this.pages[page] = EMPTY_PAGE;
    this.words[page] = EMPTY_WORDS;
    this.pageClass[page] = 0;
    this.pageCount--;
    this.freePageSlots.push(page);
  }

  /** Picks the least used page of src that can be emptied; -1 if none. */
  private pickPage(src: number, emptyOnly: boolean): number {
    let best = -1;
    let bestUsed = Infinity;
    for (let p = 0; p < this.pages.length; p++) {
      if (this.pageClass[p] !== src || this.pages[p] === EMPTY_PAGE) continue;
      const used = this.pageUsed[p]!;
      if (emptyOnly && used !== 0) continue;
      if (used < bestUsed) {
        best = p;
        bestUsed = used;
      }
    }
    return best;
  }

  private movePage(src: number, dst: number, emptyOnly: boolean): boolean {
    const page = this.pickPage(src, emptyOnly);
    if (page < 0) return false;
    if (this.pageUsed[page] !== 0 && !this.evacuatePage(page, emptyOnly)) return false;
    this.detachPage(page);
    this.assignPage(page, dst);
    this.slabsMoved++;
    return true;
  }

  /** When cls cannot evict its own items (none, or -M), takes a page from the class with most. */
  private stealPage(cls: number): boolean {
    if (this.evictionsDisabled) {
      for (let c = 1; c <= this.largest; c++) {
        if (c !== cls && this.classPages[c]! > 0 && this.movePage(c, cls, true)) return true;
      }
      return false;
    }
    if (this.lruCount[cls]! > 0) return false;
    let src = 0;
    for (let c = 1; c <= this.largest; c++) {
      if (c !== cls && this.classPages[c]! > (src === 0 ? 1 : this.classPages[src]!)) src = c;
    }
    if (src === 0) {
      for (let c = 1; c <= this.largest; c++) if (c !== cls && this.classPages[c]! > 0) src = c;
    }
    return src !== 0 && this.movePage(src, cls, false);
  }

  // =====================================================================================
  // link / unlink
  // =====================================================================================

  private linkItem(ref: number): void {
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    const meta = w[b + W_META]!;
    const cls = (meta >>> 8) & 0xff;
    w[b + W_META] = (meta | (IF_LINKED << META_FLAG_SHIFT)) >>> 0;
    w[b + W_TIME] = this.currentTime;
    const cas = this.nextCas();
    w[b + W_CASLO] = cas >>> 0;
    w[b + W_CASHI] = Math.floor(cas / TWO_32);
    const total = mcItemTotal(meta & 0xff, w[b + W_VLEN]!, w[b + W_FLAGS]!, this.casEnabled);
    this.currBytes += total;
    this.currItems++;
    this.totalItems++;
    this.memRequested[cls]! += total;
    if (this.sizesHist !== null) this.sizesHist[Math.ceil(total / 32)]!++;
    this.hashInsert(ref, w[b + W_HASH]!);
    this.lruLink(ref, cls);
    if (this.oldBuckets !== null) this.expandStep(EXPAND_BUCKETS_PER_STORE);
    else this.maybeStartExpand();
  }

  /** Removes a linked item from the index and its LRU and frees its chunks. */
  private unlinkItem(ref: number): void {
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    const meta = w[b + W_META]!;
    if (((meta >>> META_FLAG_SHIFT) & IF_LINKED) === 0) return;
    const cls = (meta >>> 8) & 0xff;
    const total = mcItemTotal(meta & 0xff, w[b + W_VLEN]!, w[b + W_FLAGS]!, this.casEnabled);
    this.currBytes -= total;
    this.currItems--;
    this.memRequested[cls]! -= total;
    if (this.sizesHist !== null) this.sizesHist[Math.ceil(total / 32)]!--;
    this.hashRemove(ref, w[b + W_HASH]!);
    this.lruUnlink(ref, cls);
    w[b + W_META] = (meta & ~(IF_LINKED << META_FLAG_SHIFT)) >>> 0;
    this.freeItem(ref);
  }

  /** do_item_get: a live item or NIL; expired/flushed items met here are unlinked and counted. */
  private lookup(key: Buffer, keyStart: number, keyLen: number, hv: number): number {
    const it = this.find(hv, key, keyStart, keyLen);
    if (it === NIL) return NIL;
    if (this.isFlushed(it)) {
      this.unlinkItem(it);
      this.getFlushed++;
      return NIL;
    }
    if (this.isExpired(it)) {
      this.unlinkItem(it);
      this.getExpired++;
      return NIL;
    }
    return it;
  }

  /** do_item_bump (segmented-LRU flavour): first hit marks fetched, the second active. */
  private bump(ref: number, markFetched: boolean): void {
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    const meta = w[b + W_META]!;
    const flags = meta >>> META_FLAG_SHIFT;
    if ((flags & IF_ACTIVE) !== 0) return;
    if ((flags & IF_FETCHED) === 0) {
      if (markFetched) w[b + W_META] = (meta | (IF_FETCHED << META_FLAG_SHIFT)) >>> 0;
      return;
    }
    w[b + W_META] = (meta | (IF_ACTIVE << META_FLAG_SHIFT)) >>> 0;
    w[b + W_TIME] = this.currentTime;
    this.lruBump(ref, (meta >>> 8) & 0xff);
  }

  /** do_item_update: refresh access time at most once per ITEM_UPDATE_INTERVAL. */
  private touchTime(ref: number): void {
    const w = this.w(ref);
    const b = ((ref & REF_OFF_MASK) << 1) + W_TIME;
    if (w[b]! < this.currentTime - ITEM_UPDATE_INTERVAL) w[b] = this.currentTime;
  }

  private fillView(ref: number, view: ItemView): void {
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    const meta = w[b + W_META]!;
    view.ref = ref;
    view.flags = w[b + W_FLAGS]!;
    view.valueLen = w[b + W_VLEN]!;
    view.keyLen = meta & 0xff;
    view.cas = w[b + W_CASHI]! * TWO_32 + w[b + W_CASLO]!;
    view.exptime = w[b + W_EXP]!;
    view.lastAccess = w[b + W_TIME]!;
    view.itemBits = (meta >>> META_FLAG_SHIFT) & ITEM_BITS_MASK;
    view.slabClass = (meta >>> 8) & 0xff;
  }

  // =====================================================================================
  // Store: lookups
  // =====================================================================================

  get(key: Buffer, keyStart: number, keyLen: number, view: ItemView, opts: number, touchExptime: number): boolean {
    this.now();
    const hv = murmur3(key, keyStart, keyLen, HASH_SEED);
    const it = this.lookup(key, keyStart, keyLen, hv);
    const countTouch = (opts & GetOpt.CountAsTouch) !== 0;
    const noStats = (opts & GetOpt.NoStats) !== 0;
    if (it === NIL) {
      if (!noStats) {
        if (countTouch) this.touchMisses++;
        else this.getMisses++;
      }
      return false;
    }
    this.fillView(it, view);
    const cls = view.slabClass;
    if (!noStats) {
      if (countTouch) this.sTouchHits[cls]!++;
      else this.sGetHits[cls]!++;
    }
    if ((opts & GetOpt.NoBump) === 0) this.bump(it, (opts & GetOpt.NoFetchMark) === 0);
    if ((opts & GetOpt.Touch) !== 0) {
      const exp = this.realTime(touchExptime);
      this.w(it)[((it & REF_OFF_MASK) << 1) + W_EXP] = exp;
    }
    return true;
  }

  copyValue(ref: ItemRef, valueOffset: number, dst: Buffer, dstStart: number, len: number): void {
    this.copyData(ref, valueOffset, dst, dstStart, len, false);
  }

  copyKey(ref: ItemRef, dst: Buffer, dstStart: number): number {
    const keyLen = this.metaOf(ref) & 0xff;
    const page = this.pages[(ref / REF_PAGE_STRIDE) | 0]!;
    const off = ((ref & REF_OFF_MASK) << 3) + HDR_BYTES;
    page.copy(dst, dstStart, off, off + keyLen);
    return keyLen;
  }

  /** Byte capacity after the header in one chunk of a chained item. */
  private chainPayload(): number {
    return this.chunkSize[this.largest]! - HDR_BYTES;
  }

  /** Chunk number index of chained item head (0 = head). Cached for sequential access. */
  private chainChunk(head: number, index: number): number {
    let ref: number;
    let i: number;
    if (this.cursorRef === head && this.cursorIndex <= index) {
      ref = this.cursorChunk;
      i = this.cursorIndex;
    } else {
      ref = head;
      i = 0;
    }
    while (i < index) {
      ref = this.w(ref)[((ref & REF_OFF_MASK) << 1) + W_CHAIN]!;
      i++;
    }
    this.cursorRef = head;
    this.cursorIndex = index;
    this.cursorChunk = ref;
    return ref;
  }

  /** Copies value bytes out of (toItem=false) or into (toItem=true) an item. */
  private copyData(ref: number, valueOffset: number, buf: Buffer, bufStart: number, len: number, toItem: boolean): void {
    const meta = this.metaOf(ref);
    const keyLen = meta & 0xff;
    if (((meta >>> META_FLAG_SHIFT) & IF_CHAINED) === 0) {
      const page = this.pages[(ref / REF_PAGE_STRIDE) | 0]!;
      const off = ((ref & REF_OFF_MASK) << 3) + HDR_BYTES + keyLen + valueOffset;
      if (toItem) buf.copy(page, off, bufStart, bufStart + len);
      else page.copy(buf, bufStart, off, off + len);
      return;
    }
    const cap = this.chainPayload();
    let s = keyLen + valueOffset; // position in the key+value stream
    while (len > 0) {
      const idx = Math.floor(s / cap);
      const within = s - idx * cap;
      const chunk = this.chainChunk(ref, idx);
      const n = Math.min(len, cap - within);
      const page = this.pages[(chunk / REF_PAGE_STRIDE) | 0]!;
      const off = ((chunk & REF_OFF_MASK) << 3) + HDR_BYTES + within;
      if (toItem) buf.copy(page, off, bufStart, bufStart + n);
      else page.copy(buf, bufStart, off, off + n);
      bufStart += n;
      s += n;
      len -= n;
    }
  }

  /** Copies the whole value of src into dst at dstValueOffset (append/prepend). */
  private copyItemValue(src: number, dst: number, dstValueOffset: number): void {
    const len = this.w(src)[((src & REF_OFF_MASK) << 1) + W_VLEN]!;
    if ((this.flagsOf(src) & IF_CHAINED) === 0) {
      const page = this.pages[(src / REF_PAGE_STRIDE) | 0]!;
      const off = ((src & REF_OFF_MASK) << 3) + HDR_BYTES + (this.metaOf(src) & 0xff);
      this.copyData(dst, dstValueOffset, page, off, len, true);
      return;
    }
    const tmp = Buffer.allocUnsafe(Math.min(len, 64 * 1024));
    for (let done = 0; done < len; ) {
      const n = Math.min(tmp.length, len - done);
      this.copyData(src, done, tmp, 0, n, false);
      this.copyData(dst, dstValueOffset + done, tmp, 0, n, true);
      done += n;
    }
  }

  // =====================================================================================
  // Store: two-phase storage
  // =====================================================================================

  allocate(key: Buffer, keyStart: number, keyLen: number, flags: number, exptime: number, valueLen: number): ItemRef {
    this.now();
    const ref = this.allocItem(key, keyStart, keyLen, flags >>> 0, this.realTime(exptime), valueLen);
    if (ref >= 0) this.sSetCmds[(this.metaOf(ref) >>> 8) & 0xff]!++;
    return ref;
  }

  /** do_item_alloc: exptime already server-relative. */
  private allocItem(key: Buffer, keyStart: number, keyLen: number, flags: number, exptimeRel: number, valueLen: number): number {
    const total = mcItemTotal(keyLen, valueLen, flags, this.casEnabled);
    if (total > this.itemSizeMax || valueLen < 0 || keyLen > 250) return AllocError.TooLarge;
    const largestSize = this.chunkSize[this.largest]!;
    const need = HDR_BYTES + keyLen + valueLen + 2;
    let ref: number;
    let cls: number;
    if (total <= largestSize) {
      cls = this.classFor(total);
      ref = this.allocChunk(cls);
      if (ref === NIL) {
        this.iOutOfMemory[cls]!++;
        return AllocError.NoMemory;
      }
    } else {
      cls = this.largest;
      ref = this.allocChain(need - HDR_BYTES);
      if (ref === NIL) {
        this.iOutOfMemory[cls]!++;
        return AllocError.NoMemory;
      }
    }
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    const chained = total > largestSize ? IF_CHAINED : 0;
    w[b + W_META] = (keyLen | (cls << 8) | ((IF_USED | chained) << META_FLAG_SHIFT)) >>> 0;
    w[b + W_PREV] = NIL;
    w[b + W_NEXT] = NIL;
    w[b + W_HNEXT] = NIL;
    w[b + W_TIME] = this.currentTime;
    w[b + W_EXP] = exptimeRel;
    w[b + W_VLEN] = valueLen;
    w[b + W_FLAGS] = flags;
    w[b + W_CASLO] = 0;
    w[b + W_CASHI] = 0;
    if (!chained) w[b + W_CHAIN] = NIL;
    w[b + W_HASH] = murmur3(key, keyStart, keyLen, HASH_SEED);
    const page = this.pages[(ref / REF_PAGE_STRIDE) | 0]!;
    const off = ((ref & REF_OFF_MASK) << 3) + HDR_BYTES;
    if (keyLen <= 32) for (let i = 0; i < keyLen; i++) page[off + i] = key[keyStart + i]!;
    else key.copy(page, off, keyStart, keyStart + keyLen);
    // trailing \r\n, memcached's layout
    if (!chained) {
      page[off + keyLen + valueLen] = CRLF0;
      page[off + keyLen + valueLen + 1] = CRLF1;
    } else {
      this.copyData(ref, valueLen, CRLF_BUF, 0, 2, true);
    }
    return ref;
  }

  /** Allocates ceil(payload / chunk payload) chunks of the largest class, chained. */
  private allocChain(payload: number): number {
    const cls = this.largest;
    const cap = this.chainPayload();
    const n = Math.ceil(payload / cap);
    let head = NIL;
    let prev = NIL;
    for (let i = 0; i < n; i++) {
      const ref = this.allocChunk(cls);
      if (ref === NIL) {
        // give back what we took
        let it = head;
        while (it !== NIL) {
          const next = this.w(it)[((it & REF_OFF_MASK) << 1) + W_CHAIN]!;
          this.freeChunk(it, cls);
          it = next;
        }
        return NIL;
      }
      const w = this.w(ref);
      const b = (ref & REF_OFF_MASK) << 1;
      w[b + W_CHAIN] = NIL;
      if (i === 0) {
        head = ref;
        // mark the head used so a page steal in a later iteration leaves it alone
        w[b + W_META] = ((cls << 8) | (IF_USED << META_FLAG_SHIFT)) >>> 0;
      } else {
        w[b + W_META] = ((cls << 8) | ((IF_USED | IF_CONT) << META_FLAG_SHIFT)) >>> 0;
        w[b + W_NEXT] = head;
        this.w(prev)[((prev & REF_OFF_MASK) << 1) + W_CHAIN] = ref;
      }
      prev = ref;
    }
    return head;
  }

  writeValue(ref: ItemRef, valueOffset: number, src: Buffer, srcStart: number, len: number): void {
    this.copyData(ref, valueOffset, src, srcStart, len, true);
  }

  release(ref: ItemRef): void {
    if (ref < 0) return;
    const flags = this.flagsOf(ref);
    if ((flags & IF_USED) === 0 || (flags & (IF_LINKED | IF_CONT)) !== 0) return;
    this.freeItem(ref);
  }

  /** Links (or, when the mode refuses, frees) an allocated item: link() always consumes ref. */
  link(ref: ItemRef, mode: StoreMode, casIn: number): StoreResult {
    this.now();
    const w = this.w(ref);
    const b = (ref & REF_OFF_MASK) << 1;
    const keyLen = w[b + W_META]! & 0xff;
    const hv = w[b + W_HASH]!;
    const page = this.pages[(ref / REF_PAGE_STRIDE) | 0]!;
    const keyStart = ((ref & REF_OFF_MASK) << 3) + HDR_BYTES;
    const old = this.lookup(page, keyStart, keyLen, hv);
    let result: StoreResult = StoreResult.NotStored;
    let stored = NIL;
    if (old !== NIL) {
      const oldCas = this.casOf(old);
      const casMatch = casIn === 0 ? 0 : casIn === oldCas ? 1 : 2; // none / match / bad
      const oldCls = (this.metaOf(old) >>> 8) & 0xff;
      switch (mode) {
        case StoreMode.Add:
          this.touchTime(old);
          break;
        case StoreMode.Cas:
        case StoreMode.CasStale:
          if (casMatch === 1) {
            this.sCasHits[oldCls]!++;
            stored = ref;
          } else if (mode === StoreMode.CasStale && casMatch === 2 && casIn < oldCas) {
            // set_stale: keep the old exptime, mark stale, keep a sent recache token
            const nw = this.w(ref);
            const nb = (ref & REF_OFF_MASK) << 1;
            nw[nb + W_EXP] = this.w(old)[((old & REF_OFF_MASK) << 1) + W_EXP]!;
            this.setFlagBits(ref, IF_STALE | (this.flagsOf(old) & IF_TOKEN));
            this.sCasHits[oldCls]!++;
            stored = ref;
          } else {
            this.sCasBadval[oldCls]!++;
            result = StoreResult.Exists;
          }
          break;
        case StoreMode.Append:
        case StoreMode.Prepend: {
          if (casMatch === 2) {
            result = StoreResult.Exists;
            break;
          }
          const merged = this.mergeInto(old, ref, mode === StoreMode.Append);
          if (merged !== NIL) stored = merged;
          break;
        }
        default: // Set, Replace
          stored = ref;
      }
      if (stored !== NIL) {
        this.unlinkItem(old);
        this.linkItem(stored);
        result = StoreResult.Stored;
      }
    } else {
      switch (mode) {
        case StoreMode.Add:
        case StoreMode.Set:
          stored = ref;
          break;
        case StoreMode.Cas:
        case StoreMode.CasStale:
          result = StoreResult.NotFound;
          this.casMisses++;
          break;
        default:
          break;
      }
      if (stored !== NIL) {
        this.linkItem(stored);
        result = StoreResult.Stored;
      }
    }
    if (stored !== ref) this.freeItem(ref);
    if (result === StoreResult.Stored) this.lastCas = this.casOf(stored);
    return result;
  }

  /** append/prepend: a new item holding old's and add's values; old's flags and exptime. */
  private mergeInto(old: number, add: number, append: boolean): number {
    const ow = this.w(old);
    const ob = (old & REF_OFF_MASK) << 1;
    const oldLen = ow[ob + W_VLEN]!;
    const addLen = this.w(add)[((add & REF_OFF_MASK) << 1) + W_VLEN]!;
    const keyLen = ow[ob + W_META]! & 0xff;
    const page = this.pages[(old / REF_PAGE_STRIDE) | 0]!;
    const keyStart = ((old & REF_OFF_MASK) << 3) + HDR_BYTES;
    this.pinned = old;
    const merged = this.allocItem(page, keyStart, keyLen, ow[ob + W_FLAGS]!, ow[ob + W_EXP]!, oldLen + addLen);
    this.pinned = NIL;
    if (merged < 0) return NIL;
    // the old item may have moved nothing: it was pinned, so its bytes are intact
    if (append) {
      this.copyItemValue(old, merged, 0);
      this.copyItemValue(add, merged, oldLen);
    } else {
      this.copyItemValue(add, merged, 0);
      this.copyItemValue(old, merged, addLen);
    }
    return merged;
  }

  noteAllocFailure(err: number, key: Buffer, keyStart: number, keyLen: number, unlinkOld: boolean): void {
    this.now();
    if (err === AllocError.TooLarge) this.storeTooLarge++;
    else this.storeNoMemory++;
    if (unlinkOld) {
      const hv = murmur3(key, keyStart, keyLen, HASH_SEED);
      const it = this.lookup(key, keyStart, keyLen, hv);
      if (it !== NIL) this.unlinkItem(it);
    }
  }

  // =====================================================================================
  // Store: other item verbs
  // =====================================================================================

  delete(key: Buffer, keyStart: number, keyLen: number, casIn: number): DeleteResult {
    this.now();
    const hv = murmur3(key, keyStart, keyLen, HASH_SEED);
    const it = this.lookup(key, keyStart, keyLen, hv);
    if (it === NIL) {
      this.deleteMisses++;
      return DeleteResult.NotFound;
    }
    if (casIn !== 0 && casIn !== this.casOf(it)) return DeleteResult.Exists;
    this.sDeleteHits[(this.metaOf(it) >>> 8) & 0xff]!++;
    this.unlinkItem(it);
    return DeleteResult.Deleted;
  }

  touch(key: Buffer, keyStart: number, keyLen: number, exptime: number): boolean {
    this.now();
    const hv = murmur3(key, keyStart, keyLen, HASH_SEED);
    const it = this.lookup(key, keyStart, keyLen, hv);
    if (it === NIL) {
      this.touchMisses++;
      return false;
    }
    this.bump(it, true);
    this.w(it)[((it & REF_OFF_MASK) << 1) + W_EXP] = this.realTime(exptime);
    this.sTouchHits[(this.metaOf(it) >>> 8) & 0xff]!++;
    return true;
  }

  delta(key: Buffer, keyStart: number, keyLen: number, isIncr: boolean, delta: bigint, casIn: number,
    initial: bigint, vivifyExptime: number | null, view: ItemView | null): DeltaResult {
    this.now();
    const hv = murmur3(key, keyStart, keyLen, HASH_SEED);
    const it = this.lookup(key, keyStart, keyLen, hv);
    if (it === NIL) {
      if (vivifyExptime === null) {
        if (isIncr) this.incrMisses++;
        else this.decrMisses++;
        return DeltaResult.NotFound;
      }
      return this.vivify(key, keyStart, keyLen, initial & U64_MASK, vivifyExptime, view);
    }
    const w = this.w(it);
    const b = (it & REF_OFF_MASK) << 1;
    const meta = w[b + W_META]!;
    const vlen = w[b + W_VLEN]!;
    if (vlen === 0 || ((meta >>> META_FLAG_SHIFT) & IF_CHAINED) !== 0) return DeltaResult.NonNumeric;
    if (casIn !== 0 && casIn !== this.casOf(it)) return DeltaResult.Exists;
    const page = this.pages[(it / REF_PAGE_STRIDE) | 0]!;
    const vstart = ((it & REF_OFF_MASK) << 3) + HDR_BYTES + (meta & 0xff);
    const parsed = parseU64(page, vstart, vlen);
    if (parsed < 0n) return DeltaResult.NonNumeric;
    let value: bigint;
    if (isIncr) value = (parsed + delta) & U64_MASK;
    else value = delta > parsed ? 0n : parsed - delta;
    const cls = (meta >>> 8) & 0xff;
    if (isIncr) this.sIncrHits[cls]!++;
    else this.sDecrHits[cls]!++;
    const digits = value.toString(); // incr/decr is rare; BigInt is the simplest exact uint64
    const res = digits.length;
    let target: number;
    if (res <= vlen) {
      // in place, padded with spaces to the old length (memcached does exactly this)
      page.write(digits, vstart, 'latin1');
      page.fill(0x20, vstart + res, vstart + vlen);
      this.setCas(it, this.nextCas());
      this.touchTime(it);
      target = it;
    } else {
      this.pinned = it;
      const fresh = this.allocItem(page, vstart - (meta & 0xff), meta & 0xff, w[b + W_FLAGS]!, w[b + W_EXP]!, res);
      this.pinned = NIL;
      if (fresh < 0) return DeltaResult.NoMemory;
      const fpage = this.pages[(fresh / REF_PAGE_STRIDE) | 0]!;
      fpage.write(digits, ((fresh & REF_OFF_MASK) << 3) + HDR_BYTES + (meta & 0xff), 'latin1');
      this.unlinkItem(it);
      this.linkItem(fresh);
      target = fresh;
    }
    this.deltaValue = value;
    this.lastCas = this.casOf(target);
    if (view !== null) this.fillView(target, view);
    return DeltaResult.Ok;
  }

  private vivify(key: Buffer, keyStart: number, keyLen: number, initial: bigint, exptime: number,
    view: ItemView | null): DeltaResult {
    const digits = initial.toString();
    const ref = this.allocItem(key, keyStart, keyLen, 0, this.realTime(exptime), digits.length);
    if (ref < 0) return DeltaResult.NoMemory;
    const page = this.pages[(ref / REF_PAGE_STRIDE) | 0]!;
    page.write(digits, ((ref & REF_OFF_MASK) << 3) + HDR_BYTES + keyLen, 'latin1');
    this.linkItem(ref);
    this.deltaValue = initial;
    this.lastCas = this.casOf(ref);
    if (view !== null) this.fillView(ref, view);
    return DeltaResult.Ok;
  }

  setItemBits(ref: ItemRef, bits: number): void {
    this.setFlagBits(ref, bits & ITEM_BITS_MASK);
  }

  clearItemBits(ref: ItemRef, bits: number): void {
    this.clearFlagBits(ref, bits & ITEM_BITS_MASK);
  }

  bumpCas(ref: ItemRef): number {
    const cas = this.nextCas();
    this.setCas(ref, cas);
    return cas;
  }

  setExptime(ref: ItemRef, exptime: number): void {
    this.now();
    this.w(ref)[((ref & REF_OFF_MASK) << 1) + W_EXP] = this.realTime(exptime);
  }

  unlinkRef(ref: ItemRef): void {
    this.unlinkItem(ref);
  }

  adjustStat(name: CountedStat, slabClass: number, by: number): void {
    const c = slabClass > 0 && slabClass < MAX_SLAB_CLASSES ? slabClass : 0;
    switch (name) {
      case 'cmd_set': this.sSetCmds[c]! += by; break;
      case 'get_hits': this.sGetHits[c]! += by; break;
      case 'get_misses': this.getMisses += by; break;
      case 'touch_hits': this.sTouchHits[c]! += by; break;
      case 'touch_misses': this.touchMisses += by; break;
      case 'delete_hits': this.sDeleteHits[c]! += by; break;
      case 'delete_misses': this.deleteMisses += by; break;
      case 'incr_hits': this.sIncrHits[c]! += by; break;
      case 'decr_hits': this.sDecrHits[c]! += by; break;
      case 'incr_misses': this.incrMisses += by; break;
      case 'decr_misses': this.decrMisses += by; break;
    }
  }

  itemTotalSize(ref: ItemRef): number {
    return this.totalOf(ref);
  }

  // =====================================================================================
  // Store: whole-cache verbs
  // =====================================================================================

  flushAll(delaySec: number): void {
    this.now();
    const newOldest = delaySec > 0 ? this.realTime(delaySec) : this.currentTime;
    if (this.casEnabled) {
      this.oldestLive = newOldest - 1;
      if (this.oldestLive <= this.currentTime) this.oldestCas = this.nextCas();
    } else {
      this.oldestLive = newOldest;
    }
  }

  setMemLimit(bytes: number): boolean {
    if (bytes < MIN_MEMLIMIT) return false;
    this.memLimit = bytes;
    // pages already empty go back at once; the crawler gives back the rest page by page
    for (let p = 0; p < this.pages.length && this.pageCount * SLAB_PAGE_SIZE > this.memLimit; p++) {
      if (this.pages[p] !== EMPTY_PAGE && this.pageUsed[p] === 0) this.releasePage(p);
    }
    return true;
  }

  /** Evacuates one page while above the limit (after cache_memlimit lowered it). */
  private shrinkStep(): void {
    if (this.pageCount * SLAB_PAGE_SIZE <= this.memLimit) return;
    let best = -1;
    for (let p = 0; p < this.pages.length; p++) {
      if (this.pages[p] === EMPTY_PAGE) continue;
      if (best < 0 || this.pageUsed[p]! < this.pageUsed[best]!) best = p;
    }
    if (best < 0) return;
    if (this.pageUsed[best] !== 0 && !this.evacuatePage(best, false)) return;
    if (this.pages[best] !== EMPTY_PAGE) this.releasePage(best);
  }

  /**
   * A light slab automover: a class holding more than 2.5 pages of free chunks gives one
   * empty page back to the pool, where any class that needs memory can take it.
   */
  private automoveStep(): void {
    if (this.pageCount * SLAB_PAGE_SIZE + SLAB_PAGE_SIZE <= this.memLimit) return; // pool not short
    for (let c = 1; c <= this.largest; c++) {
      if (this.classPages[c]! < 2 || this.freeChunksOf(c) < this.perSlab[c]! * 2.5) continue;
      const page = this.pickPage(c, true);
      if (page >= 0) {
        this.releasePage(page);
        this.slabsMoved++;
        return;
      }
    }
  }

  // =====================================================================================
  // Store: stats
  // =====================================================================================

  stats(): StoreStats {
    const sum = (a: Float64Array): number => {
      let s = 0;
      for (let i = 0; i < MAX_SLAB_CLASSES; i++) s += a[i]!;
      return s;
    };
    return {
      limit_maxbytes: this.memLimit,
      hash_power_level: this.hashPower,
      hash_bytes: 2 ** this.hashPower * 8,
      hash_is_expanding: this.oldBuckets !== null ? 1 : 0,
      slab_reassign_rescues: 0,
      slab_reassign_chunk_rescues: 0,
      slab_reassign_evictions_nomem: this.slabReassignEvictionsNomem,
      slab_reassign_inline_reclaim: 0,
      slab_reassign_busy_items: 0,
      slab_reassign_busy_deletes: 0,
      slab_reassign_running: 0,
      slabs_moved: this.slabsMoved,
      lru_crawler_running: this.crawlRunning ? 1 : 0,
      lru_crawler_starts: this.crawlerStarts,
      lru_maintainer_juggles: 0,
      malloc_fails: this.mallocFails,
      bytes: this.currBytes,
      curr_items: this.currItems,
      total_items: this.totalItems,
      slab_global_page_pool: 0,
      expired_unfetched: sum(this.iExpiredUnfetched),
      evicted_unfetched: sum(this.iEvictedUnfetched),
      evicted_active: sum(this.iEvictedActive),
      evictions: sum(this.iEvicted),
      reclaimed: sum(this.iReclaimed),
      crawler_reclaimed: sum(this.iCrawlerReclaimed),
      crawler_items_checked: sum(this.iCrawlerItemsChecked),
      lrutail_reflocked: 0,
      moves_to_cold: 0,
      moves_to_warm: sum(this.iMovesToWarm),
      moves_within_lru: 0,
      direct_reclaims: sum(this.iDirectReclaims),
      lru_bumps_dropped: 0,
      cmd_set: sum(this.sSetCmds),
      get_hits: sum(this.sGetHits),
      get_misses: this.getMisses,
      get_expired: this.getExpired,
      get_flushed: this.getFlushed,
      delete_misses: this.deleteMisses,
      delete_hits: sum(this.sDeleteHits),
      incr_misses: this.incrMisses,
      incr_hits: sum(this.sIncrHits),
      decr_misses: this.decrMisses,
      decr_hits: sum(this.sDecrHits),
      cas_misses: this.casMisses,
      cas_hits: sum(this.sCasHits),
      cas_badval: sum(this.sCasBadval),
      touch_hits: sum(this.sTouchHits),
      touch_misses: this.touchMisses,
      store_too_large: this.storeTooLarge,
      store_no_memory: this.storeNoMemory,
    };
  }

  emitItems(emit: StatEmitter): void {
    const now = this.now();
    for (let c = 1; c <= this.largest; c++) {
      const n = this.lruCount[c]!;
      if (n === 0) continue;
      const p = `items:${c}:`;
      const tail = this.lruTail[c]!;
      const age = tail === NIL ? 0 : now - this.w(tail)[((tail & REF_OFF_MASK) << 1) + W_TIME]!;
      emit(p + 'number', n);
      emit(p + 'number_hot', 0);
      emit(p + 'number_warm', 0);
      emit(p + 'number_cold', n);
      emit(p + 'age_hot', 0);
      emit(p + 'age_warm', 0);
      emit(p + 'age', age);
      emit(p + 'mem_requested', this.memRequested[c]!);
      emit(p + 'evicted', this.iEvicted[c]!);
      emit(p + 'evicted_nonzero', this.iEvictedNonzero[c]!);
      emit(p + 'evicted_time', this.iEvictedTime[c]!);
      emit(p + 'outofmemory', this.iOutOfMemory[c]!);
      emit(p + 'tailrepairs', 0);
      emit(p + 'reclaimed', this.iReclaimed[c]!);
      emit(p + 'expired_unfetched', this.iExpiredUnfetched[c]!);
      emit(p + 'evicted_unfetched', this.iEvictedUnfetched[c]!);
      emit(p + 'evicted_active', this.iEvictedActive[c]!);
      emit(p + 'crawler_reclaimed', this.iCrawlerReclaimed[c]!);
      emit(p + 'crawler_items_checked', this.iCrawlerItemsChecked[c]!);
      emit(p + 'lrutail_reflocked', 0);
      emit(p + 'moves_to_cold', 0);
      emit(p + 'moves_to_warm', this.iMovesToWarm[c]!);
      emit(p + 'moves_within_lru', 0);
      emit(p + 'direct_reclaims', this.iDirectReclaims[c]!);
      emit(p + 'hits_to_hot', 0);
      emit(p + 'hits_to_warm', 0);
      emit(p + 'hits_to_cold', this.sGetHits[c]!);
      emit(p + 'hits_to_temp', 0);
    }
  }

  emitSlabs(emit: StatEmitter): void {
    let active = 0;
    for (let c = 1; c <= this.largest; c++) {
      const pages = this.classPages[c]!;
      if (pages === 0) continue;
      active++;
      const per = this.perSlab[c]!;
      const free = this.freeChunksOf(c);
      const p = `${c}:`;
      emit(p + 'chunk_size', this.chunkSize[c]!);
      emit(p + 'chunks_per_page', per);
      emit(p + 'total_pages', pages);
      emit(p + 'total_chunks', pages * per);
      emit(p + 'used_chunks', pages * per - free);
      emit(p + 'free_chunks', free);
      emit(p + 'free_chunks_end', 0);
      emit(p + 'get_hits', this.sGetHits[c]!);
      emit(p + 'cmd_set', this.sSetCmds[c]!);
      emit(p + 'delete_hits', this.sDeleteHits[c]!);
      emit(p + 'incr_hits', this.sIncrHits[c]!);
      emit(p + 'decr_hits', this.sDecrHits[c]!);
      emit(p + 'cas_hits', this.sCasHits[c]!);
      emit(p + 'cas_badval', this.sCasBadval[c]!);
      emit(p + 'touch_hits', this.sTouchHits[c]!);
    }
    emit('active_slabs', active);
    emit('total_malloced', this.pageCount * SLAB_PAGE_SIZE);
  }

  emitSizes(emit: StatEmitter): void {
    const h = this.sizesHist;
    if (h === null) {
      emit('sizes_status', 'disabled');
      return;
    }
    for (let i = 0; i < h.length; i++) if (h[i] !== 0) emit(String(i * 32), h[i]!);
  }

  resetStats(): void {
    for (const a of [this.sGetHits, this.sSetCmds, this.sDeleteHits, this.sIncrHits, this.sDecrHits, this.sCasHits,
      this.sCasBadval, this.sTouchHits, this.iEvicted, this.iEvictedNonzero, this.iEvictedTime, this.iOutOfMemory,
      this.iReclaimed, this.iExpiredUnfetched, this.iEvictedUnfetched, this.iEvictedActive, this.iCrawlerReclaimed,
      this.iCrawlerItemsChecked, this.iMovesToWarm, this.iDirectReclaims]) a.fill(0);
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
    this.slabsMoved = 0;
    this.slabReassignEvictionsNomem = 0;
    this.crawlerStarts = 0;
    this.mallocFails = 0;
  }

  cachedump(slabClass: number, limit: number,
    each: (ref: ItemRef, keyLen: number, valueLen: number, exptimeUnix: number) => void): void {
    if (slabClass < 1 || slabClass > this.largest) return;
    let it = this.lruHead[slabClass]!;
    let shown = 0;
    while (it !== NIL && (limit === 0 || shown < limit)) {
      const w = this.w(it);
      const b = (it & REF_OFF_MASK) << 1;
      const next = w[b + W_NEXT]!;
      const exp = w[b + W_EXP]!;
      each(it, w[b + W_META]! & 0xff, w[b + W_VLEN]!, exp === 0 ? 0 : exp + this.processStarted);
      shown++;
      it = next;
    }
  }

  slabsReassign(src: number, dst: number): string {
    if (src === dst) return 'SAME src and dst class are identical';
    if (src === -1) {
      src = 0;
      for (let c = 1; c <= this.largest; c++) if (c !== dst && this.classPages[c]! > 1) { src = c; break; }
      if (src === 0) src = -1;
    }
    if (src < 0 || src > this.largest || dst < 0 || dst > this.largest) return 'BADCLASS invalid src or dst class id';
    if (src === 0 || this.classPages[src]! < 2) return 'NOSPARE source class has no spare pages';
    if (dst === 0) {
      const page = this.pickPage(src, false);
      if (page < 0 || (this.pageUsed[page] !== 0 && !this.evacuatePage(page, false))) return 'BUSY currently processing reassign request';
      this.releasePage(page);
      this.slabsMoved++;
      return 'OK';
    }
    if (!this.movePage(src, dst, false)) return 'BUSY currently processing reassign request';
    return 'OK';
  }

  setAutomove(mode: number): void {
    this.automove = mode;
  }

  /** Current `slabs automove` level (0, 1, 2). */
  get automoveMode(): number {
    return this.automove;
  }

  // =====================================================================================
  // LRU crawler: walks pages chunk by chunk in slices of at most ~1 ms, reclaiming
  // expired and flushed items. A (page, offset) cursor survives any change to the lists.
  // =====================================================================================

  lruCrawlerCommand(args: readonly string[]): string {
    const a = args[0] === 'lru_crawler' ? args.slice(1) : args;
    const sub = a[0];
    if (a.length === 2 && sub === 'crawl') {
      if (!this.crawlerEnabled) return 'CLIENT_ERROR lru crawler disabled';
      return this.startCrawl(a[1]!);
    }
    if (a.length === 2 && sub === 'metadump') {
      // the whole reply: lines (LF-terminated, as memcached) then END\r\n; or an error line
      const lines: string[] = [];
      const err = this.metadump(a[1]!, (l) => lines.push(l));
      if (err !== '') return err;
      lines.push('END\r\n');
      return lines.join('');
    }
    if (a.length === 2 && (sub === 'tocrawl' || sub === 'sleep')) {
      const v = parseU32(a[1]!);
      if (v < 0) return 'CLIENT_ERROR bad command line format';
      if (sub === 'tocrawl') {
        this.crawlerToCrawl = v;
        return 'OK';
      }
      if (v > 1000000) return 'CLIENT_ERROR sleep must be one second or less';
      this.crawlerSleepUs = v;
      return 'OK';
    }
    if (a.length === 1) {
      if (sub === 'enable') {
        this.crawlerEnabled = true;
        return 'OK';
      }
      if (sub === 'disable') {
        this.crawlerEnabled = false;
        this.crawlRunning = false;
        return 'OK';
      }
    }
    return 'ERROR';
  }

  metadump(spec: string, each: (line: string) => void): string {
    if (!this.crawlerEnabled) return 'CLIENT_ERROR lru crawler disabled';
    if (!this.dumpEnabled) return 'ERROR metadump not allowed';
    const classes = new Uint8Array(MAX_SLAB_CLASSES);
    if (spec === 'all' || spec === 'hash') classes.fill(1);
    else {
      for (const part of spec.split(',')) {
        const id = parseU32(part);
        if (id < 1 || id >= MAX_SLAB_CLASSES) return 'BADCLASS invalid class id';
        classes[id] = 1;
      }
    }
    const now = this.now();
    const keyBuf = Buffer.allocUnsafe(256);
    for (let c = 1; c <= this.largest; c++) {
      if (classes[c] !== 1) continue;
      for (let it = this.lruTail[c]!; it !== NIL;) {
        const w = this.w(it);
        const b = (it & REF_OFF_MASK) << 1;
        const prev = w[b + W_PREV]!;
        const exp = w[b + W_EXP]!;
        if (!((exp !== 0 && exp < now) || this.isFlushed(it))) {
          const keyLen = this.copyKey(it, keyBuf, 0);
          const flags = w[b + W_META]! >>> META_FLAG_SHIFT;
          each(`key=${uriEncode(keyBuf, keyLen)} exp=${exp === 0 ? -1 : exp + this.processStarted} ` +
            `la=${w[b + W_TIME]! + this.processStarted} cas=${this.casOf(it)} ` +
            `fetch=${(flags & IF_FETCHED) !== 0 ? 'yes' : 'no'} cls=${c} size=${this.totalOf(it)}\n`);
        }
        it = prev;
      }
    }
    return '';
  }

  /** lru_crawler settings as `stats settings` reports them. */
  get crawlerSettings(): { enabled: boolean; sleepUs: number; toCrawl: number } {
    return { enabled: this.crawlerEnabled, sleepUs: this.crawlerSleepUs, toCrawl: this.crawlerToCrawl };
  }

  private startCrawl(spec: string): string {
    if (this.crawlRunning) return 'BUSY currently processing crawler request';
    this.crawlClasses.fill(0);
    if (spec === 'all') this.crawlClasses.fill(1);
    else if (spec !== 'hash') {
      for (const part of spec.split(',')) {
        const id = parseU32(part);
        if (id < 1 || id >= MAX_SLAB_CLASSES) return 'BADCLASS invalid class id';
        this.crawlClasses[id] = 1;
      }
    } else this.crawlClasses.fill(1);
    let starts = 0;
    for (let c = 1; c <= this.largest; c++) if (this.crawlClasses[c] === 1 && this.lruCount[c]! > 0) starts++;
    if (starts === 0) return 'NOTSTARTED no items to crawl';
    this.beginScan();
    return 'OK';
  }

  private beginScan(): void {
    this.crawlRunning = true;
    this.crawlerStarts++;
    this.crawlPage = 0;
    this.crawlOffset = 0;
    this.crawlLastStart = this.currentTime;
    this.scheduleCrawler(0);
  }

  private scheduleCrawler(ms: number): void {
    if (this.closed) return;
    if (this.crawlTimer !== null) clearTimeout(this.crawlTimer);
    this.crawlTimer = setTimeout(this.crawlTick, ms);
    this.crawlTimer.unref();
  }

  private readonly crawlTick = (): void => {
    this.crawlTimer = null;
    if (this.closed) return;
    this.maintain();
    this.scheduleCrawler(this.crawlRunning ? CRAWL_TICK_MS : CRAWL_IDLE_TICK_MS);
  };

  /**
   * One background turn (a timer calls it; tests may too): gives pages back above a lowered
   * limit, runs the automover, starts the periodic crawl, and crawls for at most ~1 ms.
   */
  maintain(): void {
    this.now();
    this.shrinkStep();
    if (this.automove > 0) this.automoveStep();
    if (!this.crawlRunning && this.crawlerEnabled && this.currItems > 0 &&
      this.currentTime - this.crawlLastStart >= CRAWL_AUTO_INTERVAL_SEC) {
      this.crawlClasses.fill(1);
      this.beginScan();
    }
    if (this.crawlRunning) this.crawlSlice(performance.now() + CRAWL_SLICE_MS);
  }

  /** Runs the crawler until done or the deadline (performance.now() ms) passes. */
  crawlSlice(deadline: number): void {
    this.now();
    let checked = 0;
    while (this.crawlPage < this.pages.length) {
      const page = this.crawlPage;
      const cls = this.pageClass[page]!;
      if (this.pages[page] === EMPTY_PAGE || cls === 0 || this.crawlClasses[cls] !== 1) {
        this.crawlPage++;
        this.crawlOffset = 0;
        continue;
      }
      const size = this.chunkSize[cls]!;
      const limit = this.perSlab[cls]! * size;
      const w = this.words[page]!;
      while (this.crawlOffset < limit) {
        const ref = page * REF_PAGE_STRIDE + (this.crawlOffset >>> 3);
        this.crawlOffset += size;
        const flags = w[((ref & REF_OFF_MASK) << 1) + W_META]! >>> META_FLAG_SHIFT;
        if ((flags & IF_LINKED) === 0 || (flags & IF_CONT) !== 0) continue;
        this.iCrawlerItemsChecked[cls]!++;
        if (this.isFlushed(ref) || this.isExpired(ref)) {
          this.iCrawlerReclaimed[cls]!++;
          this.unlinkItem(ref);
          if (this.pages[page] === EMPTY_PAGE) break; // released under a lowered limit
        }
        if ((++checked & 255) === 0 && performance.now() >= deadline) return;
      }
      this.crawlPage++;
      this.crawlOffset = 0;
    }
    this.crawlRunning = false;
  }

  describeSlabClasses(each: (line: string) => void): void {
    for (let c = 1; c <= this.largest; c++) each(describeSlabClass(c, this.chunkSize[c]!, this.perSlab[c]!));
  }

  close(): void {
    this.closed = true;
    if (this.clockTimer !== null) clearInterval(this.clockTimer);
    this.clockTimer = null;
    if (this.crawlTimer !== null) clearTimeout(this.crawlTimer);
    if (this.expandTimer !== null) clearTimeout(this.expandTimer);
    this.crawlTimer = null;
    this.expandTimer = null;
  }

  // --- introspection for tests and benchmarks ---

  /** Pages currently allocated (each 1 MiB). */
  get pagesAllocated(): number {
    return this.pageCount;
  }

  /** Runs any pending hash expansion to completion (tests). */
  finishExpansion(): void {
    while (this.oldBuckets !== null) this.expandStep(1 << 16);
  }
}

const CRLF_BUF = Buffer.from('\r\n', 'latin1');

/**
 * memcached's safe_strtoull over an item value: optional leading white space and sign,
 * decimal digits, then white space or the end of the value. -1n when not a uint64.
 */
function parseU64(buf: Buffer, start: number, len: number): bigint {
  const end = start + len;
  let i = start;
  while (i < end && isSpace(buf[i]!)) i++;
  let neg = false;
  if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) {
    neg = buf[i] === 0x2d;
    i++;
  }
  const digitsStart = i;
  let v = 0n;
  let small = 0;
  let smallDigits = 0;
  while (i < end) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) break;
    small = small * 10 + (c - 0x30);
    if (++smallDigits === 15) {
      v = v * 1000000000000000n + BigInt(small);
      small = 0;
      smallDigits = 0;
    }
    i++;
  }
  if (i === digitsStart) return -1n;
  if (i < end && !isSpace(buf[i]!)) return -1n;
  if (smallDigits > 0) v = v * 10n ** BigInt(smallDigits) + BigInt(small);
  if (v > U64_MASK) return -1n; // ERANGE
  if (neg) {
    v = (-v) & U64_MASK;
    if (v >= 1n << 63n) return -1n; // negative as signed, with a '-': refused
  }
  return v;
}

/** memcached's uriencode: everything but [A-Za-z0-9~._-] as %XX. */
function uriEncode(buf: Buffer, len: number): string {
  let out = '';
  for (let i = 0; i < len; i++) {
    const c = buf[i]!;
    const plain = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
      c === 0x7e || c === 0x2d || c === 0x2e || c === 0x5f;
    out += plain ? String.fromCharCode(c) : '%' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
  }
  return out;
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function parseU32(s: string): number {
  if (!/^\d+$/.test(s)) return -1;
  const v = Number(s);
  return v > 0xffffffff ? -1 : v;
}
