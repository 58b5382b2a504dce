// The LRU lists: one doubly linked list per LRU id (slab class | segment, see item-layout.ts),
// linked through the NEXT/PREV header words; head = most recently linked. Ends, item counts
// and byte totals (memcached's heads, tails, sizes, sizes_bytes) are views of the store
// memory's control block.
// Primitives only: which list an item belongs in is lru-maintainer.ts's business.
// Each list is guarded by its LRU lock (store-locks.ts), taken here; the *Held methods are for
// a caller that holds it already (a tail pull walking the list). The caller also holds the
// item's lock, so an item in transit between two lists is seen by nobody.

import {
  CLASS_MASK,
  headerWord,
  LRU_COLD,
  LRU_HOT,
  LRU_IDS,
  LRU_TEMP,
  LRU_WARM,
  META_LRU_SHIFT,
  NIL,
  pageWords,
  setHeaderWord,
  W_META,
  W_NEXT,
  W_PREV,
  W_TIME,
  wordBase,
} from './item-layout.js';
import type { StoreMemory } from './store-memory.js';
import type { StoreLocks } from './store-locks.js';
import { LRU_BYTES_AT, LRU_COUNT_AT, LRU_HEAD_AT, LRU_TAIL_AT } from './shared-layout.js';

const LRU_ID_BITS = 0xff << META_LRU_SHIFT;

export class LruLists {
  readonly head: Uint32Array;
  readonly tail: Uint32Array;
  /** Items per list (memcached's sizes). */
  readonly count: Float64Array;
  /** ITEM_ntotal bytes per list (memcached's sizes_bytes): the segment limits use it. */
  readonly bytes: Float64Array;
  private readonly words: Uint32Array[];
  private readonly locks: StoreLocks;
  /** Makes views of pages another thread added (Cache.checkViews). */
  private readonly checkViews: () => void;

  constructor(memory: StoreMemory, locks: StoreLocks, words: Uint32Array[], checkViews: () => void) {
    this.locks = locks;
    this.checkViews = checkViews;
    const control = memory.buffers.control;
    this.head = new Uint32Array(control, LRU_HEAD_AT, LRU_IDS);
    this.tail = new Uint32Array(control, LRU_TAIL_AT, LRU_IDS);
    this.count = new Float64Array(control, LRU_COUNT_AT, LRU_IDS);
    this.bytes = new Float64Array(control, LRU_BYTES_AT, LRU_IDS);
    this.words = words;
  }

  /** Links ref at the head of list id and records id in the item's META. */
  link(ref: number, id: number, total: number): void {
    this.locks.lockLru(id);
    // the neighbours may be in pages another thread added
    this.checkViews();
    this.linkHeld(ref, id, total);
    this.locks.unlockLru(id);
  }

  private linkHeld(ref: number, id: number, total: number): void {
    const words = this.words;
    const w = pageWords(words, ref);
    const b = wordBase(ref);
    const head = this.head[id]!;
    w[b + W_META] = ((w[b + W_META]! & ~LRU_ID_BITS) | (id << META_LRU_SHIFT)) >>> 0;
    w[b + W_PREV] = NIL;
    w[b + W_NEXT] = head;
    if (head !== NIL) setHeaderWord(words, head, W_PREV, ref);
    else this.tail[id] = ref;
    this.head[id] = ref;
    this.count[id]!++;
    this.bytes[id]! += total;
  }

  unlink(ref: number, id: number, total: number): void {
    this.locks.lockLru(id);
    this.checkViews();
    this.unlinkHeld(ref, id, total);
    this.locks.unlockLru(id);
  }

  unlinkHeld(ref: number, id: number, total: number): void {
    const words = this.words;
    const w = pageWords(words, ref);
    const b = wordBase(ref);
    const prev = w[b + W_PREV]!;
    const next = w[b + W_NEXT]!;
    if (prev !== NIL) setHeaderWord(words, prev, W_NEXT, next);
    else this.head[id] = next;
    if (next !== NIL) setHeaderWord(words, next, W_PREV, prev);
    else this.tail[id] = prev;
    w[b + W_PREV] = NIL;
    w[b + W_NEXT] = NIL;
    this.count[id]!--;
    this.bytes[id]! -= total;
  }

