// The one owner of a value block being read (memcached's conn_nread / conn_swallow): which item
// the bytes go to, how many are still to come, where the next one lands, the "\r\n" a text
// block ends with, and whether the block is thrown away. The session owns one; the text, meta
// and binary front ends start it, feed it their input, and finish the command once it is
// complete.

import type { ItemRef, Store } from '../store/store.js';

/** A value with at least this much still to come is read straight into its item. */
export const DIRECT_READ_MIN = 8 * 1024;

const CH_CR = 0x0d;
const CH_LF = 0x0a;
const NO_ITEM = -1;

export class ValueSink {
  private readonly store: Store;
  /** The item the bytes are written to; NO_ITEM when they are not stored. */
  private ref!: ItemRef;
  /** Value bytes still to come, not counting the trailer. */
  private left!: number;
  /** Value bytes written so far (the item offset of the next one). */
  private offset!: number;
  /** Bytes of the trailing \r\n still to come (0 for binary values). */
  private trailerLeft!: number;
  /** The item keeps the \r\n after its value (text and meta): a direct read takes it too. */
  private hasCrlf!: boolean;
  /** False once a trailer byte was not the expected \r or \n (memcached's "bad data chunk"). */
  isTrailerOk!: boolean;
  /** The block is read and dropped (conn_swallow), not stored. */
  isSwallowing!: boolean;
  /** A block was started and is not complete yet. */
  isActive!: boolean;

  constructor(store: Store) {
    this.store = store;
    this.clear();
  }

  /**
   * A block of len value bytes, then "\r\n" when withCrlf. ref < 0: the bytes are not stored;
   * the caller takes them from its input as consume() reports them (binary SASL data).
   */
  start(ref: ItemRef, len: number, withCrlf: boolean): void {
    this.ref = ref;
    this.left = len;
    this.offset = 0;
    this.hasCrlf = withCrlf;
    this.trailerLeft = withCrlf ? 2 : 0;
    this.isTrailerOk = true;
    this.isSwallowing = false;
    this.isActive = true;
  }

  /** A block of len bytes (and "\r\n" when withCrlf) to read and drop. */
  swallow(len: number, withCrlf: boolean): void {
    this.start(NO_ITEM, len, withCrlf);
    this.isSwallowing = true;
  }

  /** Value bytes still to come (0 once only the trailer, or nothing, is left). */
  get valueLeft(): number {
    return this.left;
  }

  /** Whether the value and its trailer are all in: finish() then hands the item over. */
  get isComplete(): boolean {
    return this.isActive && this.left === 0 && this.trailerLeft === 0;
  }

  /**
   * Takes what belongs to the block from buf[start, end): value bytes are copied into the item
   * (unless isInPlace: they were read straight into it, see directTarget), trailer bytes are
   * checked. Returns how many bytes it took.
   */
  consume(buf: Buffer, start: number, end: number, isInPlace: boolean): number {
    let pos = start;
    const want = this.left;
    if (want > 0) {
      const n = end - pos < want ? end - pos : want;
      if (this.ref >= 0 && !isInPlace) this.store.writeValue(this.ref, this.offset, buf, pos, n);
      this.offset += n;
      this.left = want - n;
      pos += n;
      if (this.left > 0) return pos - start;
    }
    while (this.trailerLeft > 0 && pos < end) {
      const b = buf[pos++];
      if (b !== (this.trailerLeft === 2 ? CH_CR : CH_LF)) this.isTrailerOk = false;
      this.trailerLeft--;
    }
    return pos - start;
  }

  /** Ends a complete block: the item (NO_ITEM when swallowed or not stored) is the caller's now. */
  finish(): ItemRef {
    const ref = this.ref;
    this.ref = NO_ITEM;
    this.isActive = false;
    this.isSwallowing = false;
    return ref;
  }

  /**
   * Where the rest of a large value (and its \r\n, which the item keeps) can be read to: a
   * view of the item's own memory, exactly what is still to come, so a read into it cannot
   * take bytes of the next request. null when nothing large is being stored.
   */
  directTarget(): Buffer | null {
    if (this.ref < 0 || this.left < DIRECT_READ_MIN) return null;
    return this.store.valueSlice(this.ref, this.hasCrlf, this.offset);
  }

  /** Forgets a half-read block and frees its item (UDP datagram reset, connection gone). */
  abandon(): void {
    if (this.ref >= 0) this.store.release(this.ref);
    this.clear();
  }

  private clear(): void {
    this.start(NO_ITEM, 0, false);
    this.isActive = false;
  }
}
