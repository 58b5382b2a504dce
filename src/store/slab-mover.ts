// Page moves between slab classes (memcached's slab rebalancer in slabs.c: slab_rebalance_start,
// slab_rebalance_move, slab_rebalance_finish), for `slabs reassign`, the automover, a class that
// starves, and a lowered memory limit. One move runs at a time. Each chunk of the page leaving
// its class is, in memcached's order:
//   - free: already off the free list (Slabs.beginMove), nothing to do;
//   - an item being written, or one a reply still sends: busy, looked at again on the next step;
//   - expired or flushed: unlinked, not saved;
//   - live, and the class has a free chunk elsewhere: copied there, the index, LRU or chain
//     repointed ("rescues" for an item's head chunk, "chunk_rescues" for a chained item's
//     continuation chunk);
//   - live, and no free chunk: the item is unlinked ("evictions_nomem").
// When no chunk is busy the page goes to its new class, or to the global pool (dst 0).

import type { Slabs } from './slabs.js';
import {
  chunkOffset,
  chunkRef,
  headerWord,
  IF_CONT,
  IF_LINKED,
  IF_USED,
  META_FLAG_SHIFT,
  NIL,
  pageIndex,
  W_META,
  W_NEXT,
  wordBase,
} from './item-layout.js';

/** memcached's SLAB_MOVE_MAX_LOOPS: busy passes before items a reply holds are unlinked. */
const MAX_BUSY_LOOPS = 1000;

/** What page moves need from the item layer. */
export interface MoverHooks {
  /** Unlinks a linked item (its head chunk) from the index and its LRU and frees its chunks. */
  unlinkItem(head: number): void;
  /** An item a running verb still reads, or a zero-copy reply still sends: its chunks stay. */
  isPinned(head: number): boolean;
  /** Expired or flushed. */
  isDead(head: number): boolean;
  /** Items linked in a class, all LRU segments. */
  itemsInClass(cls: number): number;
  /** A chunk's bytes were copied from oldRef to newRef: repoint whatever named oldRef. */
  relocate(oldRef: number, newRef: number): void;
}

export class SlabMover {
  // memcached's slab_reassign_* and slabs_moved stats, cumulative
  rescues = 0;
  chunkRescues = 0;
  evictionsNomem = 0;
  busyItems = 0;
  busyDeletes = 0;
  slabsMoved = 0;

  private readonly slabs: Slabs;
  private readonly hooks: MoverHooks;
  private readonly evictionsDisabled: boolean;
  private dst = 0;
  private busyLoops = 0;
  /** slabs_reassign_pick_any's rotating start. */
  private pickCursor = 0;

  constructor(slabs: Slabs, hooks: MoverHooks, evictionsDisabled: boolean) {
    this.slabs = slabs;
    this.hooks = hooks;
    this.evictionsDisabled = evictionsDisabled;
  }

  /** slab_reassign_running. */
  get running(): boolean {
    return this.slabs.movingPage !== -1;
  }

  /** `slabs reassign <src> <dst>` (src -1: any class with a spare page): the reply line. */
  reassign(src: number, dst: number): string {
    const largest = this.slabs.largest;
    if (this.running) return 'BUSY currently processing reassign request';
    if (src === dst) return 'SAME src and dst class are identical';
    if (src === -1) src = this.pickAny(dst);
    if (src < 0 || src > largest || dst < 0 || dst > largest) return 'BADCLASS invalid src or dst class id';
    if (this.slabs.pagesOf(src) < 2) return 'NOSPARE source class has no spare pages';
    this.start(this.slabs.pickPage(src, false), dst);
    return 'OK';
  }

  /** Each class once, from where the last pick stopped: one with more than one page, or -1. */
  private pickAny(dst: number): number {
    const largest = this.slabs.largest;
    for (let tries = largest; tries > 0; tries--) {
      this.pickCursor = this.pickCursor >= largest ? 1 : this.pickCursor + 1;
      if (this.pickCursor !== dst && this.slabs.pagesOf(this.pickCursor) > 1) return this.pickCursor;
    }
    return -1;
  }

  /** Starts moving page to dst and does what can be done at once. */
  private start(page: number, dst: number): boolean {
    if (page < 0) return false;
    this.slabs.beginMove(page);
    this.dst = dst;
    this.busyLoops = 0;
    return this.step();
  }

