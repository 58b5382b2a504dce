// Decimal uint64 parsing over item bytes, for incr/decr.

export const U64_MASK = (1n << 64n) - 1n;

/**
 * memcached's safe_strtoull over an item value: optional leading white space and sign,
 * decimal digits, then white space or the end of the value. -1n when not a uint64.
 */
export function parseU64(buf: Buffer, start: number, len: number): bigint {
  const end = start + len;
  let i = start;
  while (i < end && isSpace(buf[i]!)) i++;
  let neg = false;
  if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) {
    neg = buf[i] === 0x2d;
    i++;
  }
  const digitsStart = i;
  let v = 0n;
  let small = 0;
  let smallDigits = 0;
  while (i < end) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) break;
    small = small * 10 + (c - 0x30);
    if (++smallDigits === 15) {
      v = v * 1000000000000000n + BigInt(small);
      small = 0;
      smallDigits = 0;
    }
    i++;
  }
  if (i === digitsStart) return -1n;
  if (i < end && !isSpace(buf[i]!)) return -1n;
  if (smallDigits > 0) v = v * 10n ** BigInt(smallDigits) + BigInt(small);
  if (v > U64_MASK) return -1n; // ERANGE
  if (neg) {
    v = (-v) & U64_MASK;
    if (v >= 1n << 63n) return -1n; // negative as signed, with a '-': refused
  }
  return v;
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}
