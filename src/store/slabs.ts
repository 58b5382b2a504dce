// Item memory (memcached's slabs.c): 1 MiB pages allocated lazily up to the memory limit, each
// given to one slab class and cut into that class's chunks; per-class free lists threaded
// through the chunks' NEXT word; memcached's global page pool (pages in no class); the page-level
// half of page moves (slab-mover.ts decides and rescues items) and page release when the limit
// is lowered. Every field lives in the store's shared memory (store-memory.ts): the pages in
// the page arenas, the rest in the control block; only the views over them are this object's.
// Every change to them is made under the slabs lock (store-locks.ts), taken here: the public
// methods that change state lock, the private ones expect the lock held. Reads for stats and
// page picks are unlocked (a stale count at worst).

import type { RuntimeSettings } from '../config/runtime-settings.js';
import type { Settings } from '../config/settings.js';
import { dataViewOf } from '../common/byte-copy.js';
import { computeSlabClasses, describeSlabClass, MAX_SLAB_CLASSES, SLAB_PAGE_SIZE } from './slab-classes.js';
import type { StoreMemory } from './store-memory.js';
import type { StoreLocks } from './store-locks.js';
import {
  CARVE_NEXT_AT,
  CARVE_PAGE_AT,
  CLASS_PAGES_AT,
  FREE_COUNT_AT,
  FREE_HEAD_AT,
  FREE_SLOTS_AT,
  FREE_SLOTS_DEPTH_AT,
  MALLOC_FAILS_AT,
  MOVING_PAGE_AT,
  PAGE_CLASS_AT,
  PAGE_COUNT_AT,
  PAGE_LIVE_AT,
  PAGE_SLOTS_AT,
  PAGE_SLOTS_MAX,
  PAGE_USED_AT,
  POOL_DEPTH_AT,
  POOL_PAGES_AT,
  VIEWS_EPOCH_AT,
} from './shared-layout.js';
import {
  chunkRef,
  CLASS_MASK,
  headerWord,
  IF_CHAINED,
  META_FLAG_SHIFT,
  META_LRU_SHIFT,
  NIL,
  pageIndex,
  pageWords,
  W_CHAIN,
  W_META,
  W_NEXT,
  wordBase,
} from './item-layout.js';

/**
 * What a warm restart needs besides the pages themselves (memory-file.ts writes it): per page
 * slot its class (0 = no page in the slot) and used chunks, per class the free list, the carve
 * position and the page count. Free lists run through the chunks, so they come back with the pages.
 */
export interface SlabsImage {
  readonly pageClass: Uint8Array;
  readonly pageUsed: Uint32Array;
  readonly freeHead: Uint32Array;
  readonly freeCount: Float64Array;
  readonly carvePage: Int32Array;
  readonly carveNext: Int32Array;
  readonly classPages: Float64Array;
}

export class Slabs {
  /**
   * This thread's views of the pages by slot (every slot below pageSlots, live or not: the
   * arenas never shrink); these arrays are shared with the other parts, never replaced.
   */
  readonly pages: Buffer[] = [];
  readonly words: Uint32Array[] = [];
  /** DataViews of the pages, for copies that allocate nothing (byte-copy.ts). */
  readonly views: DataView[] = [];
  readonly chunkSize = new Int32Array(MAX_SLAB_CLASSES);
  readonly perSlab = new Int32Array(MAX_SLAB_CLASSES);
  readonly largest: number;
  readonly classPages: Float64Array;
  /**
   * Bytes counted as allocated before the first page: memcached's T_MEMD_INITIAL_MALLOC test
   * hook (t/64bit.t fakes 4 GiB this way), 0 otherwise.
   */
  private readonly initialMallocedBytes: number;

