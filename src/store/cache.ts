// The slab-style store behind store.ts: the public verbs (memcached's items.c do_item_* on top
// of slabs.c and assoc.c). The parts, one job each:
//   slabs.ts          pages, slab classes, free lists, the global page pool
//   slab-mover.ts     page moves: rescues, evictions_nomem;  slab-automove.ts  which page moves, when
//   hash-table.ts     the key index (murmur3, chaining, incremental doubling)
//   lru.ts            the per-LRU lists;  lru-maintainer.ts  segments, tail pulls, eviction
//   expiry.ts         exptime and flush_all;  clock.ts  the server clock
//   item-data.ts      key/value bytes, chained items;  item-layout.ts  the chunk header
//   crawler.ts        the expiry crawler and background timer
//   stats.ts          counters, stats bodies;  admin.ts  the stats and admin verbs
//   store-locks.ts    item, LRU, slabs, CAS and mover locks
// Item bytes live in 1 MiB pages off the V8 heap; no JavaScript object, string or Map entry
// per item. Pages, hash tables and the store-wide state are in one StoreMemory (shared
// memory); a Cache made over an existing one sees the same items, and Caches in several
// threads may run verbs at once (docs/threads.md): each verb holds the item lock of its key's
// hash, an item's bytes stay put while anyone holds a reference (the count in CASHI), and the
// background jobs (maintainer, crawler, mover, hash expansion) run in one Cache only.

import type { RuntimeSettings } from '../config/runtime-settings.js';
import type { Settings } from '../config/settings.js';
import {
  AllocError,
  DeleteResult,
  DeltaResult,
  GetOpt,
  LookupOutcome,
  StoreEvents,
  StoreMode,
  StoreResult,
  type CountedStat,
  type ItemRef,
  type ItemView,
  type StatEmitter,
  type Store,
  type StoreListener,
  type StoreStats,
} from './store.js';
import { ITEM_UPDATE_INTERVAL, ServerClock, systemClock, type Clock } from './clock.js';
import { murmur3 } from './hash.js';
import { MAX_SLAB_CLASSES } from './slab-classes.js';
import {
  CAS_HI_MASK,
  casOfHeader,
  chunkRef,
  CLASS_MASK,
  HDR_BYTES,
  headerWord,
  IF_CHAINED,
  IF_CONT,
  IF_FETCHED,
  IF_LINKED,
  IF_STALE,
  IF_TOKEN,
  IF_USED,
  ITEM_BITS_MASK,
  keyOffset,
  LRU_COLD,
  LRU_HOT,
  mcItemTotal,
  META_FLAG_SHIFT,
  META_LRU_SHIFT,
  NIL,
  pageIndex,
  pageWords,
  REF_ONE,
  REFS_MAX,
  REFS_SHIFT,
  refsOfHeader,
  setHeaderWord,
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
  wordBase,
} from './item-layout.js';
import { Slabs } from './slabs.js';
import { HASH_SEED, HashTable } from './hash-table.js';
import { LruLists } from './lru.js';
import { LruMaintainer } from './lru-maintainer.js';
import { Expiry } from './expiry.js';
import { ItemData } from './item-data.js';
import { BackgroundWake } from './background-wake.js';
import { Crawler } from './crawler.js';
import { SlabAutomover } from './slab-automove.js';
import { SlabMover } from './slab-mover.js';
import { SizeHistogram, StoreCounters, type ThreadCounters } from './stats.js';
import { StoreLocks } from './store-locks.js';
import { StoreAdmin } from './admin.js';
import { U64_MASK } from './u64.js';
import { checkImage, type StoreImage } from './store-image.js';
import { auditStore } from './store-audit.js';
import { StoreMemory } from './store-memory.js';
import {
  CAS_ID_AT,
  MAINTAIN_REQUEST_AT,
  TC_CAS_MISSES,
  TC_CURR_BYTES,
  TC_CURR_ITEMS,
  TC_DECR_MISSES,
  TC_DELETE_MISSES,
  TC_GET_EXPIRED,
  TC_GET_FLUSHED,
  TC_GET_MISSES,
  TC_INCR_MISSES,
  TC_STORE_NO_MEMORY,
  TC_STORE_TOO_LARGE,
  TC_TOTAL_ITEMS,
  TC_TOUCH_MISSES,
  VIEWS_EPOCH_AT,
} from './shared-layout.js';
import { copyRange } from '../common/byte-copy.js';
import { safeStrtoullExact } from '../common/c-numbers.js';
import { KEY_MAX_LENGTH } from '../common/limits.js';
import { sleepSync } from '../common/sleep-sync.js';

const MIB = 1024 * 1024;
const MIN_MEMLIMIT = 8 * MIB;
const TWO_32 = 4294967296;
const CRLF_BUF = Buffer.from('\r\n', 'latin1');
const CRLF0 = 0x0d;
const CRLF1 = 0x0a;
/**
 * References a zero-copy reply may take; past them the reply copies. The rest of the count
 * (up to REFS_MAX) is left for the link and for one reader reference per thread.
 */
const PINS_MAX = REFS_MAX - 256;
const LINKS_PER_RECOUNT = 63;
/** allocChunk's waits for busy items when other threads share the store: count and length. */
const BUSY_RETRIES = 20;
const BUSY_WAIT_MS = 0.25;
/** The event mask of a Cache nobody listens to. */
const NO_EVENTS = new Int32Array(1);

/** How a Cache takes part in a store shared by several threads (docs/threads.md). */
export interface CacheOptions {
  /**
   * Runs the store's timers: the clock tick, LRU maintainer, crawler (with the automover and
   * page give-back), page mover and hash expansion. One Cache per store memory runs them;
   * default true (a single Cache does everything).
   */
  readonly runsBackgroundJobs?: boolean;
  /**
   * Which per-thread counter block this Cache writes, 0..threads-1 (default 0); `threads` is
   * the spare block for a Cache that only runs the background jobs (main's), whose reclaims and
   * evictions count too. Two Caches must never share a block.
   */
  readonly threadIndex?: number;
  /**
   * -t: sizes the item lock table and the per-thread counter blocks when this Cache makes its
   * store memory (StoreMemory.create reads settings.threads; this overrides it); default 1.
   */
  readonly threads?: number;
}

/** The store for a server; runtime is the server's one RuntimeSettings, read live. */
export function createStore(settings: Settings, runtime: RuntimeSettings, clock?: Clock): Cache {
  // a store this thread alone uses, whatever -t says (a -t N server's is made by threads/host.ts)
  return new Cache(settings, clock ?? systemClock, runtime, undefined, { threads: 1 });
}

/** The store memory a Cache makes for itself: options.threads, else settings.threads, blocks. */
function ownMemory(settings: Settings, options: CacheOptions): StoreMemory {
  return StoreMemory.create(options.threads === undefined ? settings : { ...settings, threads: options.threads });
}

export class Cache implements Store {
  private readonly casEnabled: boolean;
  /** -e: the memory limit cannot change at run time (memcached preallocates it). */
  private readonly isMemoryFixed: boolean;
  private readonly itemSizeMax: number;
  private readonly sizes: SizeHistogram | null;
  /** The server's run-time settings (lru tune/mode/temp_ttl, crawler, automove, flush point). */
  readonly runtime: RuntimeSettings;

