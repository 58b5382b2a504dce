// Copies between Buffers without allocating. Buffer.copy of part of a buffer builds a
// Uint8Array view of the source range on every call (Node 20's _copyActual), which is garbage on
// every get and set, and then copies with TypedArray.prototype.set, which V8 does byte-safe
// (relaxed atomic words, no memmove) whenever either side is a SharedArrayBuffer, as every
// slab page is: 100 KB into a page took 4.9 us against 1.7 into an ordinary buffer. Short runs
// go byte by byte, mid-size ones as 32-bit words through DataViews of the two buffers (kept by
// their owners, made once per buffer), and long ones through copyRange: a plain memmove from
// Node 20's buffer binding when this Node has it as 20 has it, else Buffer.copy (later Nodes'
// Buffer.copy is that memmove itself).

/** Up to this many bytes a plain byte loop is cheapest. */
export const BYTE_LOOP_MAX = 8;
/** Up to this many bytes word copies beat Buffer.copy (measured: 36 ns against 66 at 100 B). */
export const WORD_COPY_MAX = 192;

/** For copies of at most BYTE_LOOP_MAX bytes, which use no view. */
export const NO_VIEW = new DataView(new ArrayBuffer(0));

/** A DataView over the whole of buf (for copyBytes). */
export function dataViewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * dst[dstStart, dstStart + len) = src[srcStart, srcStart + len). srcView and dstView are
 * dataViewOf(src) and dataViewOf(dst). The ranges must not overlap.
 */
export function copyBytes(
  src: Uint8Array,
  srcView: DataView,
  srcStart: number,
  dst: Uint8Array,
  dstView: DataView,
  dstStart: number,
  len: number,
): void {
  if (len <= BYTE_LOOP_MAX) {
    for (let i = 0; i < len; i++) dst[dstStart + i] = src[srcStart + i]!;
    return;
  }
  if (len > WORD_COPY_MAX) {
    copyRange(src, srcStart, dst, dstStart, len);
    return;
  }
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    dstView.setUint32(dstStart + i, srcView.getUint32(srcStart + i, true), true);
    dstView.setUint32(dstStart + i + 4, srcView.getUint32(srcStart + i + 4, true), true);
  }
  for (; i < len; i++) dst[dstStart + i] = src[srcStart + i]!;
}

/** Node 20's: memmove of source[sourceStart, sourceEnd) to target at targetStart, clamped to both. */
type NativeCopy = (source: Uint8Array, target: Uint8Array, targetStart: number, sourceStart: number, sourceEnd: number) => number;

/**
 * The buffer binding's copy, through process.binding (which Node 20 still offers for it, as for
 * stream_wrap: net/stream-binding.ts), if it is there and copies as expected, into a
 * SharedArrayBuffer too; null otherwise.
 */
function loadNativeCopy(): NativeCopy | null {
  try {
    const binding = (process as unknown as { binding?: (name: string) => unknown }).binding;
    if (typeof binding !== 'function') return null;
    const copy = (binding.call(process, 'buffer') as { copy?: unknown } | null)?.copy;
    if (typeof copy !== 'function') return null;
    const native = copy as NativeCopy;
    const src = Buffer.from([1, 2, 3, 4, 5, 6]);
    const dst = Buffer.from(new SharedArrayBuffer(8));
    // the last argument is where the source range ends (later Nodes take a length there)
    if (native(src, dst, 2, 1, 5) !== 4) return null;
    return dst.equals(Buffer.from([0, 0, 2, 3, 4, 5, 0, 0])) ? native : null;
  } catch {
    return null;
  }
}

const NATIVE_COPY: NativeCopy | null = loadNativeCopy();

/**
 * dst[dstStart, dstStart + len) = src[srcStart, srcStart + len), the ranges may overlap; for any
 * length, best for long ones (a native call costs ~35 ns). A range outside either buffer goes
 * to Buffer.copy, which clamps or throws as it always has.
 */
export function copyRange(src: Uint8Array, srcStart: number, dst: Uint8Array, dstStart: number, len: number): void {
  if (NATIVE_COPY !== null && srcStart >= 0 && dstStart >= 0 && len >= 0 && srcStart + len <= src.length && dstStart + len <= dst.length) {
    NATIVE_COPY(src, dst, dstStart, srcStart, srcStart + len);
  } else {
    Buffer.prototype.copy.call(src, dst, dstStart, srcStart, srcStart + len);
  }
}

/** Buffers larger than this are not remembered by LastViewCache (it would keep them alive). */
const CACHE_MAX_BYTES = 64 * 1024;

/**
 * The DataView of the last buffer asked for: for callers whose source is nearly always the same
 * buffer (the static read buffer), so a view is made only when it changes. A large buffer gets a
 * view but is not remembered: a connection's grown input buffer must not outlive its use.
 */
export class LastViewCache {
  private buf: Uint8Array | null = null;
  private view: DataView = NO_VIEW;

  of(buf: Uint8Array): DataView {
    if (buf === this.buf) return this.view;
    const view = dataViewOf(buf);
    if (buf.byteLength <= CACHE_MAX_BYTES) {
      this.buf = buf;
      this.view = view;
    }
    return view;
  }
}
