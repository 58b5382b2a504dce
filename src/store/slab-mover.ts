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
//
// Threads: a move may be started by any thread (`slabs reassign`, a store that finds no chunk)
// and stepped by any; one at a time holds the mover lock, the others leave it be. Each chunk's
// item is looked at under its item lock, try-locked: a busy lock counts as a busy item, as does
// an item anyone holds a reference to besides its link (memcached's refcount check).

import { copyRange } from '../common/byte-copy.js';
import type { Slabs } from './slabs.js';
import type { StoreLocks } from './store-locks.js';
import {
  chunkOffset,
  chunkRef,
  IF_CONT,
  IF_LINKED,
  IF_USED,
  META_FLAG_SHIFT,
  NIL,
  pageIndex,
  pageWords,
  refsOfHeader,
  W_HASH,
  W_META,
  W_NEXT,
  wordBase,
} from './item-layout.js';
import {
  BG_BUSY_DELETES,
  BG_BUSY_ITEMS,
  BG_CHUNK_RESCUES,
  BG_EVICTIONS_NOMEM,
  BG_RESCUES,
  BG_SLABS_MOVED,
  MOVE_DST_AT,
} from './shared-layout.js';

/** memcached's SLAB_MOVE_MAX_LOOPS: busy passes before items a reply holds are unlinked. */
const MAX_BUSY_LOOPS = 1000;

/** What page moves need from the item layer. */
export interface MoverHooks {
  /**
   * Unlinks a linked item (its head chunk; its item lock held) from the index and its LRU and
   * drops the link's reference.
   */
  unlinkItem(head: number): void;
  /** Expired or flushed. */
  isDead(head: number): boolean;
  /** Items linked in a class, all LRU segments. */
  itemsInClass(cls: number): number;
  /** A chunk's bytes were copied from oldRef to newRef: repoint whatever named oldRef. */
  relocate(oldRef: number, newRef: number): void;
}

export class SlabMover {
  private readonly slabs: Slabs;
  private readonly hooks: MoverHooks;
  private readonly locks: StoreLocks;
  private readonly evictionsDisabled: boolean;
  /** memcached's slab_reassign_* and slabs_moved stats (the shared BG_* counters). */
  private readonly stats: Float64Array;
  /** The move's destination class, shared: the thread that steps a move may not have started it. */
  private readonly dst: Int32Array;
  private busyLoops = 0;
  /** slabs_reassign_pick_any's rotating start. */
  private pickCursor = 0;

  constructor(slabs: Slabs, locks: StoreLocks, hooks: MoverHooks, parts: { evictionsDisabled: boolean; stats: Float64Array; control: SharedArrayBuffer }) {
    this.slabs = slabs;
    this.locks = locks;
    this.hooks = hooks;
    this.evictionsDisabled = parts.evictionsDisabled;
    this.stats = parts.stats;
    this.dst = new Int32Array(parts.control, MOVE_DST_AT, 1);
  }

  /** slab_reassign_running. */
  get running(): boolean {
    return this.slabs.movingPage !== -1;
  }

  /** `slabs reassign <src> <dst>` (src -1: any class with a spare page): the reply line. */
  reassign(src: number, dst: number): string {
    if (!this.locks.tryLockMover()) return 'BUSY currently processing reassign request';
    const reply = this.reassignHeld(src, dst);
    this.locks.unlockMover();
    return reply;
  }

  private reassignHeld(src: number, dst: number): string {
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
    this.dst[0] = dst;
    this.busyLoops = 0;
    return this.stepHeld();
  }

  /**
   * When cls cannot evict its own items (it has none, or -M forbids evicting), a page from
   * another class: with -M only an empty one, else one from the class with the most pages.
   * True when the page arrived.
   */
  stealFor(cls: number): boolean {
    if (!this.locks.tryLockMover()) return false;
    const isArrived = this.stealHeld(cls);
    this.locks.unlockMover();
    return isArrived;
  }

  private stealHeld(cls: number): boolean {
    if (this.running && !this.stepHeld()) return false;
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
    if (this.running || this.slabs.mallocedBytes <= this.slabs.memLimit || !this.locks.tryLockMover()) return;
    if (!this.running) this.start(this.slabs.pickLeastUsedPage(), 0);
    this.locks.unlockMover();
  }