  private readonly clock: ServerClock;
  private readonly slabs: Slabs;
  private readonly pages: Buffer[];
  private readonly words: Uint32Array[];
  private readonly hash: HashTable;
  private readonly lists: LruLists;
  private readonly lru: LruMaintainer;
  private readonly expiry: Expiry;
  private readonly data: ItemData;
  private readonly crawler: Crawler;
  /** Wakes the background Cache (this one listens when it runs the background jobs). */
  private readonly wake: BackgroundWake;
  private readonly automover: SlabAutomover;
  private readonly mover: SlabMover;
  private readonly admin: StoreAdmin;
  private readonly counters: StoreCounters;
  /** This thread's counter block (the only one it writes). */
  private readonly mine: ThreadCounters;
  private readonly locks: StoreLocks;
  /** The shared memory this Cache works in (another Cache may work in it too). */
  readonly memory: StoreMemory;
  /** Runs the background jobs (CacheOptions.runsBackgroundJobs). */
  readonly runsBackgroundJobs: boolean;
  /** The control block's words (the CAS counter, the maintain request). */
  private readonly f64: Float64Array;
  private readonly u32: Uint32Array;
  /**
   * The VIEWS_EPOCH word alone: a view of its own, so the check after every lock reads a field
   * rather than the module constant (a load and a hole check, in bytecode that TurboFan's
   * inlining budget counts).
   */
  private readonly epochWord: Uint32Array;
  /** VIEWS_EPOCH as of this Cache's last checkViews(). */
  private viewsEpoch = -1;
  lastCas = 0;
  deltaValue = 0n;
  /**
   * The item the last get() found, with the reference it took for the caller's reads of its
   * bytes (copyValue, valueSlice, pin); dropped at the next lookup, at the end of the run
   * (endRun) or, outside a run, in a microtask; NIL when none.
   */
  private readerRef = NIL;
  /** False at -t 1: this thread alone uses the store, and reference counts need no Atomics. */
  private readonly isShared: boolean;
  private isReaderDropQueued = false;
  /** Runs begun and not yet ended (beginRun/endRun nest: a run may start another). */
  private runDepth = 0;
  /** The other threads' linked items as of the last recount, and links until the next one. */
  private othersItems = 0;
  private linksUntilRecount = 0;
  /** LRU id of the item the last successful get() found, before its bump (adjustStat). */
  private lastHitLru = 0;
  /**
   * Who hears item events (watchers), and which: StoreEvents bits in events[0], 0 when nobody
   * listens (a word the listener's owner may change at any time, from any thread).
   */
  private listener: StoreListener | null = null;
  private events: Int32Array = NO_EVENTS;

  constructor(settings: Settings, clock: Clock, runtime: RuntimeSettings, memory?: StoreMemory, options: CacheOptions = {}) {
    memory ??= ownMemory(settings, options);
    this.runtime = runtime;
    this.memory = memory;
    this.runsBackgroundJobs = options.runsBackgroundJobs ?? true;
    this.f64 = memory.f64;
    this.u32 = memory.u32;
    this.epochWord = new Uint32Array(memory.buffers.control, VIEWS_EPOCH_AT, 1);
    this.locks = new StoreLocks(memory);
    this.isShared = this.locks.isShared;
    this.counters = new StoreCounters(memory, options.threadIndex ?? 0);
    this.mine = this.counters.mine;
    this.casEnabled = settings.casEnabled;
    this.isMemoryFixed = settings.memoryFile !== null;
    this.itemSizeMax = settings.itemSizeMax;
    this.sizes = memory.buffers.sizes !== null ? new SizeHistogram(memory.buffers.sizes) : null;
    this.clock = new ServerClock(clock, memory, { ticks: this.runsBackgroundJobs });
    this.wake = new BackgroundWake(memory.buffers.control);
    const checkViews = (): void => this.checkViews();
    const host = {
      unlinkItem: (ref: number): void => this.unlinkItem(ref),
      unlinkItemLruHeld: (ref: number): void => this.unlinkItemLruHeld(ref),
      onEvict: (ref: number): void => {
        if ((this.events[0]! & StoreEvents.Eviction) !== 0) this.tellEviction(ref);
      },
      itemsInClass: (cls: number): number => this.lists.itemsInClass(cls),
      onTick: (): boolean => this.maintain(),
      wakeBackground: (): void => this.wake.ring(),
      onWake: (): void => {
        // a verb in another Cache asked for the background jobs (a page move to go on with)
        if (this.u32[MAINTAIN_REQUEST_AT >> 2] !== 0) this.maintain();
        this.checkViews();
      },
      checkViews,
    };
    const locks = this.locks;
    this.slabs = new Slabs(settings, runtime, memory, locks);
    this.pages = this.slabs.pages;
    this.words = this.slabs.words;
    this.hash = new HashTable(memory, locks, this.pages, this.words,
      { expandDisabled: settings.hashExpandDisabled, runsTimer: this.runsBackgroundJobs, syncPages: () => this.slabs.syncPages() });
    this.lists = new LruLists(memory, locks, this.words, checkViews);
    this.expiry = new Expiry(this.clock, this.words, runtime);
    this.data = new ItemData(this.slabs);
    this.mover = new SlabMover(this.slabs, locks, {
      unlinkItem: host.unlinkItem,
      isDead: (ref: number): boolean => this.expiry.isDead(ref),
      itemsInClass: host.itemsInClass,
      relocate: (oldRef: number, newRef: number): void => this.relocateChunk(oldRef, newRef),
    }, { evictionsDisabled: settings.evictionsDisabled, stats: this.counters.background, control: memory.buffers.control });
    const parts = {
      runtime, slabs: this.slabs, lists: this.lists, counters: this.counters, clock: this.clock, expiry: this.expiry, host,
      locks, control: memory.buffers.control,
    };
    this.lru = new LruMaintainer(settings, parts);
    this.crawler = new Crawler({ dumpEnabled: settings.dumpEnabled, casEnabled: settings.casEnabled }, parts);
    this.automover = new SlabAutomover(settings.slabAutomoveWindow, parts);
    this.admin = new StoreAdmin({
      runtime, counters: this.counters, slabs: this.slabs, hash: this.hash, lists: this.lists, mover: this.mover,
      crawler: this.crawler, clock: this.clock, sizes: this.sizes, isSegmented: this.lru.hasMaintainer,
    });
    if (this.runsBackgroundJobs) {
      // only other threads ring (and a pending wait keeps this store's memory from being freed)
      if (memory.threads > 1) {
        this.wake.listen(() => {
          if (this.u32[MAINTAIN_REQUEST_AT >> 2] !== 0) this.maintain();
          this.crawler.wake();
        });
      }
      this.crawler.start();
      this.lru.start();
    }
  }

  get processStarted(): number {
    return this.clock.processStarted;
  }

  now(): number {
    return this.clock.now();
  }

  shiftClock(deltaSec: number): void {
    this.clock.shift(deltaSec);
  }

  pauseClock(isPaused: boolean): void {
    this.clock.setPaused(isPaused);
  }

  realTime(exptime: number): number {
    return this.clock.realTime(exptime);
  }

  /**
   * Views of the pages and hash tables another Cache over the same memory added: checked (one
   * compare) after taking the lock that guards refs found in shared state (a lookup, an
   * allocation, a list walk), before following them.
   */
  private checkViews(): void {
    if (this.epochWord[0] === this.viewsEpoch) return;
    this.viewsEpoch = Atomics.load(this.epochWord, 0);
    this.slabs.syncPages();
    this.hash.syncTables();
  }

