// Replies are appended here during one read batch and handed to the socket in one write.
// Bytes handed out by take()/takeSingle() are never written again: filling goes on after them
// in the same chunk, or in another chunk. A chunk comes back for reuse only when net/ calls
// recycle(), which it does when the socket holds no queued bytes (nothing queued right after a
// write: the kernel has copied everything), so the steady state allocates no chunks at all.
//
// Chunks come from one pool shared by every connection, and go back to it at recycle(): a
// connection holds a chunk only while it has replies in the making or in the socket. So the
// replies of 500 connections are all built in the same few chunks, which stay in the CPU's
// caches, and idle connections hold no reply memory.

import { copyBytes, copyRange, dataViewOf, LastViewCache, NO_VIEW, WORD_COPY_MAX } from '../common/byte-copy.js';
import { KEY_MAX_LENGTH } from '../common/limits.js';
import { putUint32BE } from '../common/big-endian.js';

const CHUNK_BYTES = 64 * 1024;
/** A chunk with less room than this after a take is retired (a fresh one follows). */
const MIN_TAIL_BYTES = 4096;
/** Whole chunks kept in the shared pool once the sockets are done with them. */
const MAX_POOLED_CHUNKS = 32;
/** Retired chunks remembered until recycle(); past this the oldest are left to the GC. */
const MAX_LENT_CHUNKS = 8;
/** Views of a chunk's start kept by length for takeSingle() (a power of two). */
const RECENT_VIEW_SLOTS = 16;
/** Below this many bytes a JS loop beats TypedArray.set on a fresh view (and allocates nothing). */
const LOOP_COPY_MAX = 32;
const DIGITS = Buffer.alloc(20);
/** `VALUE ` + a key + three numbers of up to 20 digits with their spaces + \r\n. */
const VALUE_LINE_MAX = 6 + KEY_MAX_LENGTH + 3 * 21 + 2;

/** n's decimal digits (n a non-negative integer below 2^53) at dst[p]; returns the end. */
function putUint(dst: Buffer, p: number, n: number): number {
  if (n < 10) {
    dst[p] = 48 + n;
    return p + 1;
  }
  let i = 20;
  while (n > 0) {
    const q = Math.floor(n / 10);
    DIGITS[--i] = 48 + (n - q * 10);
    n = q;
  }
  while (i < 20) dst[p++] = DIGITS[i++]!;
  return p;
}

/**
 * DataViews of the buffers appended from (the shared read buffer, mostly): one cache for every
 * OutBuffer of this thread, which stays in the CPU's caches, rather than one per connection.
 */
const SOURCE_VIEWS = new LastViewCache();

/**
 * src[from, from + n) to dst[p] (dstView: dst's DataView): a byte loop for a few bytes (no view
 * needed), word copies up to WORD_COPY_MAX, memmove beyond.
 */
function putBytes(dst: Buffer, dstView: DataView, p: number, src: Buffer | Uint8Array, from: number, n: number): void {
  if (n <= LOOP_COPY_MAX) {
    for (let i = 0; i < n; i++) dst[p + i] = src[from + i]!;
  } else if (n <= WORD_COPY_MAX) {
    copyBytes(src, SOURCE_VIEWS.of(src), from, dst, dstView, p, n);
  } else {
    copyRange(src, from, dst, p, n);
  }
}

/**
 * Values at least this long go out as a pinned view of the slab page (Store.valueSlice) instead
 * of a copy, when the connection supports it (pinReleaser set: TCP and unix sockets).
 */
export const ZERO_COPY_MIN = 16 * 1024;

/** Releases the pin on an item whose value a zero-copy piece referenced (Store.unpin). */
export interface PinReleaser {
  unpin(ref: number): void;
}

/** Where item bytes come from (the store: Store's methods of the same names). */
export interface ItemBytes {
  valueSlice(ref: number, withCrlf: boolean): Buffer | null;
  pin(ref: number): void;
  copyValue(ref: number, valueOffset: number, dst: Buffer, dstStart: number, len: number, dstView?: DataView): void;
  copyKey(ref: number, dst: Buffer, dstStart: number): number;
}
// A connection holds no chunk until it first replies (1,000 idle connections cost nothing).
const NO_CHUNK = Buffer.alloc(0);

/** A reply chunk with what is kept with it, made once per chunk. */
class Chunk {
  readonly buf: Buffer;
  readonly view: DataView;
  /** Views of buf handed out, and where each starts (see OutBuffer.piece). */
  readonly pieces: Buffer[];
  readonly pieceStarts: Int32Array;

