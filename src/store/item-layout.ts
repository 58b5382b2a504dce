// Where an item lives and how its chunk is laid out. Item identity (ItemRef) is a number:
//
//   ref = page * REF_PAGE_STRIDE + (byte offset of the chunk in its page) / 8
//
// Chunk sizes are multiples of 8 (memcached's CHUNK_ALIGN_BYTES), so refs are dense and a ref
// converts to a word index of the page's Uint32Array view with a mask and a shift.
//
// Chunk header, 12 little-endian uint32 words (48 bytes, memcached's sizeof(item)):
//
//   word  0 NEXT   LRU link toward the tail  | free list next (free chunk) | head ref (continuation)
//   word  1 PREV   LRU link toward the head
//   word  2 HNEXT  hash chain link
//   word  3 TIME   last access, server-relative seconds
//   word  4 EXP    exptime, server-relative seconds (0 = never)
//   word  5 VLEN   value length without the trailing \r\n
//   word  6 FLAGS  client flags (uint32)
//   word  7 CASLO  cas, low 32 bits
//   word  8 CASHI  bits 0-20 cas, high bits (cas stays below 2^53); bits 21-31 reference count
//   word  9 META   bits 0-7 key length, 8-15 LRU id, 16-31 item flags (IF_*)
//   word 10 CHAIN  next chunk of a chained (large) item, NIL otherwise
//   word 11 HASH   murmur3 of the key (chain compares and rehash without rereading keys)
//
// then the key bytes, then the value bytes, then "\r\n" (memcached's layout). Items larger than
// the largest chunk are chained across chunks of the largest class: the head chunk holds the
// header, the key and the start of the value; continuation chunks repeat the 48-byte header
// region (META marks them IF_CONT, NEXT names the head) and carry the rest of the value.

// The LRU id is memcached's slabs_clsid: the slab class (bits 8-13, 1..63) plus the LRU segment
// (bits 14-15: HOT 0, WARM 64, COLD 128, TEMP 192). Free and continuation chunks carry the
// class only. Flat mode (-o no_lru_maintainer) keeps every item in COLD, as memcached does.

export const NIL = 0xffffffff;
export const REF_PAGE_STRIDE = 131072; // 1 MiB / 8
export const REF_OFF_MASK = REF_PAGE_STRIDE - 1;

export const W_NEXT = 0;
export const W_PREV = 1;
export const W_HNEXT = 2;
export const W_TIME = 3;
export const W_EXP = 4;
export const W_VLEN = 5;
export const W_FLAGS = 6;
export const W_CASLO = 7;
export const W_CASHI = 8;
export const W_META = 9;
export const W_CHAIN = 10;
export const W_HASH = 11;

export const HDR_BYTES = 48;

// Item flags (META bits 16-31). The first four equal store.ts ItemBit.
export const IF_FETCHED = 1;
export const IF_STALE = 2;
export const IF_TOKEN = 4;
export const IF_KEY_BINARY = 8;
export const ITEM_BITS_MASK = 15; // the ItemBit part
export const IF_LINKED = 16; // in the hash index and an LRU
export const IF_ACTIVE = 32; // hit twice: survives one pass of the eviction scan
export const IF_CHAINED = 64; // head of a chained item
export const IF_CONT = 128; // continuation chunk of a chained item
export const IF_USED = 256; // chunk holds an item (allocated, maybe not linked yet)

// The reference count in CASHI (memcached's refcount, docs/threads.md "The item header"): the
// hash link holds one, an allocated item not linked yet one for its writer, a zero-copy reply
// one until sent. Taken under the item lock, dropped anywhere; whoever drops it to 0 frees
// the chunks. Writes of the CAS bits keep the count bits (Cache.setCas).
export const REFS_SHIFT = 21;
export const REF_ONE = 1 << REFS_SHIFT;
export const CAS_HI_MASK = REF_ONE - 1;
/** The count's ceiling: a reader that would pass it copies the value instead. */
export const REFS_MAX = 2047;

export const META_FLAG_SHIFT = 16;
export const META_LRU_SHIFT = 8;

export const LRU_HOT = 0;
export const LRU_WARM = 64;
export const LRU_COLD = 128;
export const LRU_TEMP = 192;
/** LRU ids: class | segment. */
export const LRU_IDS = 256;
export const CLASS_MASK = 63;
export const SEGMENT_MASK = 192;

/** memcached's ITEM_ntotal for these fields (what `bytes`, mem_requested and `me size=` count). */
export function mcItemTotal(keyLen: number, valueLen: number, flags: number, casEnabled: boolean): number {
  return 48 + keyLen + 1 + (flags !== 0 ? 4 : 0) + valueLen + 2 + (casEnabled ? 8 : 0);
}

// Header accessors: the ref arithmetic above, written once, here. Small enough for V8 to inline;
// the composite ones spell the arithmetic out rather than call the others, so a hot verb that
// uses many of them spends less of TurboFan's inlining budget (one inlined call, not three).
// For the same reason they write REF_PAGE_STRIDE (2^17) and REF_OFF_MASK as literals: a module
// constant costs every inlined copy a load and a hole check (five bytes of bytecode each, which
// the budget counts); item-layout.test.ts checks the literals against the constants.

/** Index of the ref's page in the page and word arrays. */
export function pageIndex(ref: number): number {
  return ref >>> 17;
}

/** Index of the chunk's first header word in its page's Uint32Array (add a W_* field). */
export function wordBase(ref: number): number {
  return (ref & 0x1ffff) << 1;
}

/** Byte offset of the chunk in its page. */
export function chunkOffset(ref: number): number {
  return (ref & 0x1ffff) << 3;
}

/** Byte offset of the item's key in its page (the value follows the key; 48 = HDR_BYTES). */
export function keyOffset(ref: number): number {
  return ((ref & 0x1ffff) << 3) + 48;
}

/** The ref of the chunk at byte offset chunkOff of page. */
export function chunkRef(page: number, chunkOff: number): number {
  return page * REF_PAGE_STRIDE + (chunkOff >>> 3);
}

/** The Uint32Array view of ref's page (index it with wordBase(ref) + a W_* field). */
export function pageWords(words: readonly Uint32Array[], ref: number): Uint32Array {
  return words[ref >>> 17]!;
}

/** One header word (a W_* field) of ref's chunk. */
export function headerWord(words: readonly Uint32Array[], ref: number, field: number): number {
  return words[ref >>> 17]![((ref & 0x1ffff) << 1) + field]!;
}

/** The cas of the item whose header starts at w[b] (without the reference count). */
export function casOfHeader(w: Uint32Array, b: number): number {
  return (w[b + W_CASHI]! & CAS_HI_MASK) * 4294967296 + w[b + W_CASLO]!;
}

/** The reference count of the item whose header starts at w[b]. */
export function refsOfHeader(w: Uint32Array, b: number): number {
  return w[b + W_CASHI]! >>> REFS_SHIFT;
}

export function setHeaderWord(words: readonly Uint32Array[], ref: number, field: number, value: number): void {
  words[ref >>> 17]![((ref & 0x1ffff) << 1) + field] = value;
}
