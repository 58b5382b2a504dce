// A consistency check of a store at rest, for tests (the thread stress test runs it after its
// threads stop): every chunk of every page in a class is either free (on its class's free
// list, or not carved yet) or part of exactly one item reachable from the hash table; every
// reachable item is linked and holds only its link's reference; the pages' used-chunk counts,
// the LRU counts and the item count agree with what the walk found.

import {
  chunkRef,
  CLASS_MASK,
  IF_CHAINED,
  IF_CONT,
  IF_LINKED,
  LRU_IDS,
  META_FLAG_SHIFT,
  META_LRU_SHIFT,
  NIL,
  pageIndex,
  pageWords,
  REF_PAGE_STRIDE,
  refsOfHeader,
  W_CHAIN,
  W_HNEXT,
  W_META,
  W_NEXT,
  wordBase,
} from './item-layout.js';
import type { Slabs } from './slabs.js';

const FREE = 1;
const IN_ITEM = 2;

export interface AuditParts {
  readonly slabs: Slabs;
  /** The hash table's buckets (no expansion running). */
  readonly buckets: Uint32Array;
  /** Items per LRU id. */
  readonly lruCount: Float64Array;
  /** curr_items as the counters have it. */
  readonly currItems: number;
}

/** What is wrong with the store's chunk accounting, or null when it all adds up. */
export function auditStore(parts: AuditParts): string | null {
  const { slabs, buckets } = parts;
  const image = slabs.exportImage();
  const words = slabs.words;
  // chunk states by page and chunk index
  const marks = new Map<number, Uint8Array>();
  const markOf = (ref: number, state: number): string | null => {
    const page = pageIndex(ref);
    const cls = image.pageClass[page];
    if (cls === undefined || cls === 0) return `ref ${ref} is in no class's page`;
    const size = slabs.chunkSize[cls]!;
    const off = (ref % REF_PAGE_STRIDE) * 8;
    if (off % size !== 0) return `ref ${ref} is not a chunk start`;
    let pageMarks = marks.get(page);
    if (pageMarks === undefined) marks.set(page, pageMarks = new Uint8Array(slabs.perSlab[cls]!));
    const i = off / size;
    if (pageMarks[i] !== 0) return `chunk ${ref} counted twice (${pageMarks[i]} then ${state})`;
    pageMarks[i] = state;
    return null;
  };
  for (let cls = 1; cls <= slabs.largest; cls++) {
    let free = 0;
    for (let it = image.freeHead[cls]!; it !== NIL; it = pageWords(words, it)[wordBase(it) + W_NEXT]!) {
      const bad = markOf(it, FREE);
      if (bad !== null) return `free list of class ${cls}: ${bad}`;
      if (++free > image.freeCount[cls]!) return `free list of class ${cls} longer than its count`;
    }
    if (free !== image.freeCount[cls]) return `free list of class ${cls}: ${free} chunks, counted ${image.freeCount[cls]}`;
    const carve = image.carvePage[cls]!;
    for (let i = carve === -1 ? slabs.perSlab[cls]! : image.carveNext[cls]!; i < slabs.perSlab[cls]!; i++) {
      const bad = markOf(chunkRef(carve, i * slabs.chunkSize[cls]!), FREE);
      if (bad !== null) return `carve of class ${cls}: ${bad}`;
    }
  }
  let items = 0;
  const perLru = new Float64Array(LRU_IDS);
  for (let bucket = 0; bucket < buckets.length; bucket++) {
    for (let it = buckets[bucket]!; it !== NIL; it = pageWords(words, it)[wordBase(it) + W_HNEXT]!) {
      const w = pageWords(words, it);
      const b = wordBase(it);
      const meta = w[b + W_META]!;
      const flags = meta >>> META_FLAG_SHIFT;
      if ((flags & (IF_LINKED | IF_CONT)) !== IF_LINKED) return `item ${it} in the hash table has flags ${flags}`;
      if (refsOfHeader(w, b) !== 1) return `item ${it} holds ${refsOfHeader(w, b)} references at rest`;
      const bad = markOf(it, IN_ITEM);
      if (bad !== null) return `hash bucket ${bucket}: ${bad}`;
      if ((flags & IF_CHAINED) !== 0) {
        for (let c = w[b + W_CHAIN]!; c !== NIL; c = pageWords(words, c)[wordBase(c) + W_CHAIN]!) {
          const badChunk = markOf(c, IN_ITEM);
          if (badChunk !== null) return `chain of item ${it}: ${badChunk}`;
        }
      }
      items++;
      perLru[(meta >>> META_LRU_SHIFT) & 0xff]!++;
    }
  }
  for (let page = 0; page < image.pageClass.length; page++) {
    const cls = image.pageClass[page]!;
    if (cls === 0 || !slabs.isLive(page)) continue;
    const pageMarks = marks.get(page) ?? new Uint8Array(slabs.perSlab[cls]!);
    let used = 0;
    for (let i = 0; i < pageMarks.length; i++) {
      if (pageMarks[i] === 0) return `chunk ${i} of page ${page} (class ${cls}) is neither free nor in a reachable item`;
      if (pageMarks[i] === IN_ITEM) used++;
    }
    if (used !== image.pageUsed[page]) return `page ${page}: ${used} chunks in items, counted ${image.pageUsed[page]}`;
  }
  for (let id = 0; id < LRU_IDS; id++) {
    if ((id & CLASS_MASK) !== 0 && perLru[id] !== parts.lruCount[id]) return `lru ${id}: ${perLru[id]} items in the hash table, counted ${parts.lruCount[id]}`;
  }
  if (items !== parts.currItems) return `${items} items in the hash table, curr_items ${parts.currItems}`;
  return null;
}
