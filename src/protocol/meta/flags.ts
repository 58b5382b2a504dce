// Meta flag grammar: `<flag-char>[token]` words after the key (and after <datalen> for ms),
// parsed from bytes into one reused MetaFlags. Mirrors memcached 1.6.18's shared pre-parse:
// every meta command accepts the same flag set, a repeated flag (or a byte >= 127) is
// "duplicate flag", an unknown one is "invalid flag" (both stop parsing at once), and other
// problems (bad numbers, undecodable key) are remembered while parsing goes on, the last
// message winning. Numbers are read as memcached's safe_strto* read them (common/c-numbers.ts).

import type { Tokens } from '../text/tokenizer.js';
import { decodeBase64 } from './key-b64.js';
import { safeStrtol, safeStrtoul, safeStrtoull, safeStrtoullExact } from '../../common/c-numbers.js';
import {
  ERR_BAD_DELTA,
  ERR_BAD_FORMAT,
  ERR_BAD_INITIAL,
  ERR_BAD_TOKEN,
  ERR_DECODING_KEY,
  ERR_DUPLICATE_FLAG,
  ERR_INVALID_FLAG,
  ERR_M_LENGTH,
} from '../replies.js';

export const MAX_OPAQUE_TOKEN = 32; // bytes of an O token, the 'O' included
const REALTIME_MAXDELTA = 60 * 60 * 24 * 30;


/** What the flags of one meta command asked for: one object, refilled by parseMetaFlags(). */
export class MetaFlags {
  /** The reply to send when parsing failed; null when the flags are fine. */
  error!: Buffer | null;
  /** True when the error stops parsing at once (unknown or repeated flag). */
  isFatal!: boolean;

  // Key after optional base64 decoding: keyBuf[keyStart, keyStart + keyLen).
  keyBuf!: Buffer;
  keyStart!: number;
  keyLen!: number;
  isKeyBinary!: boolean;

  noUpdate!: boolean; // u
  isLocked!: boolean; // h, l, N, T, R: memcached reads pre-bump state, bumps after
  vivify!: boolean; // N
  wantValue!: boolean; // v
  setStale!: boolean; // I
  noReply!: boolean; // q
  hasCas!: boolean; // C
  hasNewTtl!: boolean; // T
  mode!: number; // M<char>: the byte, 0 = none
  exptime!: number; // T, client form (negative already mapped past the 30-day limit)
  vivifyExptime!: number; // N, client form
  recacheExptime!: number; // R, client form
  clientFlags!: number; // F, uint32
  reqCas!: number; // C, below 2^64 (above 2^53 it can match no item)
  delta!: bigint; // D
  initial!: bigint; // J
  /** Token index of the first O token longer than MAX_OPAQUE_TOKEN, or -1. */
  longOpaqueAt!: number;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.error = null;
    this.isFatal = false;
    this.keyBuf = KEY_SCRATCH;
    this.keyStart = 0;
    this.keyLen = 0;
    this.isKeyBinary = false;
    this.noUpdate = false;
    this.isLocked = false;
    this.vivify = false;
    this.wantValue = false;
    this.setStale = false;
    this.noReply = false;
    this.hasCas = false;
    this.hasNewTtl = false;
    this.mode = 0;
    this.exptime = 0;
    this.vivifyExptime = 0;
    this.recacheExptime = 0;
    this.clientFlags = 0;
    this.reqCas = 0;
    this.delta = 1n;
    this.initial = 0n;
    this.longOpaqueAt = -1;
  }
}

// Decoded keys live here until the command is done (the loop is single-threaded).
const KEY_SCRATCH = Buffer.alloc(256);

// Seen-flag marks: a generation number per byte avoids clearing an array per request.
const seenGen = new Uint32Array(128);
let generation = 0;

/**
 * Parses tokens[first..count) as flags for the key in token 1. Fills f (after f.reset()).
 * Returns true when the flags are usable; otherwise f.error holds the reply.
 */
