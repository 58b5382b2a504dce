// memcached's number parsing, on bytes: its safe_strto* wrappers (util.c) over the C library's
// strtoul/strtol/strtoll/strtoull/strtod on 64-bit Linux. One module for every reader of a
// number a client wrote: text tokens, meta flag tokens, and the digits of a stored value that
// incr/decr, `ma` and binary INCR/DECR read. A leaf: it imports nothing, so store/ and
// protocol/ may both use it.
//
// The rules, as the C code applies them to a NUL-terminated string:
// - leading isspace bytes (space, \t \n \v \f \r) are skipped, then one optional + or -;
// - then base-10 digits; none at all is a failure (endptr == str);
// - the digits must be followed by the end of the string or an isspace byte. The end of the
//   string is the end of the range given here, or a NUL byte inside it: memcached reads a token
//   or a value as a C string, so `1\0a` is 1;
// - out of the type's range is a failure (ERANGE). strtoul/strtoull wrap a negative number
//   modulo 2^64, and safe_strtoul/safe_strtoull refuse a result that is negative as a signed
//   64-bit number when the string holds a '-': `-1` fails, `-0` is 0, and
//   `-18446744073709551615` is 1;
// - safe_strtoul keeps the low 32 bits of the unsigned long, safe_strtol the low 32 bits of the
//   long (silent truncation: `4294967296` is 0).
//
// Failure is NaN for the number-returning parsers and null for the exact one. Up to 15 digits
// are added up in a double (exact); longer numbers, rare, go through BigInt.

const TWO_32 = 4294967296;
const U64_MAX = 18446744073709551615n;
const I64_MAX = 9223372036854775807n;
const I64_MIN = -9223372036854775808n;
const TWO_63 = 9223372036854775808n;
const SMALL_DIGITS_MAX = 15;

function isSpace(b: number): boolean {
  // C isspace in the "C" locale
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/**
 * Index of the first digit after the leading white space and sign of buf[start, end), or -1
 * when no digit follows them (a NUL ends the string, so it ends the search too).
 */
function firstDigit(buf: Buffer, start: number, end: number): number {
  let i = start;
  while (i < end && isSpace(buf[i]!)) i++;
  if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) i++;
  return i < end && isDigit(buf[i]!) ? i : -1;
}

/** Index after the digits from i, or -1 when they are followed by anything but the end of the string or white space. */
function digitsEnd(buf: Buffer, i: number, end: number): number {
  while (i < end && isDigit(buf[i]!)) i++;
  if (i === end) return i;
  const b = buf[i]!;
  return b === 0 || isSpace(b) ? i : -1;
}

function isNegative(buf: Buffer, digitsStart: number, start: number): boolean {
  return digitsStart > start && buf[digitsStart - 1] === 0x2d;
}

function smallMagnitude(buf: Buffer, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) v = v * 10 + (buf[i]! - 0x30);
  return v;
}

function bigMagnitude(buf: Buffer, from: number, to: number): bigint {
  return BigInt(buf.toString('latin1', from, to));
}

/** strchr(str, '-') on the C string buf[start, end): up to the first NUL. */
function hasMinus(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b === 0x2d) return true;
    if (b === 0) return false;
  }
  return false;
}

/**
 * strtoull with safe_strtoull's checks, exact: the uint64, or null. Incr/decr deltas, meta
 * D and J, and a stored value read as a number.
 */
export function safeStrtoullExact(buf: Buffer, start: number, end: number): bigint | null {
  const ds = firstDigit(buf, start, end);
  if (ds < 0) return null;
  const de = digitsEnd(buf, ds, end);
  if (de < 0) return null;
  const negative = isNegative(buf, ds, start);
  if (de - ds <= SMALL_DIGITS_MAX) {
    const m = smallMagnitude(buf, ds, de);
    // Negative and non-zero: 2^64 - m is negative as int64, and the string has its '-'.
    if (negative && m !== 0) return null;
    return BigInt(m);
  }
  const m = bigMagnitude(buf, ds, de);
  if (m > U64_MAX) return null; // ERANGE
  const v = negative ? BigInt.asUintN(64, -m) : m;
  if (v >= TWO_63 && hasMinus(buf, start, end)) return null;
  return v;
}