  /** The next CAS value, under the CAS lock (memcached's cas_id_lock). */
  private nextCas(): number {
    if (!this.casEnabled) return 0;
    this.locks.lockCas();
    const cas = ++this.f64[CAS_ID_AT >> 3]!;
    this.locks.unlockCas();
    return cas;
  }

  // =====================================================================================
  // item header helpers
  // =====================================================================================

  private metaOf(ref: number): number {
    return headerWord(this.words, ref, W_META);
  }

  private flagsOf(ref: number): number {
    return this.metaOf(ref) >>> META_FLAG_SHIFT;
  }

  private setFlagBits(ref: number, bits: number): void {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref) + W_META;
    w[b] = (w[b]! | (bits << META_FLAG_SHIFT)) >>> 0;
  }

  private clearFlagBits(ref: number, bits: number): void {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref) + W_META;
    w[b] = (w[b]! & ~(bits << META_FLAG_SHIFT)) >>> 0;
  }

  private casOf(ref: number): number {
    return casOfHeader(pageWords(this.words, ref), wordBase(ref));
  }

  /** Writes the item's CAS (its item lock held), keeping the reference count another thread may change. */
  private writeCas(w: Uint32Array, b: number, cas: number): void {
    w[b + W_CASLO] = cas >>> 0;
    const hi = Math.floor(cas / TWO_32);
    let word = w[b + W_CASHI]!;
    if (!this.isShared) {
      w[b + W_CASHI] = ((word & ~CAS_HI_MASK) | hi) >>> 0;
      return;
    }
    for (;;) {
      const seen = Atomics.compareExchange(w, b + W_CASHI, word, ((word & ~CAS_HI_MASK) | hi) >>> 0);
      if (seen === word) return;
      word = seen;
    }
  }

  /** Takes a reference to an item (its item lock held, or a reference held already). */
  private takeRef(ref: number): void {
    const w = pageWords(this.words, ref);
    const i = wordBase(ref) + W_CASHI;
    if (this.isShared) Atomics.add(w, i, REF_ONE);
    else w[i] = w[i]! + REF_ONE;
  }

  /**
   * Drops a reference; the last one frees the item's chunks (it is unlinked by then). A count
   * of 1 is ours alone, and nobody can take another (that needs the item found in the index,
   * or a reference held): a plain write then saves the atomic operation (as it does for any
   * count when this thread alone uses the store).
   */
  private dropRef(ref: number): void {
    const w = pageWords(this.words, ref);
    const i = wordBase(ref) + W_CASHI;
    const word = w[i]!;
    if (!this.isShared || word >>> REFS_SHIFT === 1) {
      w[i] = word - REF_ONE;
      if (word >>> REFS_SHIFT !== 1) return;
    } else if (Atomics.sub(w, i, REF_ONE) >>> REFS_SHIFT !== 1) {
      return;
    }
    this.data.forget(ref);
    this.slabs.freeItemChunks(ref);
  }

  /** The last get()'s reference goes (its reads are over). */
  private dropReader(): void {
    const ref = this.readerRef;
    if (ref === NIL) return;
    this.readerRef = NIL;
    this.dropRef(ref);
  }

  private readonly dropReaderLater = (): void => {
    this.isReaderDropQueued = false;
    this.dropReader();
  };

  private totalOf(ref: number): number {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref);
    return mcItemTotal(w[b + W_META]! & 0xff, w[b + W_VLEN]!, w[b + W_FLAGS]!, this.casEnabled);
  }

  // =====================================================================================
  // allocation: do_item_alloc, do_item_alloc_pull
  // =====================================================================================

  /**
   * Gets a chunk of cls: free list or a new page, then the LRU tails (reclaim, evict unless
   * -M), then a page taken from another class. NIL when none can be had.
   */
  private allocChunk(cls: number): number {
    this.lru.pullBeforeAlloc(cls);
    let ref = this.slabs.takeChunk(cls);
    if (ref !== NIL) return ref;
    ref = this.lru.allocPull(cls);
    if (ref !== NIL) return ref;
    ref = this.stealChunk(cls);
    if (ref !== NIL || this.memory.threads === 1) return ref;
    // With other threads, the tail items or the page being moved may be busy for a moment (an
    // item lock, a reply still sending): a few short waits before answering out of memory.
    for (let i = 0; i < BUSY_RETRIES && ref === NIL; i++) {
      sleepSync(BUSY_WAIT_MS);
      ref = this.lru.allocPull(cls);
      if (ref === NIL) ref = this.stealChunk(cls);
    }
    return ref;
  }

  /** A chunk from a page taken from another class (a move that must finish first), or NIL. */
  private stealChunk(cls: number): number {
    if (this.mover.stealFor(cls)) {
      const ref = this.slabs.takeChunk(cls);
      if (ref !== NIL) return ref;
    }
    // a page move is under way or could not start here: the background jobs go on with it
    if (!this.runsBackgroundJobs && this.u32[MAINTAIN_REQUEST_AT >> 2] === 0) {
      this.u32[MAINTAIN_REQUEST_AT >> 2] = 1;
      this.wake.ring();
    }
    return NIL;
  }

  /** Allocates ceil(payload / chunk payload) chunks of the largest class, chained. */
  private allocChain(payload: number): number {
    const cls = this.slabs.largest;
    const n = Math.ceil(payload / this.data.chainPayload());
    let head = NIL;
    let prev = NIL;
    for (let i = 0; i < n; i++) {
      const ref = this.allocChunk(cls);
      if (ref === NIL) {
        // give back what we took
        let it = head;
        while (it !== NIL) {
          const next = headerWord(this.words, it, W_CHAIN);
          this.slabs.freeChunk(it, cls);
          it = next;
        }
        return NIL;
      }
      const w = pageWords(this.words, ref);
      const b = wordBase(ref);
      w[b + W_CHAIN] = NIL;
      if (i === 0) {
        head = ref;
        // mark the head used so a page steal in a later iteration leaves it alone
        w[b + W_META] = ((cls << META_LRU_SHIFT) | (IF_USED << META_FLAG_SHIFT)) >>> 0;
      } else {
        w[b + W_META] = ((cls << META_LRU_SHIFT) | ((IF_USED | IF_CONT) << META_FLAG_SHIFT)) >>> 0;
        w[b + W_NEXT] = head;
        setHeaderWord(this.words, prev, W_CHAIN, ref);
      }
      prev = ref;
    }
    return head;
  }

  /**
   * do_item_alloc: exptime already server-relative. The item comes with one reference, its
   * writer's, which link() hands to the hash link or drops.
   */
  private allocItem(key: Buffer, keyStart: number, keyLen: number, flags: number, exptimeRel: number, valueLen: number): number {
    const total = mcItemTotal(keyLen, valueLen, flags, this.casEnabled);
    if (total > this.itemSizeMax || valueLen < 0 || keyLen > KEY_MAX_LENGTH) return AllocError.TooLarge;
    const largestSize = this.slabs.chunkSize[this.slabs.largest]!;
    const need = HDR_BYTES + keyLen + valueLen + 2;
    const chained = total > largestSize;
    const cls = chained ? this.slabs.largest : this.slabs.classFor(total);
    const ref = chained ? this.allocChain(need - HDR_BYTES) : this.allocChunk(cls);
    if (ref === NIL) {
      this.counters.outOfMemory[cls]!++;
      return AllocError.NoMemory;
    }
    // a chain cursor for this ref may be from an item another thread freed since
    this.data.forget(ref);
    const w = pageWords(this.words, ref);
    const b = wordBase(ref);
    w[b + W_META] = (keyLen | (cls << META_LRU_SHIFT) | ((IF_USED | (chained ? IF_CHAINED : 0)) << META_FLAG_SHIFT)) >>> 0;
    w[b + W_PREV] = NIL;
    w[b + W_NEXT] = NIL;
    w[b + W_HNEXT] = NIL;
    w[b + W_TIME] = this.clock.current;
    w[b + W_EXP] = exptimeRel;
    w[b + W_VLEN] = valueLen;
    w[b + W_FLAGS] = flags;
    w[b + W_CASLO] = 0;
    w[b + W_CASHI] = REF_ONE;
    if (!chained) w[b + W_CHAIN] = NIL;
    w[b + W_HASH] = murmur3(key, keyStart, keyLen, HASH_SEED);
    const page = this.pages[pageIndex(ref)]!;
    const off = keyOffset(ref);
    if (keyLen <= 32) for (let i = 0; i < keyLen; i++) page[off + i] = key[keyStart + i]!;
    else copyRange(key, keyStart, page, off, keyLen);
    // trailing \r\n, memcached's layout
    if (!chained) {
      page[off + keyLen + valueLen] = CRLF0;
      page[off + keyLen + valueLen + 1] = CRLF1;
    } else {
      this.data.copy(ref, valueLen, CRLF_BUF, 0, 2, true);
    }
    return ref;
  }

  /**
   * A page move copied a chunk from oldRef to newRef: an item's head chunk is now found there
   * by the index, its LRU neighbours and its continuation chunks; a continuation chunk by the
   * chunk before it in the chain.
   */
  private relocateChunk(oldRef: number, newRef: number): void {
    this.checkViews();
    const w = pageWords(this.words, newRef);
    const b = wordBase(newRef);
    const meta = w[b + W_META]!;
    const flags = meta >>> META_FLAG_SHIFT;
    if ((flags & IF_CONT) !== 0) {
      const head = w[b + W_NEXT]!;
      // the chain is singly linked: find the chunk before it from the head
      for (let it = head; it !== NIL;) {
        const iw = pageWords(this.words, it);
        const ib = wordBase(it) + W_CHAIN;
        if (iw[ib] === oldRef) {
          iw[ib] = newRef;
          break;
        }
        it = iw[ib]!;
      }
      this.data.forget(head);
      return;
    }
    this.hash.replace(oldRef, newRef, w[b + W_HASH]! | 0);
    this.lists.replace(oldRef, newRef, (meta >>> META_LRU_SHIFT) & 0xff);
    if ((flags & IF_CHAINED) !== 0) {
      for (let c = w[b + W_CHAIN]!; c !== NIL;) {
        const cw = pageWords(this.words, c);
        const cb = wordBase(c);
        cw[cb + W_NEXT] = newRef;
        c = cw[cb + W_CHAIN]!;
      }
    }
    this.data.forget(oldRef);
  }

  // =====================================================================================
  // link / unlink / lookup
  // =====================================================================================

  /** Links an allocated item (its item lock held): its writer's reference becomes the link's. */
  private linkItem(ref: number): void {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref);
    const meta = w[b + W_META]!;
    const cls = (meta >>> META_LRU_SHIFT) & CLASS_MASK;
    w[b + W_META] = (meta | (IF_LINKED << META_FLAG_SHIFT)) >>> 0;
    w[b + W_TIME] = this.clock.current;
    // not linked yet, so nobody else can hold a reference: a plain write keeps the writer's
    const cas = this.nextCas();
    w[b + W_CASLO] = cas >>> 0;
    w[b + W_CASHI] = ((w[b + W_CASHI]! & ~CAS_HI_MASK) | Math.floor(cas / TWO_32)) >>> 0;
    const total = mcItemTotal(meta & 0xff, w[b + W_VLEN]!, w[b + W_FLAGS]!, this.casEnabled);
    const counts = this.mine.counts;
    counts[TC_CURR_BYTES]! += total;
    counts[TC_CURR_ITEMS]!++;
    counts[TC_TOTAL_ITEMS]!++;
    if (this.sizes !== null) this.sizes.add(total);
    this.lists.link(ref, cls | this.lru.entrySegment(w[b + W_EXP]!), total);
    // every thread's linked items drive the doubling: this thread's count, plus the others'
    // summed every LINKS_PER_RECOUNT links (a sum over every block per link costs too much)
    if (--this.linksUntilRecount < 0) {
      this.linksUntilRecount = LINKS_PER_RECOUNT;
      this.othersItems = this.counters.currItems - counts[TC_CURR_ITEMS]!;
    }
    this.hash.insert(ref, w[b + W_HASH]! | 0, counts[TC_CURR_ITEMS]! + this.othersItems);
  }

  /**
   * Removes a linked item (its item lock held) from the index and its LRU and drops the link's
   * reference: its chunks go now, or with the last reference a reader or reply still holds.
   */
  private unlinkItem(ref: number): void {
    this.unlinkFrom(ref, false);
  }

  /** unlinkItem for a tail pull that holds the item's LRU lock already. */
  private unlinkItemLruHeld(ref: number): void {
    this.unlinkFrom(ref, true);
  }

  private unlinkFrom(ref: number, isLruHeld: boolean): void {
    // the caller may have taken the item lock without a lookup (a tail pull, the crawler, the mover)
    this.checkViews();
    const w = pageWords(this.words, ref);
    const b = wordBase(ref);
    const meta = w[b + W_META]!;
    if (((meta >>> META_FLAG_SHIFT) & IF_LINKED) === 0) return;
    const total = mcItemTotal(meta & 0xff, w[b + W_VLEN]!, w[b + W_FLAGS]!, this.casEnabled);
    const counts = this.mine.counts;
    counts[TC_CURR_BYTES]! -= total;
    counts[TC_CURR_ITEMS]!--;
    if (this.sizes !== null) this.sizes.remove(total);
    this.hash.remove(ref, w[b + W_HASH]! | 0);
    const id = (meta >>> META_LRU_SHIFT) & 0xff;
    if (isLruHeld) this.lists.unlinkHeld(ref, id, total);
    else this.lists.unlink(ref, id, total);
    w[b + W_META] = (w[b + W_META]! & ~(IF_LINKED << META_FLAG_SHIFT)) >>> 0;
    this.dropRef(ref);
  }

  /**
   * Takes the item lock of hv for a verb (and drops the last get's reader reference: the
   * caller's reads of it are over once it asks for something else).
   */
  private lockKey(hv: number): void {
    if (this.readerRef !== NIL) this.dropReader();
    this.locks.items.lock(hv);
    this.checkViews();
  }

  private unlockKey(hv: number): void {
    this.locks.items.unlock(hv);
  }

  /**
   * do_item_get (hv's item lock held): a live item or NIL; expired/flushed items met here are
   * unlinked and counted. Watchers hear of every lookup (isWatched false: an internal
   * re-lookup they must not see).
   */
  private lookup(key: Buffer, keyStart: number, keyLen: number, hv: number, isWatched = true): number {
    const it = this.hash.find(hv, key, keyStart, keyLen);
    const isTold = (this.events[0]! & StoreEvents.ItemGet) !== 0 && isWatched;
    if (it === NIL) {
      if (isTold) this.listener!.itemGet(LookupOutcome.NotFound, key, keyStart, keyLen, 0, 0);
      return NIL;
    }
    if (this.expiry.isFlushed(it)) {
      this.unlinkItem(it);
      this.mine.counts[TC_GET_FLUSHED]!++;
      if (isTold) this.listener!.itemGet(LookupOutcome.Flushed, key, keyStart, keyLen, 0, 0);
      return NIL;
    }
    if (this.expiry.isExpired(it)) {
      this.unlinkItem(it);
      this.mine.counts[TC_GET_EXPIRED]!++;
      if (isTold) this.listener!.itemGet(LookupOutcome.Expired, key, keyStart, keyLen, 0, 0);
      return NIL;
    }
    if (isTold) this.tellFound(it, key, keyStart, keyLen);
    return it;
  }

  private tellFound(it: number, key: Buffer, keyStart: number, keyLen: number): void {
    const w = pageWords(this.words, it);
    const b = wordBase(it);
    this.listener!.itemGet(LookupOutcome.Found, key, keyStart, keyLen, w[b + W_VLEN]!, (w[b + W_META]! >>> META_LRU_SHIFT) & CLASS_MASK);
  }

  /** do_item_update: refresh access time at most once per ITEM_UPDATE_INTERVAL. */
  private touchTime(ref: number): void {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref) + W_TIME;
    const now = this.clock.current;
    if (w[b]! < now - ITEM_UPDATE_INTERVAL) w[b] = now;
  }

  private fillView(ref: number, view: ItemView): void {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref);
    const meta = w[b + W_META]!;
    view.ref = ref;
    view.flags = w[b + W_FLAGS]!;
    view.valueLen = w[b + W_VLEN]!;
    view.keyLen = meta & 0xff;
    view.cas = casOfHeader(w, b);
    view.exptime = w[b + W_EXP]!;
    view.lastAccess = w[b + W_TIME]!;
    view.itemBits = (meta >>> META_FLAG_SHIFT) & ITEM_BITS_MASK;
    view.slabClass = (meta >>> META_LRU_SHIFT) & CLASS_MASK;
  }

  // =====================================================================================
  // Store: lookups
  // =====================================================================================

  get(key: Buffer, keyStart: number, keyLen: number, view: ItemView, opts: number, touchExptime: number): boolean {
    this.clock.now();
    const hv = murmur3(key, keyStart, keyLen, HASH_SEED);
    this.lockKey(hv);
    const it = this.lookup(key, keyStart, keyLen, hv, (opts & GetOpt.NoWatch) === 0);
    const countTouch = (opts & GetOpt.CountAsTouch) !== 0;
    const noStats = (opts & GetOpt.NoStats) !== 0;
    const m = this.mine;
    if (it === NIL) {
      this.unlockKey(hv);
      if (!noStats) m.counts[countTouch ? TC_TOUCH_MISSES : TC_GET_MISSES]!++;
      return false;
    }
    this.fillView(it, view);
    const lruId = (headerWord(this.words, it, W_META) >>> META_LRU_SHIFT) & 0xff;
    this.lastHitLru = lruId;
    if (!noStats) {
      if (countTouch) m.touchHits[view.slabClass]!++;
      else m.lruHits[lruId]!++;
    }
    if ((opts & GetOpt.NoBump) === 0) this.lru.bump(it, (opts & GetOpt.NoFetchMark) === 0);
    if ((opts & GetOpt.Touch) !== 0) setHeaderWord(this.words, it, W_EXP, this.clock.realTime(touchExptime));
    this.holdForReader(it);
    this.unlockKey(hv);
    return true;
  }

  /**
   * The caller reads the found item's bytes after get() returns (copyValue, valueSlice, pin):
   * a reference keeps them from being freed or moved meanwhile (item lock held).
   */
  private holdForReader(it: number): void {
    this.takeRef(it);
    this.readerRef = it;
    // a chain cursor for this ref may be from an item another thread freed since
    this.data.forget(it);
    if (this.runDepth === 0 && !this.isReaderDropQueued) {
      this.isReaderDropQueued = true;
      queueMicrotask(this.dropReaderLater);
    }
  }

  beginRun(): void {
    this.runDepth++;
  }

  endRun(): void {
    if (--this.runDepth === 0 && this.readerRef !== NIL) this.dropReader();
  }

  copyValue(ref: ItemRef, valueOffset: number, dst: Buffer, dstStart: number, len: number, dstView?: DataView): void {
    this.data.copy(ref, valueOffset, dst, dstStart, len, false, dstView ?? null);
  }

  copyKey(ref: ItemRef, dst: Buffer, dstStart: number): number {
    return this.data.copyKey(ref, dst, dstStart);
  }

  valueSlice(ref: ItemRef, withCrlf: boolean, from = 0): Buffer | null {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref);
    const meta = w[b + W_META]!;
    if (((meta >>> META_FLAG_SHIFT) & IF_CHAINED) !== 0) return null;
    // at the reference count's ceiling the caller copies instead of pinning
    if (refsOfHeader(w, b) >= PINS_MAX) return null;
    const off = keyOffset(ref) + (meta & 0xff);
    return this.pages[pageIndex(ref)]!.subarray(off + from, off + w[b + W_VLEN]! + (withCrlf ? 2 : 0));
  }

  /** A zero-copy reply's reference (the get that found ref still holds one, so no lock is needed). */
  pin(ref: ItemRef): void {
    this.takeRef(ref);
  }

  unpin(ref: ItemRef): void {
    this.dropRef(ref);
  }

  // =====================================================================================
  // Store: two-phase storage
  // =====================================================================================

  allocate(key: Buffer, keyStart: number, keyLen: number, flags: number, exptime: number, valueLen: number): ItemRef {
    this.clock.now();
    // the caller's reads of the last get's item are over: it may be evicted to make room
    if (this.readerRef !== NIL) this.dropReader();
    const ref = this.allocItem(key, keyStart, keyLen, flags >>> 0, this.clock.realTime(exptime), valueLen);
    if (ref >= 0) this.mine.setCmds[(this.metaOf(ref) >>> META_LRU_SHIFT) & CLASS_MASK]!++;
    return ref;
  }

  writeValue(ref: ItemRef, valueOffset: number, src: Buffer, srcStart: number, len: number): void {
    this.data.copy(ref, valueOffset, src, srcStart, len, true);
  }

  release(ref: ItemRef): void {
    if (ref < 0) return;
    const flags = this.flagsOf(ref);
    if ((flags & IF_USED) === 0 || (flags & (IF_LINKED | IF_CONT)) !== 0) return;
    this.dropRef(ref);
  }

  /** Links (or, when the mode refuses, frees) an allocated item: link() always consumes ref. */
  link(ref: ItemRef, mode: StoreMode, casIn: number): StoreResult {
    this.clock.now();
    const hv = headerWord(this.words, ref, W_HASH) | 0;
    this.lockKey(hv);
    const result = this.linkLocked(ref, mode, casIn, hv);
    this.unlockKey(hv);
    return result;
  }

  private linkLocked(ref: number, mode: StoreMode, casIn: number, hv: number): StoreResult {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref);
    const keyLen = w[b + W_META]! & 0xff;
    const page = this.pages[pageIndex(ref)]!;
    const keyStart = keyOffset(ref);
    const old = this.lookup(page, keyStart, keyLen, hv);
    const m = this.mine;
    let result: StoreResult = StoreResult.NotStored;
    let stored = NIL;
    if (old !== NIL) {
      // the old item's cas and class are read only by the verbs that use them (a set does not)
      const casMatch = casIn === 0 ? 0 : casIn === this.casOf(old) ? 1 : 2; // none / match / bad
      switch (mode) {
        case StoreMode.Add:
          this.touchTime(old);
          break;
        case StoreMode.Cas:
        case StoreMode.CasStale: {
          const oldCls = (this.metaOf(old) >>> META_LRU_SHIFT) & CLASS_MASK;
          if (casMatch === 1) {
            m.casHits[oldCls]!++;
            stored = ref;
          } else if (mode === StoreMode.CasStale && casMatch === 2 && casIn < this.casOf(old)) {
            // set_stale: keep the old exptime, mark stale, keep a sent recache token
            w[b + W_EXP] = headerWord(this.words, old, W_EXP);
            this.setFlagBits(ref, IF_STALE | (this.flagsOf(old) & IF_TOKEN));
            m.casHits[oldCls]!++;
            stored = ref;
          } else {
            m.casBadval[oldCls]!++;
            result = StoreResult.Exists;
          }
          break;
        }
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
          m.counts[TC_CAS_MISSES]!++;
          break;
        default:
          break;
      }
      if (stored !== NIL) {
        this.linkItem(stored);
        result = StoreResult.Stored;
      }
    }
    if ((this.events[0]! & StoreEvents.ItemStore) !== 0) this.tellStore(result, mode, stored !== NIL ? stored : ref);
    // ref's writer reference: the link's now, or dropped (which frees it)
    if (stored !== ref) this.dropRef(ref);
    if (result === StoreResult.Stored) this.lastCas = this.casOf(stored);
    return result;
  }

  /** A store attempt on item ref, for the listener (memcached logs it at the end of do_store_item). */
  private tellStore(result: StoreResult, mode: StoreMode, ref: number): void {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref);
    const meta = w[b + W_META]!;
    const exp = w[b + W_EXP]!;
    // memcached prints exptime - current_time as an unsigned 32-bit number (%u)
    const ttl = exp === 0 ? 0 : (exp - this.clock.current) >>> 0;
    const page = this.pages[pageIndex(ref)]!;
    const keyStart = keyOffset(ref);
    this.listener!.itemStore(result, mode, page, keyStart, meta & 0xff, w[b + W_VLEN]!, ttl, (meta >>> META_LRU_SHIFT) & CLASS_MASK);
  }

  /** An LRU tail item about to be evicted, for the listener (lru_pull_tail's LOGGER_EVICTION). */
  private tellEviction(ref: number): void {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref);
    const meta = w[b + W_META]!;
    const exp = w[b + W_EXP]!;
    const now = this.clock.current;
    const page = this.pages[pageIndex(ref)]!;
    const keyStart = keyOffset(ref);
    const isFetched = ((meta >>> META_FLAG_SHIFT) & IF_FETCHED) !== 0;
    this.listener!.eviction(page, keyStart, meta & 0xff, w[b + W_VLEN]!, isFetched, exp > 0 ? exp - now : -1,
      now - w[b + W_TIME]!, (meta >>> META_LRU_SHIFT) & CLASS_MASK);
  }

  setListener(listener: StoreListener | null, events: Int32Array): void {
    this.listener = listener;
    this.events = listener === null ? NO_EVENTS : events;
  }

  /** append/prepend: a new item holding old's and add's values; old's flags and exptime. */
  private mergeInto(old: number, add: number, append: boolean): number {
    const ow = pageWords(this.words, old);
    const ob = wordBase(old);
    const oldLen = ow[ob + W_VLEN]!;
    const addLen = headerWord(this.words, add, W_VLEN);
    const keyLen = ow[ob + W_META]! & 0xff;
    const page = this.pages[pageIndex(old)]!;
    const keyStart = keyOffset(old);
    // old stays put meanwhile: we hold its item lock, which an eviction or a page move would need
    const merged = this.allocItem(page, keyStart, keyLen, ow[ob + W_FLAGS]!, ow[ob + W_EXP]!, oldLen + addLen);
    if (merged < 0) return NIL;
    if (append) {
      this.data.copyItemValue(old, merged, 0);
      this.data.copyItemValue(add, merged, oldLen);
    } else {
      this.data.copyItemValue(add, merged, 0);
      this.data.copyItemValue(old, merged, addLen);
    }
    return merged;
  }

  noteAllocFailure(err: number, key: Buffer, keyStart: number, keyLen: number, unlinkOld: boolean, mode: StoreMode): void {
    this.clock.now();
    this.mine.counts[err === AllocError.TooLarge ? TC_STORE_TOO_LARGE : TC_STORE_NO_MEMORY]!++;
    if ((this.events[0]! & StoreEvents.ItemStore) !== 0) {
      // memcached logs no item here: size and ttl 0 (its class slot gets the fd, see watch.ts)
      this.listener!.itemStore(err === AllocError.TooLarge ? StoreResult.TooLarge : StoreResult.NoMemory, mode,
        key, keyStart, keyLen, 0, 0, -1);
    }
    if (unlinkOld) {
      const hv = murmur3(key, keyStart, keyLen, HASH_SEED);
      this.lockKey(hv);
      const it = this.lookup(key, keyStart, keyLen, hv);
      if (it !== NIL) this.unlinkItem(it);
      this.unlockKey(hv);
    }
  }

  // =====================================================================================
  // Store: other item verbs
  // =====================================================================================

  delete(key: Buffer, keyStart: number, keyLen: number, casIn: number): DeleteResult {
    this.clock.now();
    const hv = murmur3(key, keyStart, keyLen, HASH_SEED);
    this.lockKey(hv);
    const result = this.deleteLocked(key, keyStart, keyLen, casIn, hv);
    this.unlockKey(hv);
    return result;
  }

  private deleteLocked(key: Buffer, keyStart: number, keyLen: number, casIn: number, hv: number): DeleteResult {
    const it = this.lookup(key, keyStart, keyLen, hv);
    if (it === NIL) {
      this.mine.counts[TC_DELETE_MISSES]!++;
      return DeleteResult.NotFound;
    }
    if (casIn !== 0 && casIn !== this.casOf(it)) return DeleteResult.Exists;
    this.mine.deleteHits[(this.metaOf(it) >>> META_LRU_SHIFT) & CLASS_MASK]!++;
    this.unlinkItem(it);
    return DeleteResult.Deleted;
  }

  touch(key: Buffer, keyStart: number, keyLen: number, exptime: number): boolean {
    this.clock.now();
    const hv = murmur3(key, keyStart, keyLen, HASH_SEED);
    this.lockKey(hv);
    const it = this.lookup(key, keyStart, keyLen, hv);
    if (it !== NIL) {
      this.lru.bump(it, true);
      setHeaderWord(this.words, it, W_EXP, this.clock.realTime(exptime));
      this.mine.touchHits[(this.metaOf(it) >>> META_LRU_SHIFT) & CLASS_MASK]!++;
    } else {
      this.mine.counts[TC_TOUCH_MISSES]!++;
    }
    this.unlockKey(hv);
    return it !== NIL;
  }

  delta(key: Buffer, keyStart: number, keyLen: number, isIncr: boolean, delta: bigint, casIn: number,
    initial: bigint, vivifyExptime: number | null, view: ItemView | null): DeltaResult {
    this.clock.now();
    const hv = murmur3(key, keyStart, keyLen, HASH_SEED);
    this.lockKey(hv);
    const it = this.lookup(key, keyStart, keyLen, hv);
    const result = it === NIL
      ? this.deltaMissing(key, keyStart, keyLen, isIncr, initial, vivifyExptime, view)
      : this.deltaFound(it, isIncr, delta, casIn, view);
    this.unlockKey(hv);
    return result;
  }

  /** incr/decr of a key not found (hv's item lock held): a miss, or the initial value (meta N). */
  private deltaMissing(key: Buffer, keyStart: number, keyLen: number, isIncr: boolean, initial: bigint,
    vivifyExptime: number | null, view: ItemView | null): DeltaResult {
    if (vivifyExptime === null) {
      this.mine.counts[isIncr ? TC_INCR_MISSES : TC_DECR_MISSES]!++;
      return DeltaResult.NotFound;
    }
    return this.vivify(key, keyStart, keyLen, initial & U64_MASK, vivifyExptime, view);
  }

  /** incr/decr of a live item (its item lock held). */
  private deltaFound(it: number, isIncr: boolean, delta: bigint, casIn: number, view: ItemView | null): DeltaResult {
    const w = pageWords(this.words, it);
    const b = wordBase(it);
    const meta = w[b + W_META]!;
    const vlen = w[b + W_VLEN]!;
    if (vlen === 0 || ((meta >>> META_FLAG_SHIFT) & IF_CHAINED) !== 0) return DeltaResult.NonNumeric;
    if (casIn !== 0 && casIn !== this.casOf(it)) return DeltaResult.Exists;
    const page = this.pages[pageIndex(it)]!;
    const vstart = keyOffset(it) + (meta & 0xff);
    // memcached reads the value as a C string: `1\0a` and `1 a` are 1, `1a` is not a number.
    const parsed = safeStrtoullExact(page, vstart, vstart + vlen);
    if (parsed === null) return DeltaResult.NonNumeric;
    let value: bigint;
    if (isIncr) value = (parsed + delta) & U64_MASK;
    else value = delta > parsed ? 0n : parsed - delta;
    const cls = (meta >>> META_LRU_SHIFT) & CLASS_MASK;
    if (isIncr) this.mine.incrHits[cls]!++;
    else this.mine.decrHits[cls]!++;
    const digits = value.toString(); // incr/decr is rare; BigInt is the simplest exact uint64
    const res = digits.length;
    let target: number;
    if (res <= vlen && refsOfHeader(w, b) === 1) {
      // in place, padded with spaces to the old length (memcached does exactly this), when
      // nobody but the link holds a reference (no reader is copying the value meanwhile)
      page.write(digits, vstart, 'latin1');
      page.fill(0x20, vstart + res, vstart + vlen);
      this.writeCas(w, b, this.nextCas());
      this.touchTime(it);
      target = it;
    } else {
      // it stays put meanwhile: we hold its item lock
      const fresh = this.allocItem(page, vstart - (meta & 0xff), meta & 0xff, w[b + W_FLAGS]!, w[b + W_EXP]!, res);
      if (fresh < 0) return DeltaResult.NoMemory;
      const fpage = this.pages[pageIndex(fresh)]!;
      fpage.write(digits, keyOffset(fresh) + (meta & 0xff), 'latin1');
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
    const ref = this.allocItem(key, keyStart, keyLen, 0, this.clock.realTime(exptime), digits.length);
    if (ref < 0) return DeltaResult.NoMemory;
    const page = this.pages[pageIndex(ref)]!;
    page.write(digits, keyOffset(ref) + keyLen, 'latin1');
    if ((this.events[0]! & (StoreEvents.ItemGet | StoreEvents.ItemStore)) !== 0) {
      // memcached creates the item through store_item(NREAD_ADD): a second lookup, then the store
      if ((this.events[0]! & StoreEvents.ItemGet) !== 0) this.listener!.itemGet(LookupOutcome.NotFound, key, keyStart, keyLen, 0, 0);
      if ((this.events[0]! & StoreEvents.ItemStore) !== 0) this.tellStore(StoreResult.Stored, StoreMode.Add, ref);
    }
    this.linkItem(ref);
    this.deltaValue = initial;
    this.lastCas = this.casOf(ref);
    if (view !== null) this.fillView(ref, view);
    return DeltaResult.Ok;
  }

  // The verbs below act on an item found by the caller's get() (whose reference it still
  // holds) or allocated by it: they take the item's lock by the hash in its header.

  setItemBits(ref: ItemRef, bits: number): void {
    const hv = this.lockRef(ref);
    this.setFlagBits(ref, bits & ITEM_BITS_MASK);
    this.unlockKey(hv);
  }

  clearItemBits(ref: ItemRef, bits: number): void {
    const hv = this.lockRef(ref);
    this.clearFlagBits(ref, bits & ITEM_BITS_MASK);
    this.unlockKey(hv);
  }

  bumpCas(ref: ItemRef): number {
    const hv = this.lockRef(ref);
    const cas = this.nextCas();
    this.writeCas(pageWords(this.words, ref), wordBase(ref), cas);
    this.unlockKey(hv);
    return cas;
  }

  setExptime(ref: ItemRef, exptime: number): void {
    this.clock.now();
    const hv = this.lockRef(ref);
    setHeaderWord(this.words, ref, W_EXP, this.clock.realTime(exptime));
    this.unlockKey(hv);
  }

  unlinkRef(ref: ItemRef): void {
    const hv = this.lockRef(ref);
    this.unlinkItem(ref);
    this.unlockKey(hv);
  }

  /** Takes the item lock of an item the caller holds a reference to; returns its hash. */
  private lockRef(ref: number): number {
    const hv = headerWord(this.words, ref, W_HASH) | 0;
    this.locks.items.lock(hv);
    return hv;
  }

  adjustStat(name: CountedStat, slabClass: number, by: number): void {
    const c = slabClass > 0 && slabClass < MAX_SLAB_CLASSES ? slabClass : 0;
    const m = this.mine;
    switch (name) {
      case 'cmd_set': m.setCmds[c]! += by; break;
      case 'get_hits': {
        // by the LRU the item was found in, as memcached's lru_hits[it->slabs_clsid]
        const id = (this.lastHitLru & CLASS_MASK) === c ? this.lastHitLru : c | (this.runtime.lruSegmented ? LRU_HOT : LRU_COLD);
        m.lruHits[id]! += by;
        break;
      }
      case 'get_misses': m.counts[TC_GET_MISSES]! += by; break;
      case 'touch_hits': m.touchHits[c]! += by; break;
      case 'touch_misses': m.counts[TC_TOUCH_MISSES]! += by; break;
      case 'delete_hits': m.deleteHits[c]! += by; break;
      case 'delete_misses': m.counts[TC_DELETE_MISSES]! += by; break;
      case 'incr_hits': m.incrHits[c]! += by; break;
      case 'decr_hits': m.decrHits[c]! += by; break;
      case 'incr_misses': m.counts[TC_INCR_MISSES]! += by; break;
      case 'decr_misses': m.counts[TC_DECR_MISSES]! += by; break;
    }
  }

  itemTotalSize(ref: ItemRef): number {
    return this.totalOf(ref);
  }

  // =====================================================================================
  // Store: whole-cache verbs
  // =====================================================================================

  flushAll(delaySec: number): void {
    this.clock.now();
    this.expiry.flushAll(delaySec, this.casEnabled, () => this.nextCas());
  }

  setMemLimit(bytes: number): boolean {
    // memcached refuses cache_memlimit when its memory is preallocated, as -e makes it
    if (bytes < MIN_MEMLIMIT || this.isMemoryFixed) return false;
    this.slabs.setMemLimit(bytes);
    return true;
  }

  // =====================================================================================
  // Store: stats and admin verbs (admin.ts)
  // =====================================================================================

  stats(): StoreStats {
    return this.admin.stats();
  }

  emitItems(emit: StatEmitter): void {
    this.admin.emitItems(emit);
  }

  emitSlabs(emit: StatEmitter): void {
    this.admin.emitSlabs(emit);
  }

  emitSizes(emit: StatEmitter): void {
    this.admin.emitSizes(emit);
  }

  resetStats(): void {
    this.admin.resetStats();
  }

  cachedump(slabClass: number, limit: number,
    each: (ref: ItemRef, keyLen: number, valueLen: number, exptimeUnix: number) => void): void {
    this.admin.cachedump(slabClass, limit, each);
  }

  slabsReassign(src: number, dst: number): string {
    this.dropReader();
    return this.admin.slabsReassign(src, dst);
  }

  lruCrawlerCommand(args: readonly string[]): string {
    return this.admin.lruCrawlerCommand(args);
  }

  metadump(spec: string, each: (line: string) => void): string {
    return this.admin.metadump(spec, each);
  }

  describeSlabClasses(each: (line: string) => void): void {
    this.admin.describeSlabClasses(each);
  }

  /**
   * One background turn (the crawler's timer calls it; tests may too): goes on with a page move
   * that waited for busy items, gives pages back above a lowered limit, runs the automover,
   * starts the periodic crawl, and crawls for ~1 ms. True when the next turn should come soon
   * (a move still waits, or the automover just sent a page to the pool).
   */
  maintain(): boolean {
    this.dropReader();
    this.checkViews();
    this.clock.now();
    this.u32[MAINTAIN_REQUEST_AT >> 2] = 0;
    this.mover.step();
    this.mover.shrinkStep();
    const isAutomoveDue = this.automover.turn(this.mover);
    this.crawler.turn(this.counters.currItems);
    this.hash.armTimer();
    return this.mover.running || isAutomoveDue;
  }

  /** Runs the crawler until done or the deadline (performance.now() ms) passes. */
  crawlSlice(deadline: number): void {
    this.dropReader();
    this.checkViews();
    this.crawler.slice(deadline);
  }

  /** One LRU maintainer wake-up (its timer calls it; tests may too). Returns the sleep in µs. */
  runLruMaintainer(): number {
    this.dropReader();
    this.checkViews();
    return this.lru.runOnce();
  }

  close(): void {
    this.dropReader();
    this.clock.close();
    this.crawler.close();
    this.wake.close();
    this.lru.close();
    this.hash.close();
  }

  // =====================================================================================
  // warm restart (-e): the whole state out at a graceful stop, back in at the next start
  // =====================================================================================

  /**
   * The store's state for memory-file.ts, as views of the live arrays: call it once the
   * connections are gone (no verb runs in any thread between this and the write). References
   * still held by replies that never finished are let go first, so no chunk stays lost across
   * the restart and every item in the image has the count 1 of its link.
   */
  exportImage(): StoreImage {
    this.dropReader();
    this.settleRefs();
    const buckets = this.hash.exportBuckets();
    const k = this.counters;
    return {
      slabs: this.slabs.exportImage(),
      pages: this.pages,
      lruHead: this.lists.head,
      lruTail: this.lists.tail,
      lruCount: this.lists.count,
      lruBytes: this.lists.bytes,
      buckets,
      processStarted: this.clock.processStarted,
      casId: this.f64[CAS_ID_AT >> 3]!,
      oldestLive: this.runtime.oldestLive,
      oldestCas: this.runtime.oldestCas,
      currItems: k.currItems,
      currBytes: k.currBytes,
    };
  }

  /**
   * Takes a saved state into this fresh store (before it serves anything): items, LRU order,
   * hash table size, cas counter, flush marks and the clock's start come back. Returns why it
   * could not (the store then stays empty), or null.
   */
  restoreImage(image: StoreImage): string | null {
    if (this.counters.currItems !== 0 || this.slabs.pageCount !== 0) return 'the store is not empty';
    const bad = checkImage(image, this.slabs.chunkSize, this.slabs.perSlab);
    if (bad !== null) return `damaged item links (${bad})`;
    if (!this.slabs.restoreImage(image.slabs, image.pages)) return 'slab pages do not fit these settings';
    if (!this.hash.restoreBuckets(image.buckets)) return 'bad hash table size';
    this.lists.restore(image.lruHead, image.lruTail, image.lruCount, image.lruBytes);
    this.clock.resume(image.processStarted);
    this.f64[CAS_ID_AT >> 3] = image.casId;
    this.runtime.oldestLive = image.oldestLive;
    this.runtime.oldestCas = image.oldestCas;
    // images saved before the reference count came hold 0 in its bits
    this.settleRefs();
    const counts = this.mine.counts;
    counts[TC_CURR_ITEMS] = image.currItems;
    counts[TC_CURR_BYTES] = image.currBytes;
    // memcached's do_item_link_fixup counts each restored item as linked once more
    counts[TC_TOTAL_ITEMS] = image.currItems;
    if (this.sizes !== null) this.countSizes(this.sizes);
    return null;
  }

  /**
   * With no verb running and no reply left: every linked item's reference count becomes 1 (its
   * link's), and items that are allocated but not linked (a reply's last reference to an
   * unlinked item, a store that never finished) are freed. One pass over the pages.
   */
  private settleRefs(): void {
    const slabs = this.slabs;
    for (let page = 0; page < slabs.pages.length; page++) {
      const cls = slabs.classOfPage(page);
      if (!slabs.isLive(page) || cls === 0) continue;
      const size = slabs.chunkSize[cls]!;
      const w = slabs.words[page]!;
      for (let off = 0; off < slabs.perSlab[cls]! * size; off += size) {
        const ref = chunkRef(page, off);
        const b = wordBase(ref);
        const flags = w[b + W_META]! >>> META_FLAG_SHIFT;
        if ((flags & (IF_USED | IF_CONT)) !== IF_USED) continue;
        if ((flags & IF_LINKED) !== 0) w[b + W_CASHI] = ((w[b + W_CASHI]! & CAS_HI_MASK) | REF_ONE) >>> 0;
        else this.slabs.freeItemChunks(ref);
      }
    }
  }

  /** -o track_sizes after a restore: the histogram from the items themselves. */
  private countSizes(sizes: SizeHistogram): void {
    for (let id = 0; id < this.lists.head.length; id++) {
      for (let it = this.lists.head[id]!; it !== NIL; it = headerWord(this.words, it, W_NEXT)) {
        sizes.add(this.totalOf(it));
      }
    }
  }

  /** Where a warm restart reads page slot's bytes (memory-file.ts): in place, no copy. */
  restorePage(slot: number): Buffer | null {
    return this.slabs.restorePage(slot);
  }

  // --- introspection for tests and benchmarks ---

  /** Pages currently allocated (each 1 MiB). */
  get pagesAllocated(): number {
    return this.slabs.pageCount;
  }

  /**
   * What is wrong with the chunk accounting (store-audit.ts), or null; with no verb running in
   * any thread and no page move under way (tests).
   */
  audit(): string | null {
    this.dropReader();
    this.checkViews();
    return auditStore({
      slabs: this.slabs, buckets: this.hash.exportBuckets(), lruCount: this.lists.count, currItems: this.counters.currItems,
    });
  }

  /** Runs any pending hash expansion to completion (tests). */
  finishExpansion(): void {
    this.hash.finishExpansion();
  }
}
