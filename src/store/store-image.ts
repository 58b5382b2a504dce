// A store's whole state as a warm restart (-e) saves and restores it: the item pages as they
// are, plus the few arrays that live outside them (slab free lists and carve positions, LRU
// ends and totals, hash buckets) and some scalars. Refs are page-slot numbers and offsets, not
// addresses, so pages put back in their slots need no pointer fix-up (memcached's
// restart_fixup); checkImage() walks the links once so that a damaged file is refused instead
// of sending a lookup around a cycle or off a page.

import type { SlabsImage } from './slabs.js';
import {
  chunkOffset,
  CLASS_MASK,
  IF_CHAINED,
  IF_CONT,
  IF_LINKED,
  LRU_IDS,
  META_FLAG_SHIFT,
  META_LRU_SHIFT,
  NIL,
  pageIndex,
  W_CHAIN,
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

/**
 * Why an image cannot be trusted, or null. One sequential pass over the pages (following the
 * links instead would cost a cache miss per item: seconds for a full -m 1024): every link in
 * every chunk header must be NIL or the start of a chunk in a live page, so that nothing a
 * lookup, an LRU walk or a chained read follows can leave the pages; linked items are counted
 * per LRU against the saved counts, and the list ends and buckets are checked the same way.
 */
export function checkImage(image: StoreImage, chunkSize: Int32Array, perSlab: Int32Array): string | null {
  const { slabs, pages, buckets } = image;
  const slots = slabs.pageClass.length;
  if (pages.length !== slots) return 'page count';
  // A ref that starts a chunk of a live page (or NIL).
  const isChunkRef = (ref: number): boolean => {
    if (ref === NIL) return true;
    const p = pageIndex(ref);
    if (p >= slots) return false;
    const cls = slabs.pageClass[p]!;
    if (cls === 0) return false;
    const off = chunkOffset(ref);
    const size = chunkSize[cls]!;
    return off % size === 0 && off / size < perSlab[cls]!;
  };
  const counted = new Float64Array(LRU_IDS);
  for (let p = 0; p < slots; p++) {
    const cls = slabs.pageClass[p]!;
    if (cls === 0) continue;
    const size = chunkSize[cls]!;
    const per = perSlab[cls]!;
    if (size <= 0 || per <= 0) return 'slab class';
    const page = pages[p]!;
    const w = new Uint32Array(page.buffer, page.byteOffset, page.byteLength >>> 2);
    for (let i = 0; i < per; i++) {
      const b = (i * size) >>> 2;
      const meta = w[b + W_META]!;
      const flags = meta >>> META_FLAG_SHIFT;
      if ((flags & IF_CONT) !== 0) {
        if (!isChunkRef(w[b + W_NEXT]!) || !isChunkRef(w[b + W_CHAIN]!)) return 'chained item';
        continue;
      }
      if ((flags & IF_LINKED) === 0) continue;
      const id = (meta >>> META_LRU_SHIFT) & 0xff;
      if ((id & CLASS_MASK) === 0) return 'lru id';
      if (!isChunkRef(w[b + W_NEXT]!) || !isChunkRef(w[b + W_PREV]!) || !isChunkRef(w[b + W_HNEXT]!)) return 'item links';
      if ((flags & IF_CHAINED) !== 0 && !isChunkRef(w[b + W_CHAIN]!)) return 'chained item';
      counted[id]!++;
    }
  }
  let items = 0;
  for (let id = 0; id < LRU_IDS; id++) {
    if (counted[id] !== image.lruCount[id]) return `lru ${id} count`;
    if (!isChunkRef(image.lruHead[id]!) || !isChunkRef(image.lruTail[id]!)) return `lru ${id} ends`;
    items += counted[id]!;
  }
  if (items !== image.currItems) return 'item count';
  for (let i = 0; i < buckets.length; i++) if (!isChunkRef(buckets[i]!)) return 'hash buckets';
  return null;
}
