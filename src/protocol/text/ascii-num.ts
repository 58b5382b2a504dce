// Decimal numbers on request bytes, with the exact acceptance rules memcached 1.6.18 gets from
// its safe_strto* wrappers over libc (64-bit Linux): leading isspace skipped, optional sign,
// base-10 digits, and then the token must end or continue with an isspace byte. No strings.
//
// Results come back as numbers; NaN means "rejected" (memcached's `false`). Numbers of up to 15
// digits are parsed exactly with doubles; longer ones (rare) go through BigInt for exact range
// checks.

const TWO_32 = 4294967296;
const U64_MAX = 18446744073709551615n;
const I64_MAX = 9223372036854775807n;
const TWO_64 = 18446744073709551616n;

function isSpace(b: number): boolean {
  // C isspace in the "C" locale: space, \t, \n, \v, \f, \r
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

// Scan state shared by the parsers (module-level, reused: the event loop is single-threaded).
let scanNegative = false;
let scanDigitsStart = 0;
let scanDigitsEnd = 0;

/** Finds sign and digits of buf[start, end); false when libc would reject the text. */
function scan(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end && isSpace(buf[i]!)) i++;
  scanNegative = false;
  if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) {
    scanNegative = buf[i] === 0x2d;
    i++;
  }
  scanDigitsStart = i;
  while (i < end && buf[i]! >= 0x30 && buf[i]! <= 0x39) i++;
  scanDigitsEnd = i;
  if (scanDigitsEnd === scanDigitsStart) return false; // no conversion: endptr == str
  // What follows the digits must be the end of the token or an isspace byte.
  return i === end || isSpace(buf[i]!);
}

function hasMinus(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === 0x2d) return true;
  return false;
}

/** Digits as an exact double (caller guarantees at most 15 digits). */
function smallMagnitude(buf: Buffer): number {
  let v = 0;
  for (let i = scanDigitsStart; i < scanDigitsEnd; i++) v = v * 10 + (buf[i]! - 0x30);
  return v;
}

function bigMagnitude(buf: Buffer): bigint {
  // Rare path: more than 15 digits. Leading zeros do not change the value.
  return BigInt(buf.toString('latin1', scanDigitsStart, scanDigitsEnd));
}

/**
 * unsigned 64-bit strtoull semantics, without the final narrowing: the value modulo 2^64
 * (a negative sign negates modulo 2^64), or null when rejected.
 */
function strtoullBig(buf: Buffer, start: number, end: number): bigint | null {
  if (!scan(buf, start, end)) return null;
  const m = bigMagnitude(buf);
  if (m > U64_MAX) return null; // ERANGE
  const v = scanNegative ? (TWO_64 - m) % TWO_64 : m;
  // safe_strto{ul,ull}: a value negative as signed, with a '-' anywhere in the token, is rejected.
  if (v > I64_MAX && hasMinus(buf, start, end)) return null;
  return v;
}

/** safe_strtoul: uint32 (the unsigned long narrowed to 32 bits), or NaN. Flags, sizes. */
export function parseU32(buf: Buffer, start: number, end: number): number {
  if (!scan(buf, start, end)) return NaN;
  if (scanDigitsEnd - scanDigitsStart <= 15) {
    const m = smallMagnitude(buf);
    if (!scanNegative || m === 0) return m % TWO_32;
    // Negative: 2^64 - m, which is negative as a signed long, and the token has a '-'.
    return NaN;
  }
  const v = strtoullBig(buf, start, end);
  return v === null ? NaN : Number(v % 4294967296n);
}

/** safe_strtol: a 64-bit long narrowed to int32 (wrapping, as the C assignment does), or NaN. */
export function parseI32(buf: Buffer, start: number, end: number): number {
  if (!scan(buf, start, end)) return NaN;
  if (scanDigitsEnd - scanDigitsStart <= 15) {
    const m = smallMagnitude(buf);
    return (scanNegative ? -m : m) | 0;
  }
  const m = bigMagnitude(buf);
  const v = scanNegative ? -m : m;
  if (v > I64_MAX || v < -I64_MAX - 1n) return NaN; // ERANGE
  return Number(BigInt.asIntN(32, v));
}

/**
 * safe_strtoll: an int64, or NaN. Values beyond 2^53 come back rounded (debugtime only, which
 * clamps the clock anyway).
 */
export function parseI64(buf: Buffer, start: number, end: number): number {
  if (!scan(buf, start, end)) return NaN;
  if (scanDigitsEnd - scanDigitsStart <= 15) {
    const m = smallMagnitude(buf);
    return scanNegative ? -m : m;
  }
  const m = bigMagnitude(buf);
  const v = scanNegative ? -m : m;
  if (v > I64_MAX || v < -I64_MAX - 1n) return NaN; // ERANGE
  return Number(v);
}

/**
 * safe_strtoull: a uint64, or NaN. Values above 2^53 come back rounded (still >= 2^53), which
 * is enough for cas comparisons against counters that stay below 2^53.
 */
export function parseU64(buf: Buffer, start: number, end: number): number {
  if (!scan(buf, start, end)) return NaN;
  if (scanDigitsEnd - scanDigitsStart <= 15) {
    const m = smallMagnitude(buf);
    if (!scanNegative || m === 0) return m;
    return NaN; // 2^64 - m is negative as int64 and the token has a '-'
  }
  const v = strtoullBig(buf, start, end);
  return v === null ? NaN : Number(v);
}

/** safe_strtoull as an exact uint64 (incr/decr deltas), or null. */
export function parseU64Big(buf: Buffer, start: number, end: number): bigint | null {
  return strtoullBig(buf, start, end);
}

/** safe_strtod (rare admin commands only: lru tune). NaN when rejected. */
export function parseDouble(buf: Buffer, start: number, end: number): number {
  let i = start;
  while (i < end && isSpace(buf[i]!)) i++;
  // Longest prefix that is a decimal floating literal (libc also takes hex, inf and nan).
  const text = buf.toString('latin1', i, end);
  const m = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)/i.exec(text);
  if (m === null) return NaN;
  const rest = i + m[0].length;
  if (rest !== end && !isSpace(buf[rest]!)) return NaN;
  const v = Number(m[0].replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
  if (!Number.isFinite(v) && !/inf/i.test(m[0])) return NaN; // ERANGE overflow
  return v;
}
