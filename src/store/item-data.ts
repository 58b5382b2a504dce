// Key and value bytes of items, in one chunk or chained across chunks of the largest class.
// A cursor remembers the last chunk reached in a chained item so that a sequential read of a
// big value (a socket writer copying it piece by piece) does not rewalk the chain.

import { BYTE_LOOP_MAX, copyBytes, copyRange, LastViewCache, NO_VIEW, WORD_COPY_MAX } from '../common/byte-copy.js';
import type { Slabs } from './slabs.js';
import {
  HDR_BYTES,
  headerWord,
  IF_CHAINED,
  keyOffset,
  META_FLAG_SHIFT,
  NIL,
  pageIndex,
  pageWords,
  W_CHAIN,
  W_META,
  W_VLEN,
  wordBase,
} from './item-layout.js';

export class ItemData {
  private readonly slabs: Slabs;
  private readonly pages: Buffer[];
  private readonly words: Uint32Array[];
  private readonly views: DataView[];
  /** DataViews of callers' buffers that come without one (the read buffer, mostly). */
  private readonly callerViews = new LastViewCache();
  private cursorRef = NIL;
  private cursorIndex = 0;
  private cursorChunk = NIL;

  constructor(slabs: Slabs) {
    this.slabs = slabs;
    this.pages = slabs.pages;
    this.words = slabs.words;
    this.views = slabs.views;
  }

  /** The item's chunks are being freed: drop the cursor if it points into them. */
  forget(ref: number): void {
    if (ref === this.cursorRef) this.cursorRef = NIL;
  }

  /** Byte capacity after the header in one chunk of a chained item. */
  chainPayload(): number {
    return this.slabs.chunkSize[this.slabs.largest]! - HDR_BYTES;
  }

  /** Chunk number index of chained item head (0 = head). */
  private chainChunk(head: number, index: number): number {
    let ref: number;
    let i: number;
    if (this.cursorRef === head && this.cursorIndex <= index) {
      ref = this.cursorChunk;
      i = this.cursorIndex;
    } else {
      ref = head;
      i = 0;
    }
    while (i < index) {
      ref = headerWord(this.words, ref, W_CHAIN);
      i++;
    }
    this.cursorRef = head;
    this.cursorIndex = index;
    this.cursorChunk = ref;
    return ref;
  }

  copyKey(ref: number, dst: Buffer, dstStart: number): number {
    const keyLen = headerWord(this.words, ref, W_META) & 0xff;
    const off = keyOffset(ref);
    const page = this.pages[pageIndex(ref)]!;
    for (let i = 0; i < keyLen; i++) dst[dstStart + i] = page[off + i]!;
    return keyLen;
  }

  /**
   * Copies value bytes out of (toItem=false) or into (toItem=true) an item. bufView: a DataView
   * of the whole of buf when the caller keeps one (else one is made when buf changes).
   */
  copy(ref: number, valueOffset: number, buf: Buffer, bufStart: number, len: number, toItem: boolean, bufView: DataView | null = null): void {
    const page = pageIndex(ref);
    const meta = this.words[page]![wordBase(ref) + W_META]!;
    const keyLen = meta & 0xff;
    if (((meta >>> META_FLAG_SHIFT) & IF_CHAINED) === 0) {
      const pageBytes = this.pages[page]!;
      const pageView = this.views[page]!;
      const off = keyOffset(ref) + keyLen + valueOffset;
      const view = bufView !== null ? bufView : len > BYTE_LOOP_MAX && len <= WORD_COPY_MAX ? this.callerViews.of(buf) : NO_VIEW;
      if (toItem) copyBytes(buf, view, bufStart, pageBytes, pageView, off, len);
      else copyBytes(pageBytes, pageView, off, buf, view, bufStart, len);
      return;
    }
    const cap = this.chainPayload();
    let s = keyLen + valueOffset; // position in the key+value stream
    while (len > 0) {
      const idx = Math.floor(s / cap);
      const within = s - idx * cap;
      const chunk = this.chainChunk(ref, idx);
      const n = Math.min(len, cap - within);
      const page = this.pages[pageIndex(chunk)]!;
      const off = keyOffset(chunk) + within;
      if (toItem) copyRange(buf, bufStart, page, off, n);
      else copyRange(page, off, buf, bufStart, n);
      bufStart += n;
      s += n;
      len -= n;
    }
  }

  /** Copies the whole value of src into dst at dstValueOffset (append/prepend). */
  copyItemValue(src: number, dst: number, dstValueOffset: number): void {
    const w = pageWords(this.words, src);
    const b = wordBase(src);
    const len = w[b + W_VLEN]!;
    const meta = w[b + W_META]!;
    if (((meta >>> META_FLAG_SHIFT) & IF_CHAINED) === 0) {
      const page = this.pages[pageIndex(src)]!;
      const off = keyOffset(src) + (meta & 0xff);
      this.copy(dst, dstValueOffset, page, off, len, true);
      return;
    }
    const tmp = Buffer.allocUnsafe(Math.min(len, 64 * 1024));
    for (let done = 0; done < len; ) {
      const n = Math.min(tmp.length, len - done);
      this.copy(src, done, tmp, 0, n, false);
      this.copy(dst, dstValueOffset + done, tmp, 0, n, true);
      done += n;
    }
  }
}
