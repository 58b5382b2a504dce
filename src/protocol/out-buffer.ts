// Replies are appended here during one read batch and handed to the socket in one write.
// Chunks handed out by take() are never written again (a fresh chunk follows).

const CHUNK_BYTES = 64 * 1024;
const DIGITS = Buffer.alloc(20);
// A connection holds no chunk until it first replies (1,000 idle connections cost nothing).
const NO_CHUNK = Buffer.alloc(0);

export class OutBuffer {
  cur: Buffer; // the chunk being filled
  pos: number; // next free byte in cur
  private full: Buffer[]; // chunks already filled, in order
  private fullBytes: number;

  constructor() {
    this.cur = NO_CHUNK;
    this.pos = 0;
    this.full = [];
    this.fullBytes = 0;
  }

  /** Bytes appended and not yet taken. */
  get length(): number {
    return this.fullBytes + this.pos;
  }

  /** Makes room for n contiguous bytes at cur[pos]. */
  ensure(n: number): void {
    if (this.cur.length - this.pos >= n) return;
    if (this.pos > 0) {
      this.full.push(this.cur.subarray(0, this.pos));
      this.fullBytes += this.pos;
    }
    this.cur = Buffer.allocUnsafe(n > CHUNK_BYTES ? n : CHUNK_BYTES);
    this.pos = 0;
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
      if (take < 64) {
        const dst = this.cur;
        let p = this.pos;
        for (let i = from; i < from + take; i++) dst[p++] = src[i]!;
      } else {
        this.cur.set(src.subarray(from, from + take), this.pos);
      }
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

  /** Decimal digits of a non-negative integer below 2^53. */
  appendUint(n: number): void {
    this.ensure(20);
    if (n < 10) {
      this.cur[this.pos++] = 48 + n;
      return;
    }
    let i = 20;
    while (n > 0) {
      const q = Math.floor(n / 10);
      DIGITS[--i] = 48 + (n - q * 10);
      n = q;
    }
    this.cur.set(DIGITS.subarray(i, 20), this.pos);
    this.pos += 20 - i;
  }

  /** Decimal digits of a uint64 (incr/decr results). */
  appendBigUint(n: bigint): void {
    if (n <= 9007199254740991n) this.appendUint(Number(n));
    else this.appendAscii(n.toString());
  }

  /** Big-endian integers for the binary protocol. */
  appendUint16(n: number): void {
    this.ensure(2);
    this.cur.writeUInt16BE(n, this.pos);
    this.pos += 2;
  }

  appendUint32(n: number): void {
    this.ensure(4);
    this.cur.writeUInt32BE(n >>> 0, this.pos);
    this.pos += 4;
  }

  /** 64-bit big-endian from a number below 2^53. */
  appendUint64(n: number): void {
    this.ensure(8);
    const hi = Math.floor(n / 4294967296);
    this.cur.writeUInt32BE(hi >>> 0, this.pos);
    this.cur.writeUInt32BE((n - hi * 4294967296) >>> 0, this.pos + 4);
    this.pos += 8;
  }

  /** Drops everything appended since a mark taken with length (quiet binary replies, UDP). */
  truncateTo(mark: number): void {
    if (mark >= this.fullBytes) {
      this.pos = mark - this.fullBytes;
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
    if (this.pos === 0 && this.full.length === 0) return null;
    let out: Buffer[];
    if (this.full.length === 0) {
      out = [this.cur.subarray(0, this.pos)];
    } else {
      out = this.full;
      if (this.pos > 0) out.push(this.cur.subarray(0, this.pos));
      this.full = [];
      this.fullBytes = 0;
    }
    const leftover = this.cur.length - this.pos;
    // Reuse the tail of the chunk if plenty is left; never the bytes already handed out.
    if (leftover >= 4096) {
      this.cur = this.cur.subarray(this.pos);
    } else {
      this.cur = Buffer.allocUnsafe(CHUNK_BYTES);
    }
    this.pos = 0;
    return out;
  }
}