  /** One pass over the moving page; true when the move finished (or none was running). */
  step(): boolean {
    if (!this.locks.tryLockMover()) return false;
    const isDone = this.stepHeld();
    this.locks.unlockMover();
    return isDone;
  }

  private stepHeld(): boolean {
    const slabs = this.slabs;
    // the items of the page may have chunks in pages other threads added
    slabs.syncPages();
    const page = slabs.movingPage;
    if (page === -1) return true;
    const cls = slabs.classOfPage(page);
    if (cls !== 0 && slabs.usedChunksOf(page) > 0 && (!this.emptyPage(page, cls) || slabs.usedChunksOf(page) > 0)) {
      return false;
    }
    slabs.finishMove(this.dst[0]!);
    this.stats[BG_SLABS_MOVED]!++;
    return true;
  }

  /** Rescues or unlinks every item of page; false while some chunk is busy. */
  private emptyPage(page: number, cls: number): boolean {
    const slabs = this.slabs;
    const items = this.locks.items;
    const size = slabs.chunkSize[cls]!;
    const per = slabs.perSlab[cls]!;
    const w = slabs.words[page]!;
    let busy = 0;
    for (let i = 0; i < per; i++) {
      const ref = chunkRef(page, i * size);
      const b = wordBase(ref);
      if (((w[b + W_META]! >>> META_FLAG_SHIFT) & IF_USED) === 0) continue;
      // the head's hash names the item lock; read again under it, as the chunk may have changed
      const head = ((w[b + W_META]! >>> META_FLAG_SHIFT) & IF_CONT) !== 0 ? w[b + W_NEXT]! : ref;
      const hv = pageWords(slabs.words, head)[wordBase(head) + W_HASH]! | 0;
      if (!items.tryLock(hv)) {
        busy++;
        continue;
      }
      if (!this.moveChunk(ref, head, cls)) busy++;
      items.unlock(hv);
    }
    if (busy === 0) return true;
    this.stats[BG_BUSY_ITEMS]! += busy;
    this.busyLoops++;
    return false;
  }

  /**
   * Empties one chunk of the moving page (head: its item's head chunk, whose lock the caller
   * holds): nothing to do, rescued, or its item unlinked. False when the item is busy.
   */
  private moveChunk(ref: number, head: number, cls: number): boolean {
    const slabs = this.slabs;
    const hooks = this.hooks;
    const w = pageWords(slabs.words, ref);
    const b = wordBase(ref);
    const flags = w[b + W_META]! >>> META_FLAG_SHIFT;
    if ((flags & IF_USED) === 0) return true;
    const isCont = (flags & IF_CONT) !== 0;
    if (isCont && w[b + W_NEXT] !== head) return false;
    const hw = pageWords(slabs.words, head);
    const hb = wordBase(head);
    // not linked: being written, or unlinked while a reply still sends it: it bleeds off on its own
    if (((hw[hb + W_META]! >>> META_FLAG_SHIFT) & IF_LINKED) === 0) return false;
    if (refsOfHeader(hw, hb) !== 1) {
      if (this.busyLoops > MAX_BUSY_LOOPS) {
        // freed at its last unpin, which clears the chunk
        this.stats[BG_BUSY_DELETES]!++;
        hooks.unlinkItem(head);
      }
      return false;
    }
    if (hooks.isDead(head)) {
      hooks.unlinkItem(head);
      return true;
    }
    const to = slabs.takeChunk(cls, true);
    if (to === NIL) {
      this.stats[BG_EVICTIONS_NOMEM]!++;
      hooks.unlinkItem(head);
      return true;
    }
    const off = chunkOffset(ref);
    copyRange(slabs.pages[pageIndex(ref)]!, off, slabs.pages[pageIndex(to)]!, chunkOffset(to), slabs.chunkSize[cls]!);
    hooks.relocate(ref, to);
    slabs.clearMovedChunk(ref, cls);
    this.stats[isCont ? BG_CHUNK_RESCUES : BG_RESCUES]!++;
    return true;
  }
}
