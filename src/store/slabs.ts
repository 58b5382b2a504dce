// Item memory (memcached's slabs.c): 1 MiB pages allocated lazily up to the memory limit, each
// given to one slab class and cut into that class's chunks; per-class free lists threaded
// through the chunks' NEXT word; page moves between classes (slabs reassign, the automover, a
// class that starves) and page release when the limit is lowered.

import type { RuntimeSettings } from '../config/runtime-settings.js';
import type { Settings } from '../config/settings.js';
import { dataViewOf } from '../common/byte-copy.js';
import { computeSlabClasses, describeSlabClass, MAX_SLAB_CLASSES, SLAB_PAGE_SIZE } from './slab-classes.js';
import {
  IF_CHAINED,
  IF_CONT,
  IF_LINKED,
  IF_USED,
  META_FLAG_SHIFT,
  META_LRU_SHIFT,
  CLASS_MASK,
  NIL,
  REF_OFF_MASK,
  REF_PAGE_STRIDE,
  W_CHAIN,
  W_META,
  W_NEXT,
} from './item-layout.js';

const MAX_PAGES = 32767; // refs stay below 2^32 (NIL excluded)
const EMPTY_WORDS = new Uint32Array(0);
const EMPTY_PAGE = Buffer.alloc(0);
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));

/** What page moves need from the item layer. */
export interface SlabHooks {
  /** Unlinks a linked item (its head chunk) from the index and its LRU and frees its chunks. */
  unlinkItem(head: number): void;
  /** An item a running verb still reads, or a zero-copy reply still sends: its page stays. */
  isPinned(ref: number): boolean;
  /** Items linked in a class, all LRU segments. */
  itemsInClass(cls: number): number;
}

export class Slabs {
  /** Page buffers and their Uint32Array views; these arrays are shared, never replaced. */
  readonly pages: Buffer[] = [];
  readonly words: Uint32Array[] = [];
  /** DataViews of the pages, for copies that allocate nothing (byte-copy.ts). */
  readonly views: DataView[] = [];
  readonly chunkSize = new Int32Array(MAX_SLAB_CLASSES);
  readonly perSlab = new Int32Array(MAX_SLAB_CLASSES);
  readonly largest: number;
  readonly classPages = new Float64Array(MAX_SLAB_CLASSES);
  pageCount = 0;
  /**
   * Bytes counted as allocated before the first page: memcached's T_MEMD_INITIAL_MALLOC test
   * hook (t/64bit.t fakes 4 GiB this way), 0 otherwise.
   */
  private readonly initialMallocedBytes: number;
  // counters
  mallocFails = 0;
  slabsMoved = 0;
  slabReassignEvictionsNomem = 0;

  private readonly evictionsDisabled: boolean;
  private readonly runtime: RuntimeSettings;
  private readonly hooks: SlabHooks;
  private readonly pageClass = new Uint8Array(MAX_PAGES + 1);
  private readonly pageUsed = new Uint32Array(MAX_PAGES + 1);
  private readonly freePageSlots: number[] = [];
  private readonly freeHead = new Uint32Array(MAX_SLAB_CLASSES).fill(NIL);
  private readonly freeCount = new Float64Array(MAX_SLAB_CLASSES);
  private readonly carvePage = new Int32Array(MAX_SLAB_CLASSES).fill(-1);
  private readonly carveNext = new Int32Array(MAX_SLAB_CLASSES);

  constructor(settings: Settings, runtime: RuntimeSettings, hooks: SlabHooks) {
    this.hooks = hooks;
    this.runtime = runtime;
    this.initialMallocedBytes = settings.testInitialMallocBytes;
    this.evictionsDisabled = settings.evictionsDisabled;
    const geo = computeSlabClasses(settings.chunkSizeMin, settings.growthFactor, settings.slabChunkMax);
    for (let i = 1; i <= geo.largest; i++) {
      this.chunkSize[i] = geo.chunkSize[i]!;
      this.perSlab[i] = geo.perSlab[i]!;
    }
    this.largest = geo.largest;
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
    return this.pages[page] !== EMPTY_PAGE;
  }

  classOfPage(page: number): number {
    return this.pageClass[page]!;
  }

