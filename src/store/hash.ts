// MurmurHash3 x86 32-bit over key bytes (written from the published algorithm description).

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

export function murmur3(buf: Buffer, start: number, len: number, seed: number): number {
  let h = seed >>> 0;
  const end4 = start + (len & ~3);
  let i = start;
  for (; i < end4; i += 4) {
    let k = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rem = len & 3;
  if (rem !== 0) {
    if (rem === 3) k ^= buf[i + 2]! << 16;
    if (rem >= 2) k ^= buf[i + 1]! << 8;
    k ^= buf[i]!;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  // int32, not uint32: a uint32 of 2^31 or more would be a heap number (garbage) in V8
  return h | 0;
}