  /**
   * When cls cannot evict its own items (it has none, or -M forbids evicting), a page from
   * another class: with -M only an empty one, else one from the class with the most pages.
   * True when the page arrived.
   */
  stealFor(cls: number): boolean {
    if (this.running && !this.step()) return false;
    const slabs = this.slabs;
    if (this.evictionsDisabled) {
      for (let c = 1; c <= slabs.largest; c++) {
        if (c === cls || slabs.pagesOf(c) === 0) continue;
        const page = slabs.pickPage(c, true);
        if (page >= 0) return this.start(page, cls);
      }
      return false;
    }
    if (this.hooks.itemsInClass(cls) > 0) return false;
    let src = 0;
    for (let c = 1; c <= slabs.largest; c++) {
      if (c !== cls && slabs.pagesOf(c) > (src === 0 ? 1 : slabs.pagesOf(src))) src = c;
    }
    if (src === 0) {
      for (let c = 1; c <= slabs.largest; c++) if (c !== cls && slabs.pagesOf(c) > 0) src = c;
    }
    return src !== 0 && this.start(slabs.pickPage(src, false), cls);
  }

  /** Above a lowered memory limit: moves the least used page to the pool, which frees it. */
  shrinkStep(): void {
    if (this.running || this.slabs.mallocedBytes <= this.slabs.memLimit) return;
    this.start(this.slabs.pickLeastUsedPage(), 0);
  }

  /** One pass over the moving page; true when the move finished (or none was running). */
  step(): boolean {
    const slabs = this.slabs;
    const page = slabs.movingPage;
    if (page === -1) return true;
    const cls = slabs.classOfPage(page);
    if (cls !== 0 && slabs.usedChunksOf(page) > 0 && (!this.emptyPage(page, cls) || slabs.usedChunksOf(page) > 0)) {
      return false;
    }
    slabs.finishMove(this.dst);
    this.slabsMoved++;
    return true;
  }

  /** Rescues or unlinks every item of page; false while some chunk is busy. */
  private emptyPage(page: number, cls: number): boolean {
    const slabs = this.slabs;
    const hooks = this.hooks;
    const size = slabs.chunkSize[cls]!;
    const per = slabs.perSlab[cls]!;
    const w = slabs.words[page]!;
    const buf = slabs.pages[page]!;
    let busy = 0;
    for (let i = 0; i < per; i++) {
      const ref = chunkRef(page, i * size);
      const b = wordBase(ref);
      const flags = w[b + W_META]! >>> META_FLAG_SHIFT;
      if ((flags & IF_USED) === 0) continue;
      const isCont = (flags & IF_CONT) !== 0;
      const head = isCont ? w[b + W_NEXT]! : ref;
      const headFlags = headerWord(slabs.words, head, W_META) >>> META_FLAG_SHIFT;
      if ((headFlags & IF_LINKED) === 0) {
        // being written, or unlinked while a reply still sends it: it bleeds off on its own
        busy++;
        continue;
      }
      if (hooks.isPinned(head)) {
        if (this.busyLoops > MAX_BUSY_LOOPS) {
          // freed at its last unpin, which clears the chunk
          this.busyDeletes++;
          hooks.unlinkItem(head);
        }
        busy++;
        continue;
      }
      if (hooks.isDead(head)) {
        hooks.unlinkItem(head);
        continue;
      }
      const to = slabs.takeChunk(cls, true);
      if (to === NIL) {
        this.evictionsNomem++;
        hooks.unlinkItem(head);
        continue;
      }
      const off = chunkOffset(ref);
      buf.copy(slabs.pages[pageIndex(to)]!, chunkOffset(to), off, off + size);
      hooks.relocate(ref, to);
      slabs.clearMovedChunk(ref, cls);
      if (isCont) this.chunkRescues++;
      else this.rescues++;
    }
    if (busy === 0) return true;
    this.busyItems += busy;
    this.busyLoops++;
    return false;
  }

  /** `stats reset`. */
  resetStats(): void {
    this.rescues = 0;
    this.chunkRescues = 0;
    this.evictionsNomem = 0;
    this.busyItems = 0;
    this.busyDeletes = 0;
    this.slabsMoved = 0;
  }
}