  /** memcached's mem_malloced: what `stats slabs` reports as total_malloced. */
  get mallocedBytes(): number {
    return this.initialMallocedBytes + this.pageCount * SLAB_PAGE_SIZE;
  }

  private newPage(cls: number): boolean {
    if (this.mallocedBytes + SLAB_PAGE_SIZE > this.memLimit) return false;
    let page: number;
    if (this.freePageSlots.length > 0) page = this.freePageSlots.pop()!;
    else {
      if (this.pages.length > MAX_PAGES) return false;
      page = this.pages.length;
      this.pages.push(EMPTY_PAGE);
      this.words.push(EMPTY_WORDS);
      this.views.push(EMPTY_VIEW);
    }
    let buf: Buffer;
    try {
      // Zeroed by the allocator (calloc: fresh mmap pages are zero already), so no fill pass.
      buf = Buffer.alloc(SLAB_PAGE_SIZE);
    } catch {
      this.mallocFails++;
      this.freePageSlots.push(page);
      return false;
    }
    this.pages[page] = buf;
    this.words[page] = new Uint32Array(buf.buffer, buf.byteOffset, SLAB_PAGE_SIZE >>> 2);
    this.views[page] = dataViewOf(buf);
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
      for (let i = per - 1; i >= 0; i--) this.pushFree(page * REF_PAGE_STRIDE + ((i * size) >>> 3), cls);
    }
  }

  private pushFree(ref: number, cls: number): void {
    const w = this.words[(ref / REF_PAGE_STRIDE) | 0]!;
    const b = (ref & REF_OFF_MASK) << 1;
    w[b + W_META] = cls << META_LRU_SHIFT;
    w[b + W_NEXT] = this.freeHead[cls]!;
    this.freeHead[cls] = ref;
    this.freeCount[cls]!++;
  }

  /** A free chunk of cls (free list, the page being carved, a new page) without evicting, or NIL. */
  takeChunk(cls: number): number {
    let ref = this.freeHead[cls]!;
    if (ref !== NIL) {
      this.freeHead[cls] = this.words[(ref / REF_PAGE_STRIDE) | 0]![((ref & REF_OFF_MASK) << 1) + W_NEXT]!;
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

  freeChunk(ref: number, cls: number): void {
    const page = (ref / REF_PAGE_STRIDE) | 0;
    this.pageUsed[page]!--;
    this.pushFree(ref, cls);
    if (this.pageUsed[page] === 0 && this.mallocedBytes > this.memLimit) this.releasePage(page);
  }

  /** Frees every chunk of an item that is not linked (head chunk ref). */
  freeItemChunks(ref: number): void {
    const w = this.words[(ref / REF_PAGE_STRIDE) | 0]!;
    const b = (ref & REF_OFF_MASK) << 1;
    const meta = w[b + W_META]!;
    const cls = (meta >>> META_LRU_SHIFT) & CLASS_MASK;
    let chain = (meta >>> META_FLAG_SHIFT) & IF_CHAINED ? w[b + W_CHAIN]! : NIL;
    this.freeChunk(ref, cls);
    while (chain !== NIL) {
      const next = this.words[(chain / REF_PAGE_STRIDE) | 0]![((chain & REF_OFF_MASK) << 1) + W_CHAIN]!;
      this.freeChunk(chain, this.largest);
      chain = next;
    }
  }

  /** Chunks not handed out yet: the free list plus what is left of the page being carved. */
  freeChunksOf(cls: number): number {
    const carve = this.carvePage[cls] === -1 ? 0 : this.perSlab[cls]! - this.carveNext[cls]!;
    return this.freeCount[cls]! + carve;
  }

  /** Unlinks and frees every item with a chunk in page; false when an item there is in use. */
  private evacuatePage(page: number, evictOnly: boolean): boolean {
    const cls = this.pageClass[page]!;
    const size = this.chunkSize[cls]!;
    const per = this.perSlab[cls]!;
    const w = this.words[page]!;
    const hooks = this.hooks;
    // first pass: refuse busy pages (allocated but not linked yet, or pinned)
    for (let i = 0; i < per; i++) {
      const ref = page * REF_PAGE_STRIDE + ((i * size) >>> 3);
      const flags = w[((ref & REF_OFF_MASK) << 1) + W_META]! >>> META_FLAG_SHIFT;
      if ((flags & IF_USED) === 0) continue;
      const head = (flags & IF_CONT) !== 0 ? w[((ref & REF_OFF_MASK) << 1) + W_NEXT]! : ref;
      if (hooks.isPinned(head)) return false;
      const hw = this.words[(head / REF_PAGE_STRIDE) | 0]!;
      if (((hw[((head & REF_OFF_MASK) << 1) + W_META]! >>> META_FLAG_SHIFT) & IF_LINKED) === 0) return false;
      if (evictOnly) return false;
    }
    for (let i = 0; i < per; i++) {
      const ref = page * REF_PAGE_STRIDE + ((i * size) >>> 3);
      const flags = w[((ref & REF_OFF_MASK) << 1) + W_META]! >>> META_FLAG_SHIFT;
      if ((flags & IF_USED) === 0) continue;
      const head = (flags & IF_CONT) !== 0 ? w[((ref & REF_OFF_MASK) << 1) + W_NEXT]! : ref;
      this.slabReassignEvictionsNomem++;
      this.hooks.unlinkItem(head);
    }
    return true;
  }

  /** Detaches an empty page from its class (its free chunks leave the free list). */
  private detachPage(page: number): void {
    const cls = this.pageClass[page]!;
    let prev = NIL;
    let it = this.freeHead[cls]!;
    while (it !== NIL) {
      const next = this.words[(it / REF_PAGE_STRIDE) | 0]![((it & REF_OFF_MASK) << 1) + W_NEXT]!;
      if (((it / REF_PAGE_STRIDE) | 0) === page) {
        if (prev === NIL) this.freeHead[cls] = next;
        else this.words[(prev / REF_PAGE_STRIDE) | 0]![((prev & REF_OFF_MASK) << 1) + W_NEXT] = next;
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
    this.views[page] = EMPTY_VIEW;
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
    this.assignPage(page, dst, false);
    this.slabsMoved++;
    return true;
  }

  /** When cls cannot evict its own items (none, or -M), takes a page from the class with most. */
  stealPage(cls: number): boolean {
    if (this.evictionsDisabled) {
      for (let c = 1; c <= this.largest; c++) {
        if (c !== cls && this.classPages[c]! > 0 && this.movePage(c, cls, true)) return true;
      }
      return false;
    }
    if (this.hooks.itemsInClass(cls) > 0) return false;
    let src = 0;
    for (let c = 1; c <= this.largest; c++) {
      if (c !== cls && this.classPages[c]! > (src === 0 ? 1 : this.classPages[src]!)) src = c;
    }
    if (src === 0) {
      for (let c = 1; c <= this.largest; c++) if (c !== cls && this.classPages[c]! > 0) src = c;
    }
    return src !== 0 && this.movePage(src, cls, false);
  }

  /** cache_memlimit: empty pages go back at once; shrinkStep gives back the rest page by page. */
  setMemLimit(bytes: number): void {
    this.runtime.memLimitBytes = bytes;
    for (let p = 0; p < this.pages.length && this.mallocedBytes > this.memLimit; p++) {
      if (this.pages[p] !== EMPTY_PAGE && this.pageUsed[p] === 0) this.releasePage(p);
    }
  }

  /** Evacuates one page while above the limit (after cache_memlimit lowered it). */
  shrinkStep(): void {
    if (this.mallocedBytes <= this.memLimit) return;
    let best = -1;
    for (let p = 0; p < this.pages.length; p++) {
      if (this.pages[p] === EMPTY_PAGE) continue;
      if (best < 0 || this.pageUsed[p]! < this.pageUsed[best]!) best = p;
    }
    if (best < 0) return;
    if (this.pageUsed[best] !== 0 && !this.evacuatePage(best, false)) return;
    if (this.pages[best] !== EMPTY_PAGE) this.releasePage(best);
  }

  /** `slabs reassign <src> <dst>` result line. */
  reassign(src: number, dst: number): string {
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

  describe(each: (line: string) => void): void {
    for (let c = 1; c <= this.largest; c++) each(describeSlabClass(c, this.chunkSize[c]!, this.perSlab[c]!));
  }
}