  private readonly runtime: RuntimeSettings;
  private readonly memory: StoreMemory;
  private readonly locks: StoreLocks;
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  /**
   * memcached's global page pool (slab class 0): pages still allocated (in total_malloced) but
   * in no class, handed to the next class that needs a page before any new allocation. A
   * stack of page slots, POOL_DEPTH deep.
   */
  private readonly poolPages: Uint32Array;
  /** Slots whose page was given back, reused before a new slot (FREE_SLOTS_DEPTH deep). */
  private readonly freePageSlots: Uint32Array;
  private readonly pageClass: Uint8Array;
  private readonly pageLive: Uint8Array;
  private readonly pageUsed: Uint32Array;
  private readonly freeHead: Uint32Array;
  private readonly freeCount: Float64Array;
  private readonly carvePage: Int32Array;
  private readonly carveNext: Int32Array;

  constructor(settings: Settings, runtime: RuntimeSettings, memory: StoreMemory, locks: StoreLocks) {
    this.runtime = runtime;
    this.memory = memory;
    this.locks = locks;
    this.initialMallocedBytes = settings.testInitialMallocBytes;
    const geo = computeSlabClasses(settings.chunkSizeMin, settings.growthFactor, settings.slabChunkMax);
    for (let i = 1; i <= geo.largest; i++) {
      this.chunkSize[i] = geo.chunkSize[i]!;
      this.perSlab[i] = geo.perSlab[i]!;
    }
    this.largest = geo.largest;
    const control = memory.buffers.control;
    this.u32 = memory.u32;
    this.i32 = memory.i32;
    this.f64 = memory.f64;
    this.classPages = new Float64Array(control, CLASS_PAGES_AT, MAX_SLAB_CLASSES);
    this.poolPages = new Uint32Array(control, POOL_PAGES_AT, PAGE_SLOTS_MAX);
    this.freePageSlots = new Uint32Array(control, FREE_SLOTS_AT, PAGE_SLOTS_MAX);
    this.pageClass = new Uint8Array(control, PAGE_CLASS_AT, PAGE_SLOTS_MAX);
    this.pageLive = new Uint8Array(control, PAGE_LIVE_AT, PAGE_SLOTS_MAX);
    this.pageUsed = new Uint32Array(control, PAGE_USED_AT, PAGE_SLOTS_MAX);
    this.freeHead = new Uint32Array(control, FREE_HEAD_AT, MAX_SLAB_CLASSES);
    this.freeCount = new Float64Array(control, FREE_COUNT_AT, MAX_SLAB_CLASSES);
    this.carvePage = new Int32Array(control, CARVE_PAGE_AT, MAX_SLAB_CLASSES);
    this.carveNext = new Int32Array(control, CARVE_NEXT_AT, MAX_SLAB_CLASSES);
    this.syncPages();
  }

  /** Pages allocated now (each 1 MiB). */
  get pageCount(): number {
    return this.u32[PAGE_COUNT_AT >> 2]!;
  }

  private set pageCount(n: number) {
    this.u32[PAGE_COUNT_AT >> 2] = n;
  }

  /** Page slots in use, live or not (this thread's views cover them after syncPages()). */
  private get pageSlots(): number {
    return this.u32[PAGE_SLOTS_AT >> 2]!;
  }

  /** New pages that could not be allocated (malloc_fails). */
  get mallocFails(): number {
    return this.f64[MALLOC_FAILS_AT >> 3]!;
  }

  set mallocFails(n: number) {
    this.f64[MALLOC_FAILS_AT >> 3] = n;
  }

  /**
   * The page a move is emptying (slab-mover.ts), -1 when none: its chunks are never handed
   * out, and a chunk freed there is cleared for the move instead of joining the free list.
   */
  get movingPage(): number {
    return this.i32[MOVING_PAGE_AT >> 2]!;
  }

  private set movingPage(page: number) {
    this.i32[MOVING_PAGE_AT >> 2] = page;
  }

  /**
   * Takes the slabs lock, then makes views of pages other threads added: the free lists and
   * the page tables may name them.
   */
  private lockSlabs(): void {
    this.locks.lockSlabs();
    if (this.pages.length < this.pageSlots) this.addPageViews();
  }

  /** Views for the slots another Cache over the same memory added since the last call. */
  syncPages(): void {
    if (this.pages.length < this.pageSlots) this.addPageViews();
  }