export function parseMetaFlags(tokens: Tokens, first: number, f: MetaFlags): boolean {
  f.reset();
  const buf = tokens.buf;
  f.keyBuf = buf;
  f.keyStart = tokens.start[1]!;
  f.keyLen = tokens.end[1]! - f.keyStart;
  generation = (generation + 1) >>> 0;
  if (generation === 0) {
    seenGen.fill(0);
    generation = 1;
  }
  const count = tokens.count;
  let num: number; // a parsed number, NaN when the token is not one
  for (let i = first; i < count; i++) {
    const s = tokens.start[i]!;
    const e = tokens.end[i]!;
    const o = buf[s]!;
    if (o >= 127 || seenGen[o] === generation) {
      f.error = ERR_DUPLICATE_FLAG;
      f.isFatal = true;
      return false;
    }
    seenGen[o] = generation;
    switch (o) {
      case 0x62: {
        // b: the key is base64; decode it once into scratch.
        const n = decodeBase64(buf, tokens.start[1]!, tokens.end[1]! - tokens.start[1]!, KEY_SCRATCH, 0);
        if (n === 0) f.error = ERR_DECODING_KEY;
        f.keyBuf = KEY_SCRATCH;
        f.keyStart = 0;
        f.keyLen = n;
        f.isKeyBinary = true;
        break;
      }
      case 0x4e: // N<ttl>
        f.isLocked = true;
        f.vivify = true;
        num = safeStrtol(buf, s + 1, e);
        if (!Number.isNaN(num)) f.vivifyExptime = positiveTime(num);
        else f.error = ERR_BAD_TOKEN;
        break;
      case 0x54: // T<ttl>
        f.isLocked = true;
        num = safeStrtol(buf, s + 1, e);
        if (!Number.isNaN(num)) {
          f.exptime = positiveTime(num);
          f.hasNewTtl = true;
        } else f.error = ERR_BAD_TOKEN;
        break;
      case 0x52: // R<ttl>
        f.isLocked = true;
        num = safeStrtol(buf, s + 1, e);
        if (!Number.isNaN(num)) f.recacheExptime = positiveTime(num);
        else f.error = ERR_BAD_TOKEN;
        break;
      case 0x6c: // l
      case 0x68: // h
        f.isLocked = true;
        break;
      case 0x4f: // O<opaque>
        if (e - s > MAX_OPAQUE_TOKEN && f.longOpaqueAt < 0) f.longOpaqueAt = i;
        break;
      case 0x50: // P, L: proxy hints, ignored
      case 0x4c:
      case 0x6b: // k, s, t, c, f: return flags, handled when replying
      case 0x73:
      case 0x74:
      case 0x63:
      case 0x66:
        break;
      case 0x76: // v
        f.wantValue = true;
        break;
      case 0x75: // u
        f.noUpdate = true;
        break;
      case 0x71: // q
        f.noReply = true;
        break;
      case 0x46: // F<flags>: a failure keeps the message already set
        num = safeStrtoul(buf, s + 1, e);
        if (!Number.isNaN(num)) f.clientFlags = num;
        else if (f.error === null) f.error = ERR_BAD_FORMAT;
        break;
      case 0x43: // C<cas>
        num = safeStrtoull(buf, s + 1, e);
        if (!Number.isNaN(num)) {
          f.reqCas = num;
          f.hasCas = true;
        } else f.error = ERR_BAD_TOKEN;
        break;
      case 0x4d: // M<mode>
        if (e - s !== 2) f.error = ERR_M_LENGTH;
        else f.mode = buf[s + 1]!;
        break;
      case 0x4a: // J<initial>
      case 0x44: { // D<delta>
        const big = safeStrtoullExact(buf, s + 1, e);
        if (big === null) f.error = o === 0x4a ? ERR_BAD_INITIAL : ERR_BAD_DELTA;
        else if (o === 0x4a) f.initial = big;
        else f.delta = big;
        break;
      }
      case 0x49: // I
        f.setStale = true;
        break;
      default: // also E and md's x, which only later memcached knows

        return fatal(f, ERR_INVALID_FLAG);
    }
  }
  return f.error === null;
}

function fatal(f: MetaFlags, err: Buffer): false {
  f.error = err;
  f.isFatal = true;
  return false;
}

/** memcached's EXPTIME_TO_POSITIVE_TIME: a negative TTL becomes "long ago" (expired). */
function positiveTime(t: number): number {
  return t < 0 ? REALTIME_MAXDELTA + 1 : t;
}
