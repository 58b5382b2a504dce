// Numbers on memcached's command line, read the way its C library calls read them, so that
// `-m 64m` means 64 (atoi stops at the first non-digit) and `-I 2k` means 2048. Each function
// names the C call it copies; none of them throws.

import { safeStrtol as cSafeStrtol, safeStrtoll as cSafeStrtoll, safeStrtoul as cSafeStrtoul } from '../common/c-numbers.js';

const KIB = 1024;
const MIB = 1024 * 1024;

function isCSpace(c: number): boolean {
  // isspace() in the C locale: space, \t, \n, \v, \f, \r
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

interface Scan {
  value: number; // magnitude read, saturated at Number.MAX_SAFE_INTEGER
  negative: boolean;
  digits: number; // how many digits were read
  end: number; // index after the last character consumed
}

function scanInteger(s: string, base: 8 | 10): Scan {
  let i = 0;
  while (i < s.length && isCSpace(s.charCodeAt(i))) i++;
  let negative = false;
  const sign = s.charCodeAt(i);
  if (sign === 0x2b /* + */ || sign === 0x2d /* - */) {
    negative = sign === 0x2d;
    i++;
  }
  let value = 0;
  let digits = 0;
  for (; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d >= base) break;
    value = Math.min(value * base + d, Number.MAX_SAFE_INTEGER);
    digits++;
  }
  return { value, negative, digits, end: i };
}

function toInt32(n: number): number {
  // glibc's atoi is (int)strtol(): strtol saturates at LONG_MAX/LONG_MIN, the cast keeps the low 32 bits.
  const clamped = Math.max(Math.min(n, 2 ** 63 - 1), -(2 ** 63));
  return Number(BigInt.asIntN(32, BigInt(Math.trunc(clamped))));
}

/** C `atoi`: leading blanks, a sign, digits; anything else ends the number ("64m" = 64, "abc" = 0). */
export function atoi(s: string): number {
  const r = scanInteger(s, 10);
  return toInt32(r.negative ? -r.value : r.value);
}

/** C `atof`: the longest decimal prefix, 0 when there is none. */
export function atof(s: string): number {
  const v = Number.parseFloat(s.replace(/^[\t\n\v\f\r ]+/, ''));
  return Number.isNaN(v) ? 0 : v;
}

/** C `strtol(s, NULL, 8)`, as memcached reads `-a` ("700" = 0o700, "9" = 0). */
export function strtolOctal(s: string): number {
  const r = scanInteger(s, 8);
  return r.negative ? -r.value : r.value;
}

/**
 * memcached's `safe_strtoul` (common/c-numbers.ts): a whole decimal number, trailing blanks
 * allowed, silently cut to 32 bits as memcached does (`4294967297` is 1), or null.
 */
export function safeStrtoul(s: string): number | null {
  const v = cSafeStrtoul(Buffer.from(s, 'latin1'), 0, s.length);
  return Number.isNaN(v) ? null : v;
}

/** memcached's `safe_strtoll`: a whole decimal int64 (exact below 2^53), or null. */
export function safeStrtoll(s: string): number | null {
  const v = cSafeStrtoll(Buffer.from(s, 'latin1'), 0, s.length);
  return Number.isNaN(v) ? null : v;
}

/** memcached's `safe_strtol` into an int32 (low 32 bits kept): a whole decimal number or null. */
export function safeStrtol(s: string): number | null {
  const v = cSafeStrtol(Buffer.from(s, 'latin1'), 0, s.length);
  return Number.isNaN(v) ? null : v;
}

/**
 * `-I`: a number with an optional k/K/m/M suffix on the last character ("1m", "512k", "2048").
 * memcached computes this in an int, so "2048m" wraps to a negative number and is then refused
 * as too small; we keep that.
 */
export function parseItemSize(s: string): number {
  const unit = s.charAt(s.length - 1);
  if (unit === 'k' || unit === 'K') return toInt32(atoi(s.slice(0, -1)) * KIB);
  if (unit === 'm' || unit === 'M') return toInt32(atoi(s.slice(0, -1)) * MIB);
  return atoi(s);
}

/** "1m", "512k", "1536" for messages and the tool: the largest exact unit. */
export function formatSize(bytes: number): string {
  if (bytes !== 0 && bytes % MIB === 0) return `${bytes / MIB}m`;
  if (bytes !== 0 && bytes % KIB === 0) return `${bytes / KIB}k`;
  return String(bytes);
}