  private addPageViews(): void {
    for (let p = this.pages.length; p < this.pageSlots; p++) {
      const buf = this.memory.pageView(p);
      this.pages.push(buf);
      this.words.push(new Uint32Array(buf.buffer, buf.byteOffset, SLAB_PAGE_SIZE >>> 2));
      this.views.push(dataViewOf(buf));
    }
  }

  private get poolDepth(): number {
    return this.u32[POOL_DEPTH_AT >> 2]!;
  }

  private set poolDepth(n: number) {
    this.u32[POOL_DEPTH_AT >> 2] = n;
  }

  private popPool(): number {
    const depth = this.poolDepth - 1;
    this.poolDepth = depth;
    return this.poolPages[depth]!;
  }

  private pushPool(page: number): void {
    const depth = this.poolDepth;
    this.poolPages[depth] = page;
    this.poolDepth = depth + 1;
  }

  /** Takes page out of the pool wherever it is in the stack (a page move emptied it). */
  private unpool(page: number): void {
    const depth = this.poolDepth;
    let i = depth - 1;
    while (i >= 0 && this.poolPages[i] !== page) i--;
    if (i < 0) return;
    this.poolPages.copyWithin(i, i + 1, depth);
    this.poolDepth = depth - 1;
  }

  private pushFreeSlot(page: number): void {
    const depth = this.u32[FREE_SLOTS_DEPTH_AT >> 2]!;
    this.freePageSlots[depth] = page;
    this.u32[FREE_SLOTS_DEPTH_AT >> 2] = depth + 1;
  }

  /** A slot whose page was given back, or -1. */
  private popFreeSlot(): number {
    const depth = this.u32[FREE_SLOTS_DEPTH_AT >> 2]!;
    if (depth === 0) return -1;
    this.u32[FREE_SLOTS_DEPTH_AT >> 2] = depth - 1;
    return this.freePageSlots[depth - 1]!;
  }

  /** -m, or what cache_memlimit set since (a run-time setting). */
  get memLimit(): number {
    return this.runtime.memLimitBytes;
  }

  /** The smallest class whose chunk holds total bytes; 0 if none. */
  classFor(total: number): number {
    for (let c = 1; c <= this.largest; c++) if (total <= this.chunkSize[c]!) return c;
    return 0;
  }

  /** Page index of a slot that holds a page now (for walkers): false once released. */
  isLive(page: number): boolean {
    return this.pageLive[page] === 1;
  }

  classOfPage(page: number): number {
    return this.pageClass[page]!;
  }

  /** memcached's mem_malloced: what `stats slabs` reports as total_malloced. */
  get mallocedBytes(): number {
    return this.initialMallocedBytes + this.pageCount * SLAB_PAGE_SIZE;
  }

  /** `slab_global_page_pool`: pages waiting in the global pool. */
  get globalPagePool(): number {
    return this.poolDepth;
  }

  private newPage(cls: number): boolean {
    // the pool first, as memcached's do_slabs_newslab (LIFO: its get_page_from_global_pool)
    if (this.poolDepth > 0) {
      this.assignPage(this.popPool(), cls, false);
      return true;
    }
    if (this.mallocedBytes + SLAB_PAGE_SIZE > this.memLimit) return false;
    const reused = this.popFreeSlot();
    const page = reused === -1 ? this.pageSlots : reused;
    // zeroed (by the arena's grow, or filled when the slot held a page before)
    if (this.memory.openPage(page) === null) {
      if (page >= this.memory.pageSlotsMax) return false;
      this.mallocFails++;
      if (reused !== -1) this.pushFreeSlot(reused);
      return false;
    }
    if (reused === -1) {
      this.u32[PAGE_SLOTS_AT >> 2] = page + 1;
      Atomics.add(this.u32, VIEWS_EPOCH_AT >> 2, 1);
    }
    this.syncPages();
    this.pageLive[page] = 1;
    this.pageCount++;
    this.assignPage(page, cls, true);
    return true;
  }

