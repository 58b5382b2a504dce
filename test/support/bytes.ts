// Deterministic test bytes: the same seed gives the same bytes on every run.

/** A xorshift32 generator of uint32 values. */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** n pseudo-random bytes from seed. */
export function seededBytes(n: number, seed: number): Buffer {
  const next = xorshift(Math.imul(seed, 2654435761));
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = next() & 0xff;
  return b;
}

/**
 * n bytes from seed that start at byteOffset shift of a larger ArrayBuffer whose other bytes
 * are noise (for code that must honour a Buffer's byteOffset).
 */
export function seededSlice(n: number, shift: number, seed: number): Buffer {
  const ab = new ArrayBuffer(n + shift + 13);
  new Uint8Array(ab).set(seededBytes(ab.byteLength, seed + 50_000));
  const b = Buffer.from(ab, shift, n);
  b.set(seededBytes(n, seed));
  return b;
}
