// A store's whole state as a warm restart (-e) saves and restores it: the item pages as they
// are, plus the few arrays that live outside them (slab free lists and carve positions, LRU
// ends and totals, hash buckets) and some scalars. Refs are page-slot numbers and offsets, not
// addresses, so pages put back in their slots need no pointer fix-up (memcached's
// restart_fixup); checkImage() walks the links once so that a damaged file is refused instead
// of sending a lookup around a cycle or off a page.

import type { SlabsImage } from './slabs.js';
import {
  CLASS_MASK,
  IF_CHAINED,
  IF_CONT,
  IF_LINKED,
  LRU_IDS,
  META_FLAG_SHIFT,
  META_LRU_SHIFT,
  NIL,
  REF_OFF_MASK,
  REF_PAGE_STRIDE,
  W_CHAIN,
  W_HASH,
  W_HNEXT,
  W_META,
  W_NEXT,
  W_PREV,
} from './item-layout.js';

export interface StoreImage {
  readonly slabs: SlabsImage;
  /** Page buffers by slot; an empty Buffer where the slot holds no page. */
  readonly pages: readonly Buffer[];
  readonly lruHead: Uint32Array;
  readonly lruTail: Uint32Array;
  readonly lruCount: Float64Array;
  readonly lruBytes: Float64Array;
  readonly buckets: Uint32Array;
  /** Unix time at which the server clock was 0. */
  readonly processStarted: number;
  /** The last cas handed out. */
  readonly casId: number;
  /** flush_all's marks (run-time settings). */
  readonly oldestLive: number;
  readonly oldestCas: number;
  readonly currItems: number;
  readonly currBytes: number;
}

/** Why an image cannot be trusted, or null when its lists and chains hold together. */
export function checkImage(image: StoreImage): string | null {
  const { slabs, pages, buckets } = image;
  const slots = slabs.pageClass.length;
  if (pages.length !== slots) return 'page count';
  const words: Uint32Array[] = [];
  for (let p = 0; p < slots; p++) {
    const page = pages[p]!;
    words.push(slabs.pageClass[p] === 0 ? new Uint32Array(0) : new Uint32Array(page.buffer, page.byteOffset, page.byteLength >>> 2));
  }
  // A linked item head: a live page, in range, flagged linked.
  const isLinkedHead = (ref: number): boolean => {
    const p = (ref / REF_PAGE_STRIDE) | 0;
    if (p >= slots || slabs.pageClass[p] === 0) return false;
    const b = (ref & REF_OFF_MASK) << 1;
    const w = words[p]!;
    if (b + W_HASH >= w.length) return false;
    return ((w[b + W_META]! >>> META_FLAG_SHIFT) & IF_LINKED) !== 0;
  };
  // Continuation chunks of a chained item: live, marked, naming their head; no cycles (a cap
  // on the steps over all items: every chunk belongs to one item).
  let live = 0;
  for (let p = 0; p < slots; p++) if (slabs.pageClass[p] !== 0) live++;
  let chainBudget = live * (REF_PAGE_STRIDE / 6);
  const isGoodChain = (head: number, first: number): boolean => {
    let ch = first;
    while (ch !== NIL) {
      if (--chainBudget < 0) return false;
      const p = (ch / REF_PAGE_STRIDE) | 0;
      if (p >= slots || slabs.pageClass[p] === 0) return false;
      const w = words[p]!;
      const b = (ch & REF_OFF_MASK) << 1;
      if (b + W_HASH >= w.length) return false;
      if (((w[b + W_META]! >>> META_FLAG_SHIFT) & IF_CONT) === 0 || w[b + W_NEXT] !== head) return false;
      ch = w[b + W_CHAIN]!;
    }
    return true;
  };
  let items = 0;
  for (let id = 0; id < LRU_IDS; id++) {
    const count = image.lruCount[id]!;
    let it = image.lruHead[id]!;
    let prev = NIL;
    let seen = 0;
    while (it !== NIL) {
      if (++seen > count || !isLinkedHead(it)) return `lru ${id}`;
      const w = words[(it / REF_PAGE_STRIDE) | 0]!;
      const b = (it & REF_OFF_MASK) << 1;
      if (w[b + W_PREV] !== prev || ((w[b + W_META]! >>> META_LRU_SHIFT) & 0xff) !== id) return `lru ${id}`;
      if (((w[b + W_META]! >>> META_LRU_SHIFT) & CLASS_MASK) === 0) return `lru ${id}`;
      if (((w[b + W_META]! >>> META_FLAG_SHIFT) & IF_CHAINED) !== 0 && !isGoodChain(it, w[b + W_CHAIN]!)) return `chained item in lru ${id}`;
      prev = it;
      it = w[b + W_NEXT]!;
    }
    if (seen !== count || image.lruTail[id] !== prev) return `lru ${id}`;
    items += seen;
  }
  if (items !== image.currItems) return 'item count';
  let chained = 0;
  for (let i = 0; i < buckets.length; i++) {
    let it = buckets[i]!;
    while (it !== NIL) {
      if (++chained > items || !isLinkedHead(it)) return 'hash chains';
      it = words[(it / REF_PAGE_STRIDE) | 0]![((it & REF_OFF_MASK) << 1) + W_HNEXT]!;
    }
  }
  if (chained !== items) return 'hash chains';
  return null;
}