  /** Gives an empty page to cls: carved lazily when the class has no carve running. */
  private assignPage(page: number, cls: number, isZeroed: boolean): void {
    // chunk headers must not be read from stale bytes (another geometry)
    if (!isZeroed) this.pages[page]!.fill(0);
    this.pageClass[page] = cls;
    this.pageUsed[page] = 0;
    this.classPages[cls]!++;
    const per = this.perSlab[cls]!;
    if (this.carvePage[cls] === -1) {
      this.carvePage[cls] = page;
      this.carveNext[cls] = 0;
    } else {
      const size = this.chunkSize[cls]!;
      for (let i = per - 1; i >= 0; i--) this.pushFree(chunkRef(page, i * size), cls);
    }
  }

  private pushFree(ref: number, cls: number): void {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref);
    w[b + W_META] = cls << META_LRU_SHIFT;
    w[b + W_NEXT] = this.freeHead[cls]!;
    this.freeHead[cls] = ref;
    this.freeCount[cls]!++;
  }

  /**
   * A free chunk of cls (free list, the page being carved, then a new page unless noNewPage:
   * memcached's SLABS_ALLOC_NO_NEWPAGE, for rescues) without evicting, or NIL.
   */
  takeChunk(cls: number, noNewPage = false): number {
    this.lockSlabs();
    const ref = this.takeChunkLocked(cls, noNewPage);
    this.locks.unlockSlabs();
    return ref;
  }

  private takeChunkLocked(cls: number, noNewPage: boolean): number {
    let ref = this.freeHead[cls]!;
    if (ref !== NIL) {
      this.freeHead[cls] = headerWord(this.words, ref, W_NEXT);
      this.freeCount[cls]!--;
    } else {
      let page = this.carvePage[cls]!;
      if (page === -1) {
        if (noNewPage || !this.newPage(cls)) return NIL;
        page = this.carvePage[cls]!;
        if (page === -1) return this.takeChunkLocked(cls, noNewPage);
      }
      const i = this.carveNext[cls]!;
      ref = chunkRef(page, i * this.chunkSize[cls]!);
      if (i + 1 >= this.perSlab[cls]!) this.carvePage[cls] = -1;
      else this.carveNext[cls] = i + 1;
    }
    this.pageUsed[pageIndex(ref)]!++;
    return ref;
  }

  freeChunk(ref: number, cls: number): void {
    this.lockSlabs();
    this.freeChunkLocked(ref, cls);
    this.locks.unlockSlabs();
  }

  private freeChunkLocked(ref: number, cls: number): void {
    const page = pageIndex(ref);
    if (page === this.movingPage) {
      this.clearChunk(ref, cls);
      return;
    }
    this.pageUsed[page]!--;
    this.pushFree(ref, cls);
    if (this.pageUsed[page] === 0 && this.mallocedBytes > this.memLimit) this.releasePage(page);
  }

  /** Frees every chunk of an item that is not linked (head chunk ref). */
  freeItemChunks(ref: number): void {
    const w = pageWords(this.words, ref);
    const b = wordBase(ref);
    const meta = w[b + W_META]!;
    const cls = (meta >>> META_LRU_SHIFT) & CLASS_MASK;
    let chain = (meta >>> META_FLAG_SHIFT) & IF_CHAINED ? w[b + W_CHAIN]! : NIL;
    this.lockSlabs();
    this.freeChunkLocked(ref, cls);
    while (chain !== NIL) {
      const next = headerWord(this.words, chain, W_CHAIN);
      this.freeChunkLocked(chain, this.largest);
      chain = next;
    }
    this.locks.unlockSlabs();
  }

  /** Chunks not handed out yet: the free list plus what is left of the page being carved. */
  freeChunksOf(cls: number): number {
    const carve = this.carvePage[cls] === -1 ? 0 : this.perSlab[cls]! - this.carveNext[cls]!;
    return this.freeCount[cls]! + carve;
  }

  /** Detaches an empty page from its class (its free chunks leave the free list). */
  private detachPage(page: number): void {
    const cls = this.pageClass[page]!;
    this.unlistFreeChunks(page, cls);
    this.classPages[cls]!--;
  }

  /** Takes page's free chunks off cls's free list, and ends its carve. */
  private unlistFreeChunks(page: number, cls: number): void {
    let prev = NIL;
    let it = this.freeHead[cls]!;
    while (it !== NIL) {
      const next = headerWord(this.words, it, W_NEXT);
      if (pageIndex(it) === page) {
        if (prev === NIL) this.freeHead[cls] = next;
        else pageWords(this.words, prev)[wordBase(prev) + W_NEXT] = next;
        this.freeCount[cls]!--;
      } else prev = it;
      it = next;
    }
    if (this.carvePage[cls] === page) {
      // the chunks never carved count as used until the move clears them: none is linked
      this.carvePage[cls] = -1;
    }
  }

  private releasePage(page: number): void {
    this.detachPage(page);
    this.pageClass[page] = 0;
    this.givePageBack(page);
  }

  /** cache_memlimit: pool pages and empty pages go back at once; the mover gives back the rest. */
  setMemLimit(bytes: number): void {
    this.runtime.memLimitBytes = bytes;
    this.lockSlabs();
    this.releasePoolAboveLimit();
    for (let p = 0; p < this.pageSlots && this.mallocedBytes > this.memLimit; p++) {
      if (this.pageLive[p] === 1 && this.pageClass[p] !== 0 && this.pageUsed[p] === 0 && p !== this.movingPage) {
        this.releasePage(p);
      }
    }
    this.locks.unlockSlabs();
  }

  /** The least used page in any class (what a lowered limit gives back next); -1 if none. */
  pickLeastUsedPage(): number {
    let best = -1;
    for (let p = 0; p < this.pageSlots; p++) {
      if (this.pageLive[p] !== 1 || this.pageClass[p] === 0 || p === this.movingPage) continue;
      if (best < 0 || this.pageUsed[p]! < this.pageUsed[best]!) best = p;
    }
    return best;
  }

  /** Picks the least used page of src (0: a pool page); -1 if none. */
  pickPage(src: number, emptyOnly: boolean): number {
    if (src === 0) return this.poolDepth > 0 ? this.poolPages[this.poolDepth - 1]! : -1;
    let best = -1;
    let bestUsed = Infinity;
    for (let p = 0; p < this.pageSlots; p++) {
      if (this.pageClass[p] !== src || this.pageLive[p] !== 1 || p === this.movingPage) continue;
      const used = this.pageUsed[p]!;
      if (emptyOnly && used !== 0) continue;
      if (used < bestUsed) {
        best = p;
        bestUsed = used;
      }
    }
    return best;
  }

  // --- page moves (memcached's slab_rebalance_*; the mover in slab-mover.ts drives them) ---

  /** Chunks of page used now (allocated, linked or not). */
  usedChunksOf(page: number): number {
    return this.pageUsed[page]!;
  }

  /**
   * Starts emptying page: its free chunks leave the free list and the carve, so that nothing
   * new lands there while the mover rescues or evicts what is left.
   */
  beginMove(page: number): void {
    this.lockSlabs();
    const cls = this.pageClass[page]!;
    this.movingPage = page;
    if (cls !== 0) this.unlistFreeChunks(page, cls);
    this.locks.unlockSlabs();
  }

  /** A chunk of the moving page is empty now (rescued, or its item freed): one fewer in use. */
  clearMovedChunk(ref: number, cls: number): void {
    this.lockSlabs();
    this.clearChunk(ref, cls);
    this.locks.unlockSlabs();
  }

  private clearChunk(ref: number, cls: number): void {
    const w = pageWords(this.words, ref);
    w[wordBase(ref) + W_META] = cls << META_LRU_SHIFT;
    this.pageUsed[pageIndex(ref)]!--;
  }

  /**
   * The moving page is empty: it goes to dst, or to the global pool (dst 0), after which pool
   * pages above the memory limit are freed (memcached's memory_release).
   */
  finishMove(dst: number): void {
    this.lockSlabs();
    const page = this.movingPage;
    this.movingPage = -1;
    const src = this.pageClass[page]!;
    if (src === 0) this.unpool(page);
    else this.classPages[src]!--;
    if (dst === 0) {
      this.pageClass[page] = 0;
      this.pageUsed[page] = 0;
      this.pushPool(page);
      this.releasePoolAboveLimit();
    } else {
      this.assignPage(page, dst, false);
    }
    this.locks.unlockSlabs();
  }

  /** Gives back pool pages while more is allocated than the limit allows. */
  private releasePoolAboveLimit(): void {
    while (this.mallocedBytes > this.memLimit && this.poolDepth > 0) this.givePageBack(this.popPool());
  }

  /**
   * The slot's page no longer counts as allocated; its bytes stay in the arena (which cannot
   * shrink) until the slot is reused.
   */
  private givePageBack(page: number): void {
    this.pageLive[page] = 0;
    this.pageCount--;
    this.pushFreeSlot(page);
  }

  /** Pages of a class, 0 being the global pool. */
  pagesOf(cls: number): number {
    return cls === 0 ? this.poolDepth : this.classPages[cls]!;
  }

  /** The slab state as views of the live arrays (valid until the next allocation). */
  exportImage(): SlabsImage {
    this.syncPages();
    const slots = this.pageSlots;
    return {
      pageClass: this.pageClass.subarray(0, slots),
      pageUsed: this.pageUsed.subarray(0, slots),
      freeHead: this.freeHead,
      freeCount: this.freeCount,
      carvePage: this.carvePage,
      carveNext: this.carveNext,
      classPages: this.classPages,
    };
  }

  /**
   * Takes back a saved state into a fresh Slabs of the same geometry; pages[i] holds slot i's
   * page where image.pageClass[i] !== 0, either read into the arena already (restorePage()) or
   * to be copied there. False (nothing changed but the arena's bytes) when the image does not fit.
   */
  restoreImage(image: SlabsImage, pages: readonly Buffer[]): boolean {
    const slots = image.pageClass.length;
    if (this.pageCount !== 0 || slots > this.memory.pageSlotsMax || pages.length !== slots) return false;
    let live = 0;
    for (let p = 0; p < slots; p++) {
      const cls = image.pageClass[p]!;
      if (cls > this.largest) return false;
      if (cls === 0) continue;
      if (pages[p]!.length !== SLAB_PAGE_SIZE) return false;
      live++;
    }
    if (this.initialMallocedBytes + live * SLAB_PAGE_SIZE > this.memLimit) return false;
    if (slots > 0 && !this.memory.growPages(slots)) return false;
    for (let p = 0; p < slots; p++) {
      if (image.pageClass[p] === 0) {
        this.pushFreeSlot(p);
        continue;
      }
      if (!this.memory.isPageView(p, pages[p]!)) this.memory.pageView(p).set(pages[p]!);
      this.pageLive[p] = 1;
    }
    this.u32[PAGE_SLOTS_AT >> 2] = slots;
    Atomics.add(this.u32, VIEWS_EPOCH_AT >> 2, 1);
    this.syncPages();
    this.pageCount = live;
    this.pageClass.set(image.pageClass);
    this.pageUsed.set(image.pageUsed);
    this.freeHead.set(image.freeHead);
    this.freeCount.set(image.freeCount);
    this.carvePage.set(image.carvePage);
    this.carveNext.set(image.carveNext);
    this.classPages.set(image.classPages);
    return true;
  }

  /** Where a restore reads slot's page: its place in the arena (null: beyond the arenas). */
  restorePage(slot: number): Buffer | null {
    return this.memory.growPages(slot + 1) ? this.memory.pageView(slot) : null;
  }

  describe(each: (line: string) => void): void {
    for (let c = 1; c <= this.largest; c++) each(describeSlabClass(c, this.chunkSize[c]!, this.perSlab[c]!));
  }
}