/**
 * safe_strtoull as a number: exact below 2^53, rounded above (still above 2^53, so a cas
 * compare against counters that stay below 2^53 gives the same answer). NaN on failure.
 */
export function safeStrtoull(buf: Buffer, start: number, end: number): number {
  const ds = firstDigit(buf, start, end);
  if (ds < 0) return NaN;
  const de = digitsEnd(buf, ds, end);
  if (de < 0) return NaN;
  if (de - ds <= SMALL_DIGITS_MAX) {
    const m = smallMagnitude(buf, ds, de);
    return isNegative(buf, ds, start) && m !== 0 ? NaN : m;
  }
  const v = safeStrtoullExact(buf, start, end);
  return v === null ? NaN : Number(v);
}

/** safe_strtoul: the unsigned long's low 32 bits (client flags, lengths), or NaN. */
export function safeStrtoul(buf: Buffer, start: number, end: number): number {
  const ds = firstDigit(buf, start, end);
  if (ds < 0) return NaN;
  const de = digitsEnd(buf, ds, end);
  if (de < 0) return NaN;
  if (de - ds <= SMALL_DIGITS_MAX) {
    const m = smallMagnitude(buf, ds, de);
    if (isNegative(buf, ds, start) && m !== 0) return NaN;
    return m % TWO_32;
  }
  const v = safeStrtoullExact(buf, start, end);
  return v === null ? NaN : Number(BigInt.asUintN(32, v));
}

/** safe_strtoll: an int64 (exact below 2^53 in magnitude, rounded above), or NaN. */
export function safeStrtoll(buf: Buffer, start: number, end: number): number {
  const ds = firstDigit(buf, start, end);
  if (ds < 0) return NaN;
  const de = digitsEnd(buf, ds, end);
  if (de < 0) return NaN;
  const negative = isNegative(buf, ds, start);
  if (de - ds <= SMALL_DIGITS_MAX) {
    const m = smallMagnitude(buf, ds, de);
    return negative ? -m : m;
  }
  const m = bigMagnitude(buf, ds, de);
  const v = negative ? -m : m;
  if (v > I64_MAX || v < I64_MIN) return NaN; // ERANGE
  return Number(v);
}

/** safe_strtol: the long's low 32 bits as a signed int32 (exptimes, meta T/N/R), or NaN. */
export function safeStrtol(buf: Buffer, start: number, end: number): number {
  const ds = firstDigit(buf, start, end);
  if (ds < 0) return NaN;
  const de = digitsEnd(buf, ds, end);
  if (de < 0) return NaN;
  const negative = isNegative(buf, ds, start);
  if (de - ds <= SMALL_DIGITS_MAX) {
    const m = smallMagnitude(buf, ds, de);
    return (negative ? -m : m) | 0;
  }
  const m = bigMagnitude(buf, ds, de);
  const v = negative ? -m : m;
  if (v > I64_MAX || v < I64_MIN) return NaN; // ERANGE
  return Number(BigInt.asIntN(32, v));
}

/** safe_strtod (rare admin commands: lru tune ratios). NaN on failure. */
export function safeStrtod(buf: Buffer, start: number, end: number): number {
  let i = start;
  while (i < end && isSpace(buf[i]!)) i++;
  let stop = i;
  while (stop < end && buf[stop] !== 0) stop++;
  // The longest prefix that is a decimal floating literal (the C library also reads hex forms).
  const text = buf.toString('latin1', i, stop);
  const m = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)/i.exec(text);
  if (m === null) return NaN;
  const rest = i + m[0].length;
  if (rest !== stop && !isSpace(buf[rest]!)) return NaN;
  const v = Number(m[0].replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
  if (!Number.isFinite(v) && !/inf/i.test(m[0])) return NaN; // ERANGE overflow
  return v;
}
