// Deterministic test bytes: the same seed gives the same bytes on every run.
import { SeededRandom } from './random.js';

/** n pseudo-random bytes from seed. */
export function seededBytes(n: number, seed: number): Buffer {
  return new SeededRandom(seed).bytes(n);
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