  constructor(buf: Buffer) {
    this.buf = buf;
    this.view = dataViewOf(buf);
    this.pieces = [];
    this.pieceStarts = new Int32Array(RECENT_VIEW_SLOTS);
  }
}

const NO_CHUNK_ENTRY = new Chunk(NO_CHUNK);

/** The pinned items a connection's zero-copy values reference. */
class PinnedRefs {
  /** Appended, not yet taken. */
  readonly pending: number[] = [];
  /** Taken, possibly still in the socket. */
  readonly taken: number[] = [];
}
/** Whole CHUNK_BYTES chunks free for any connection (LIFO: the last one used is the warmest). */
const pool: Chunk[] = [];

function takeFromPool(): Chunk {
  const c = pool.pop();
  return c !== undefined ? c : new Chunk(Buffer.allocUnsafe(CHUNK_BYTES));
}

function giveToPool(c: Chunk): void {
  if (c.buf.length === CHUNK_BYTES && pool.length < MAX_POOLED_CHUNKS) pool.push(c);
}

export class OutBuffer {
  private cur: Buffer; // the chunk being filled (always a whole chunk)
  private curView: DataView; // a DataView of cur, for copies that allocate nothing (common/byte-copy.ts)
  private curChunk: Chunk; // cur with its views
  private pos: number; // next free byte in cur
  private base: number; // cur[base, pos) is appended and not yet taken; cur[0, base) was handed out
  /** Pieces of retired chunks not yet taken, in order: empty exactly when fullBytes is 0 (no piece is empty). */
  private full: Buffer[];
  /** The array take() last handed out: emptied and kept as spareFull at recycle(). */
  private takenFull: Buffer[] | null;
  /** An empty array for `full` after the next take() (two arrays take turns: no garbage). */
  private spareFull: Buffer[] | null;
  private fullBytes: number;
  /** Retired chunks whose bytes were (or will be) handed out; null until the first. */
  private lent: Chunk[] | null;
  /**
   * Set by net/ for stream connections (which call recycle() and releaseAll()): enables
   * appendPinned. null (UDP, tests): values are copied.
   */
  pinReleaser: PinReleaser | null;
  /** Pinned refs of zero-copy values; null until the first (most connections never pin). */
  private pins: PinnedRefs | null;

  constructor() {
    this.cur = NO_CHUNK;
    this.curView = NO_VIEW;
    this.curChunk = NO_CHUNK_ENTRY;
    this.pos = 0;
    this.base = 0;
    this.full = [];
    this.takenFull = null;
    this.spareFull = null;
    this.fullBytes = 0;
    this.lent = null;
    this.pinReleaser = null;
    this.pins = null;
  }

  /** Bytes appended and not yet taken. */
  get length(): number {
    return this.fullBytes + this.pos - this.base;
  }

  /** Makes room for n contiguous bytes at cur[pos]. */
  private ensure(n: number): void {
    if (this.cur.length - this.pos >= n) return;
    if (this.pos > this.base) {
      this.full.push(this.piece(this.base, this.pos));
      this.fullBytes += this.pos - this.base;
    }
    this.retire();
    this.setCur(n > CHUNK_BYTES ? new Chunk(Buffer.allocUnsafe(n)) : takeFromPool());
  }

  /** cur is done with: remember it for recycle() if any of its bytes go (or went) out. */
  private retire(): void {
    const c = this.curChunk;
    const isUnused = this.pos === 0; // (base <= pos)
    this.setCur(NO_CHUNK_ENTRY);
    if (c === NO_CHUNK_ENTRY) return;
    if (isUnused) {
      giveToPool(c); // nothing of it was ever handed out: reusable at once
      return;
    }
    const lent = (this.lent ??= []);
    if (lent.length >= MAX_LENT_CHUNKS) lent.shift();
    lent.push(c);
  }

  /**
   * The socket holds none of the bytes handed out so far (net/ checked writableLength === 0):
   * their chunks may be filled again. Only with nothing appended since the last take.
   */
  recycle(): void {
    if (this.fullBytes !== 0 || this.pos !== this.base) return;
    const pins = this.pins;
    if (pins !== null && pins.taken.length > 0) this.releasePins(pins.taken);
    const lent = this.lent;
    if (lent !== null) while (lent.length > 0) giveToPool(lent.pop()!);
    const taken = this.takenFull;
    if (taken !== null) {
      // the socket is done with it too: a later batch of several pieces reuses the array
      taken.length = 0;
      this.spareFull = taken;
      this.takenFull = null;
    }
    const c = this.curChunk;
    this.setCur(NO_CHUNK_ENTRY);
    if (c !== NO_CHUNK_ENTRY) giveToPool(c);
  }