  /**
   * The item at oldRef now lives at newRef (a page move copied it). Its NEXT/PREV are taken
   * from oldRef under the lock: a neighbour relinked while the bytes were copied (the mover
   * holds the item's lock, not the list's) updated oldRef, not the copy.
   */
  replace(oldRef: number, newRef: number, id: number): void {
    this.locks.lockLru(id);
    this.checkViews();
    const words = this.words;
    const ow = pageWords(words, oldRef);
    const ob = wordBase(oldRef);
    const prev = ow[ob + W_PREV]!;
    const next = ow[ob + W_NEXT]!;
    const w = pageWords(words, newRef);
    const b = wordBase(newRef);
    w[b + W_PREV] = prev;
    w[b + W_NEXT] = next;
    if (prev !== NIL) setHeaderWord(words, prev, W_NEXT, newRef);
    else if (this.head[id] === oldRef) this.head[id] = newRef;
    if (next !== NIL) setHeaderWord(words, next, W_PREV, newRef);
    else if (this.tail[id] === oldRef) this.tail[id] = newRef;
    this.locks.unlockLru(id);
  }

  /** Moves ref to the head of its own list. */
  moveToHead(ref: number, id: number, total: number): void {
    this.locks.lockLru(id);
    this.checkViews();
    this.moveToHeadHeld(ref, id, total);
    this.locks.unlockLru(id);
  }

  moveToHeadHeld(ref: number, id: number, total: number): void {
    if (this.head[id] === ref) return;
    this.unlinkHeld(ref, id, total);
    this.linkHeld(ref, id, total);
  }

  /** Moves ref from list `from` to the head of list `to` (one LRU lock at a time). */
  move(ref: number, from: number, to: number, total: number): void {
    this.unlink(ref, from, total);
    this.link(ref, to, total);
  }

  /** Takes back saved list ends and totals (a warm restart: the links are in the restored pages). */
  restore(head: Uint32Array, tail: Uint32Array, count: Float64Array, bytes: Float64Array): void {
    this.head.set(head);
    this.tail.set(tail);
    this.count.set(count);
    this.bytes.set(bytes);
  }

  /** The last access time of list id's tail item (server seconds), -1 when the list is empty. */
  tailTime(id: number): number {
    this.locks.lockLru(id);
    const tail = this.tail[id]!;
    let time = -1;
    if (tail !== NIL) {
      this.checkViews();
      time = headerWord(this.words, tail, W_TIME);
    }
    this.locks.unlockLru(id);
    return time;
  }

  /**
   * Calls each(ref) for up to limit items of list id (0: all) from its head or its tail, under
   * the list's lock: no item it is shown can be unlinked meanwhile, so each may read its bytes.
   */
  walk(id: number, fromTail: boolean, limit: number, each: (ref: number) => void): number {
    this.locks.lockLru(id);
    this.checkViews();
    let shown = 0;
    const link = fromTail ? W_PREV : W_NEXT;
    for (let it = fromTail ? this.tail[id]! : this.head[id]!; it !== NIL && (limit === 0 || shown < limit); shown++) {
      const next = headerWord(this.words, it, link);
      each(it);
      it = next;
    }
    this.locks.unlockLru(id);
    return shown;
  }

  /** Items of a slab class, all segments together. */
  itemsInClass(cls: number): number {
    const c = cls & CLASS_MASK;
    return this.count[c | LRU_HOT]! + this.count[c | LRU_WARM]! + this.count[c | LRU_COLD]! + this.count[c | LRU_TEMP]!;
  }

  /** Bytes of a slab class, all segments together (memcached's mem_requested). */
  bytesInClass(cls: number): number {
    const c = cls & CLASS_MASK;
    return this.bytes[c | LRU_HOT]! + this.bytes[c | LRU_WARM]! + this.bytes[c | LRU_COLD]! + this.bytes[c | LRU_TEMP]!;
  }
}
