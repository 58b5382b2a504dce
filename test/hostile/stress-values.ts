// Self-checking values for the concurrency stress test. A value is a run of pieces; each piece
// names its writer, the writer's sequence number and the kind of write that made it, carries
// a payload and a checksum over all of that and the key:
//
//   '<' writer(2 hex) seq(6 hex) kind(1: b base, a append, p prepend) len(4 hex) payload fnv(8 hex) '>'
//
// so a value built by set + appends + prepends still verifies piece by piece, a torn value (the
// bytes of two writes mixed, or a piece of another key) does not, and a piece proves that some
// client wrote it for this key. The item's client flags name its base piece (writer << 24 |
// seq), which must be in the value: a header that does not belong to the bytes shows too.

import type { SeededRandom } from '../support/random.js';

const HEADER_LEN = 14;
const TRAILER_LEN = 9;
const PAYLOAD_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

export const PieceKind = { Base: 'b', Append: 'a', Prepend: 'p' } as const;
export type PieceKind = (typeof PieceKind)[keyof typeof PieceKind];

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** One piece for key; random gives the payload. payloadLen < 65536. */
export function makePiece(key: string, writer: number, seq: number, kind: PieceKind, payloadLen: number, random: SeededRandom): string {
  let payload = '';
  for (let i = 0; i < payloadLen; i++) payload += PAYLOAD_CHARS[random.int(PAYLOAD_CHARS.length)];
  const head = hex(writer, 2) + hex(seq, 6) + kind + hex(payloadLen, 4);
  return '<' + head + payload + hex(fnv1a(key + head + payload), 8) + '>';
}

/** The client flags of an item whose base piece is (writer, seq). */
export function baseFlags(writer: number, seq: number): number {
  return ((writer << 24) | seq) >>> 0;
}

/** Why value (with its flags) is not something clients wrote for key; null if it is. */
export function checkValue(key: string, value: string, flags: number): string | null {
  let at = 0;
  let hasBase = false;
  let pieces = 0;
  while (at < value.length) {
    if (value[at] !== '<' || at + HEADER_LEN > value.length) return `bad piece start at ${at}`;
    const head = value.slice(at + 1, at + HEADER_LEN);
    const len = parseInt(head.slice(9, 13), 16);
    const end = at + HEADER_LEN + len + TRAILER_LEN;
    if (!/^[0-9a-f]{8}[bap][0-9a-f]{4}$/.test(head) || end > value.length || value[end - 1] !== '>') return `bad piece header at ${at}`;
    const payload = value.slice(at + HEADER_LEN, at + HEADER_LEN + len);
    if (value.slice(end - TRAILER_LEN, end - 1) !== hex(fnv1a(key + head + payload), 8)) return `checksum mismatch in piece at ${at}`;
    if (head[8] === PieceKind.Base && baseFlags(parseInt(head.slice(0, 2), 16), parseInt(head.slice(2, 8), 16)) === flags) hasBase = true;
    pieces++;
    at = end;
  }
  if (pieces === 0) return 'empty value';
  return hasBase ? null : `flags ${flags} name no base piece of the value`;
}