  /**
   * An item's value of len bytes, then its \r\n when withCrlf (text and meta; binary values
   * have none). A large one goes out as a pinned view of its slab page when the connection
   * allows it (pinReleaser set), anything else is copied.
   */
  appendValue(items: ItemBytes, ref: number, len: number, withCrlf: boolean): void {
    if (len >= ZERO_COPY_MIN && this.pinReleaser !== null) {
      const view = items.valueSlice(ref, withCrlf);
      if (view !== null) {
        items.pin(ref);
        this.appendPinned(view, ref);
        return;
      }
    }
    // Copied in chunk-sized pieces: a value need not be contiguous in the reply.
    let off = 0;
    while (off < len) {
      let room = this.cur.length - this.pos;
      if (room === 0) {
        this.ensure(len - off < CHUNK_BYTES ? len - off : CHUNK_BYTES);
        room = this.cur.length - this.pos;
      }
      const n = len - off < room ? len - off : room;
      items.copyValue(ref, off, this.cur, this.pos, n, this.curView);
      this.pos += n;
      off += n;
    }
    if (withCrlf) this.appendCrlf();
  }

  /** An item's key, read from the item (stats cachedump). */
  appendItemKey(items: ItemBytes, ref: number): void {
    this.ensure(KEY_MAX_LENGTH);
    this.pos += items.copyKey(ref, this.cur, this.pos);
  }

  /**
   * Appends a view of pinned item bytes without copying (a large value straight from its slab
   * page). The caller has pinned ref; the pin is released once the socket is done with the
   * view (recycle) or the connection is gone (releaseAll).
   */
  private appendPinned(view: Buffer, ref: number): void {
    if (this.pos > this.base) {
      this.full.push(this.piece(this.base, this.pos));
      this.fullBytes += this.pos - this.base;
      this.base = this.pos;
    }
    this.full.push(view);
    this.fullBytes += view.length;
    (this.pins ??= new PinnedRefs()).pending.push(ref);
  }

  /** The connection is gone: every pin goes, whatever the socket did with its bytes. */
  releaseAll(): void {
    const pins = this.pins;
    if (pins === null) return;
    if (pins.pending.length > 0) this.releasePins(pins.pending);
    if (pins.taken.length > 0) this.releasePins(pins.taken);
  }

  private releasePins(refs: number[]): void {
    const r = this.pinReleaser;
    while (refs.length > 0) {
      const ref = refs.pop()!;
      if (r !== null) r.unpin(ref);
    }
  }

  appendBytes(src: Buffer | Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    // Large copies need not be contiguous: fill what is left, then continue in a new chunk.
    let from = start;
    while (from < end) {
      let room = this.cur.length - this.pos;
      if (room === 0) {
        this.ensure(end - from > CHUNK_BYTES ? CHUNK_BYTES : end - from);
        room = this.cur.length - this.pos;
      }
      const take = end - from < room ? end - from : room;
      putBytes(this.cur, this.curView, this.pos, src, from, take);
      this.pos += take;
      from += take;
    }
  }

  append(src: Buffer): void {
    this.appendBytes(src, 0, src.length);
  }

  /** Latin-1 text, for rare replies (stats, errors built at run time). */
  appendAscii(text: string): void {
    this.ensure(text.length);
    this.pos += this.cur.write(text, this.pos, "latin1");
  }

  appendByte(b: number): void {
    this.ensure(1);
    this.cur[this.pos++] = b;
  }

  appendCrlf(): void {
    this.ensure(2);
    this.cur[this.pos++] = 13;
    this.cur[this.pos++] = 10;
  }

  /**
   * A get hit's header line, `VALUE <key> <flags> <bytes>[ <cas>]\r\n` (cas < 0: none), in one
   * reserved run: one room check instead of one per piece. The key is at most KEY_MAX_LENGTH.
   */
  appendValueLine(key: Buffer, keyStart: number, keyEnd: number, flags: number, bytes: number, cas: number): void {
    this.ensure(VALUE_LINE_MAX);
    const dst = this.cur;
    let p = this.pos;
    dst[p++] = 0x56; // V
    dst[p++] = 0x41; // A
    dst[p++] = 0x4c; // L
    dst[p++] = 0x55; // U
    dst[p++] = 0x45; // E
    dst[p++] = 0x20;
    putBytes(dst, this.curView, p, key, keyStart, keyEnd - keyStart);
    p += keyEnd - keyStart;
    dst[p++] = 0x20;
    p = putUint(dst, p, flags);
    dst[p++] = 0x20;
    p = putUint(dst, p, bytes);
    if (cas >= 0) {
      dst[p++] = 0x20;
      p = putUint(dst, p, cas);
    }
    dst[p++] = 13;
    dst[p++] = 10;
    this.pos = p;
  }

