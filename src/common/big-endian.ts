// Big-endian stores of unsigned 32-bit integers into byte arrays, for the binary protocol's
// headers and fields. Buffer.writeUInt32BE range-checks its value through Node's validators on
// every call (a call of its own in profiles of binary gets); callers here pass values already
// in range (>>> 0), so four byte stores do.

/** dst[at, at + 4) = v (an integer in [0, 2^32)), most significant byte first. */
export function putUint32BE(dst: Uint8Array, at: number, v: number): void {
  dst[at] = v >>> 24;
  dst[at + 1] = (v >>> 16) & 0xff;
  dst[at + 2] = (v >>> 8) & 0xff;
  dst[at + 3] = v & 0xff;
}
