// Base64 for meta keys (flag `b`), with memcached 1.6.18's decoder semantics: bytes outside the
// alphabet are skipped, the count of alphabet bytes ('=' included) must be a non-zero multiple of
// four, and decoding stops after the first quad that holds padding (more than two '=' in it is an
// error). Failure is reported as length 0, as memcached does. Output is standard, padded base64.

import type { OutBuffer } from '../out-buffer.js';
import { KEY_MAX_LENGTH } from '../../common/limits.js';

const ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1');
const PAD = 0x3d; // '='
const SKIP = 0x80;

// Decoding table: byte -> 6-bit value, or SKIP; '=' decodes as 0 and is counted.
const DECODE = new Uint8Array(256).fill(SKIP);
for (let i = 0; i < 64; i++) DECODE[ALPHABET[i]!] = i;
DECODE[PAD] = 0;

/**
 * Decodes src[start, start+len) into dst at dstStart. Returns the decoded length, 0 on failure.
 * dst must have room for len * 3 / 4 bytes.
 */
export function decodeBase64(src: Buffer, start: number, len: number, dst: Buffer, dstStart: number): number {
  const end = start + len;
  let count = 0;
  for (let i = start; i < end; i++) if (DECODE[src[i]!] !== SKIP) count++;
  if (count === 0 || count % 4 !== 0) return 0;
  let pos = dstStart;
  let n = 0;
  let pad = 0;
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = start; i < end; i++) {
    const c = src[i]!;
    const v = DECODE[c]!;
    if (v === SKIP) continue;
    if (c === PAD) pad++;
    if (n === 0) b0 = v;
    else if (n === 1) b1 = v;
    else if (n === 2) b2 = v;
    n++;
    if (n === 4) {
      dst[pos++] = ((b0 << 2) | (b1 >> 4)) & 0xff;
      dst[pos++] = ((b1 << 4) | (b2 >> 2)) & 0xff;
      dst[pos++] = ((b2 << 6) | v) & 0xff;
      n = 0;
      if (pad > 0) {
        if (pad > 2) return 0; // invalid padding
        pos -= pad;
        break;
      }
    }
  }
  return pos - dstStart;
}

/** Bytes the encoding of len bytes takes. */
export function base64Length(len: number): number {
  return Math.ceil(len / 3) * 4;
}

/** The encoding of a key is built here, then appended (keys are at most KEY_MAX_LENGTH bytes). */
const ENCODED_KEY = Buffer.alloc(base64Length(KEY_MAX_LENGTH));

/** Appends the padded base64 encoding of a key, src[start, start+len), to out. */
export function appendBase64(out: OutBuffer, src: Buffer, start: number, len: number): void {
  out.appendBytes(ENCODED_KEY, 0, encodeBase64(src, start, len, ENCODED_KEY, 0));
}

/** Writes the padded base64 encoding of src[start, start+len) at dst[dstStart]; returns its length. */
export function encodeBase64(src: Buffer, start: number, len: number, dst: Buffer, dstStart: number): number {
  let p = dstStart;
  const end = start + len;
  let i = start;
  for (; end - i >= 3; i += 3) {
    const a = src[i]!;
    const b = src[i + 1]!;
    const c = src[i + 2]!;
    dst[p++] = ALPHABET[a >> 2]!;
    dst[p++] = ALPHABET[((a & 0x03) << 4) | (b >> 4)]!;
    dst[p++] = ALPHABET[((b & 0x0f) << 2) | (c >> 6)]!;
    dst[p++] = ALPHABET[c & 0x3f]!;
  }
  if (end - i === 1) {
    const a = src[i]!;
    dst[p++] = ALPHABET[a >> 2]!;
    dst[p++] = ALPHABET[(a & 0x03) << 4]!;
    dst[p++] = PAD;
    dst[p++] = PAD;
  } else if (end - i === 2) {
    const a = src[i]!;
    const b = src[i + 1]!;
    dst[p++] = ALPHABET[a >> 2]!;
    dst[p++] = ALPHABET[((a & 0x03) << 4) | (b >> 4)]!;
    dst[p++] = ALPHABET[(b & 0x0f) << 2]!;
    dst[p++] = PAD;
  }
  return p - dstStart;
}