  /** Decimal digits of a non-negative integer below 2^53. */
  appendUint(n: number): void {
    this.ensure(20);
    this.pos = putUint(this.cur, this.pos, n);
  }

  /** Decimal digits of a uint64 (incr/decr results). */
  appendBigUint(n: bigint): void {
    if (n <= 9007199254740991n) this.appendUint(Number(n));
    else this.appendAscii(n.toString());
  }

  /** Big-endian integers for the binary protocol. */
  appendUint32(n: number): void {
    this.ensure(4);
    putUint32BE(this.cur, this.pos, n >>> 0);
    this.pos += 4;
  }

  /** 64-bit big-endian from a uint64 (binary incr/decr results). */
  appendBigUint64(n: bigint): void {
    this.ensure(8);
    this.cur.writeBigUInt64BE(n, this.pos);
    this.pos += 8;
  }

  /** Drops everything appended since a mark taken with length (quiet binary replies, UDP). */
  truncateTo(mark: number): void {
    if (mark >= this.fullBytes) {
      this.pos = this.base + mark - this.fullBytes;
      return;
    }
    // Rare: the mark is in an earlier chunk; rebuild from the kept prefix.
    const kept = this.take();
    const keep = kept === null ? [] : kept;
    let left = mark;
    for (const b of keep) {
      if (left <= 0) break;
      const n = b.length < left ? b.length : left;
      this.appendBytes(b, 0, n);
      left -= n;
    }
  }

  /** Hands over the appended bytes (one Buffer in the common case); null when empty. */
  take(): Buffer[] | null {
    if (this.pos === this.base && this.fullBytes === 0) return null;
    let out: Buffer[];
    if (this.fullBytes === 0) {
      out = [this.piece(this.base, this.pos)];
    } else {
      out = this.full;
      if (this.pos > this.base) out.push(this.piece(this.base, this.pos));
      this.takenFull = out;
      this.full = this.spareFull !== null ? this.spareFull : [];
      this.spareFull = null;
      this.fullBytes = 0;
    }
    this.afterTake();
    return out;
  }

  /**
   * The appended bytes as one Buffer when they are in one piece (the common case: no array);
   * null when empty or in several pieces (then take()).
   */
  takeSingle(): Buffer | null {
    if (this.fullBytes !== 0 || this.pos === this.base) return null;
    const b = this.piece(this.base, this.pos);
    this.afterTake();
    return b;
  }

  /**
   * cur[from, to) as a Buffer: reused when a view of that range was made of the same chunk
   * before (a view is only offsets, so handing the same one out again is safe). A batch's
   * replies come in a few shapes (a hit, a miss, STORED, a header before a zero-copy value, the
   * END after it...), so a few views serve nearly every write.
   */
  private piece(from: number, to: number): Buffer {
    const c = this.curChunk;
    const len = to - from;
    const slot = (from * 7 + len) & (RECENT_VIEW_SLOTS - 1);
    const views = c.pieces;
    const hit = views[slot];
    if (hit !== undefined && hit.length === len && c.pieceStarts[slot] === from) return hit;
    const b = this.cur.subarray(from, to);
    while (views.length < slot) views.push(NO_CHUNK);
    views[slot] = b;
    c.pieceStarts[slot] = from;
    return b;
  }

  private afterTake(): void {
    const pins = this.pins;
    if (pins !== null) while (pins.pending.length > 0) pins.taken.push(pins.pending.pop()!);
    // Filling goes on after the bytes handed out; never over them (until recycle()).
    if (this.cur.length - this.pos >= MIN_TAIL_BYTES) {
      this.base = this.pos;
      return;
    }
    this.retire(); // the next append takes a chunk from the pool
  }

  /** cur becomes c, empty (pos and base 0). */
  private setCur(c: Chunk): void {
    this.curChunk = c;
    this.cur = c.buf;
    this.curView = c.view;
    this.pos = 0;
    this.base = 0;
  }
}
