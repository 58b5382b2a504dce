// Copies between Buffers without allocating. Buffer.copy of part of a buffer builds a
// Uint8Array view of the source range on every call (Node 20's _copyActual), which is garbage on
// every get and set. Short runs go byte by byte, mid-size ones as 32-bit words through
// DataViews of the two buffers (kept by their owners, made once per buffer), and only long ones
// through Buffer.copy, whose native memmove then outweighs the one view it allocates.

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
    Buffer.prototype.copy.call(src, dst, dstStart, srcStart, srcStart + len);
    return;
  }
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    dstView.setUint32(dstStart + i, srcView.getUint32(srcStart + i, true), true);
    dstView.setUint32(dstStart + i + 4, srcView.getUint32(srcStart + i + 4, true), true);
  }
  for (; i < len; i++) dst[dstStart + i] = src[srcStart + i]!;
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
