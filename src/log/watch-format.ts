// The log entries a watcher can receive: how an event is recorded in the worker buffer (fixed
// header, then key or address bytes) and how a recorded entry becomes memcached 1.6.18's line
// (logger.c's _logger_parse_* formats). Recording and rendering write bytes into buffers that
// live as long as the log: no string, no object per event.

import { StoreMode, StoreResult } from '../store/store.js';

/** What an entry records. */
export const EntryKind = {
  ItemGet: 0, // type=item_get
  ItemStore: 1, // type=item_store
  Eviction: 2, // type=eviction
  ConnNew: 3, // type=conn_new
  ConnClose: 4, // type=conn_close
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

/** memcached's enum network_transport, as conn events print it. */
export const ConnTransport = { Local: 0, Tcp: 1, Udp: 2 } as const;
export type ConnTransport = (typeof ConnTransport)[keyof typeof ConnTransport];

/** memcached's enum close_reasons: 0 (error) unless something said otherwise. */
export const CloseReason = { Error: 0, Normal: 1, IdleTimeout: 2, Shutdown: 3 } as const;
export type CloseReason = (typeof CloseReason)[keyof typeof CloseReason];

// Entry layout, little endian. Every entry is ENTRY_HEADER bytes plus `tailLen` bytes: the key
// (item entries) or the remote address text (conn entries).
//  0 u8  kind              1 u8  a: lookup outcome | store result | fetched | transport
//  2 u8  b: store mode | close reason                3 u8  tailLen
//  4 i32 cfd               8 f64 gid
// 16 u32 seconds          20 u32 microseconds (gettimeofday)
// 24 i32 value length     28 i32 slab class (-1: none)
// 32 f64 ttl (store: uint32 value; eviction: signed, -1 = none)
// 40 i32 la (eviction) | remote port (conn)          44 (unused)
export const ENTRY_HEADER = 48;
export const E_KIND = 0;
export const E_A = 1;
export const E_B = 2;
export const E_TAIL_LEN = 3;
export const E_CFD = 4;
export const E_GID = 8;
export const E_SEC = 16;
export const E_USEC = 20;
export const E_VLEN = 24;
export const E_CLSID = 28;
export const E_TTL = 32;
export const E_LA = 40;
export const E_PORT = 40;

/** logger.c's LOGGER_PARSE_SCRATCH: the longest line (a 250-byte key encoded is 750 bytes). */
export const LINE_MAX = 4096;

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

const TS = ascii('ts=');
const GID = ascii(' gid=');
const T_ITEM_GET = ascii(' type=item_get key=');
const T_ITEM_STORE = ascii(' type=item_store key=');
const T_EVICTION = ascii(' type=eviction key=');
const T_CONN_NEW = ascii(' type=conn_new rip=');
const T_CONN_CLOSE = ascii(' type=conn_close rip=');
const STATUS = ascii(' status=');
const CMD = ascii(' cmd=');
const TTL = ascii(' ttl=');
const CLSID = ascii(' clsid=');
const CFD = ascii(' cfd=');
const SIZE = ascii(' size=');
const FETCH_YES = ascii(' fetch=yes');
const FETCH_NO = ascii(' fetch=no');
const LA = ascii(' la=');
const RPORT = ascii(' rport=');
const TRANSPORT = ascii(' transport=');
const REASON = ascii(' reason=');
const SKIPPED = ascii('skipped=');

// Indexed by LookupOutcome.
const LOOKUP_NAMES = ['not_found', 'found', 'flushed', 'expired'].map(ascii);
// Indexed by StoreResult.
const RESULT_NAMES: Buffer[] = [];
RESULT_NAMES[StoreResult.Stored] = ascii('stored');
RESULT_NAMES[StoreResult.NotStored] = ascii('not_stored');
RESULT_NAMES[StoreResult.Exists] = ascii('exists');
RESULT_NAMES[StoreResult.NotFound] = ascii('not_found');
RESULT_NAMES[StoreResult.TooLarge] = ascii('too_large');
RESULT_NAMES[StoreResult.NoMemory] = ascii('no_memory');
// Indexed by StoreMode: memcached's NREAD_* names (a stale-allowed cas is a cas).
const MODE_NAMES: Buffer[] = [];
MODE_NAMES[StoreMode.Set] = ascii('set');
MODE_NAMES[StoreMode.Add] = ascii('add');
MODE_NAMES[StoreMode.Replace] = ascii('replace');
MODE_NAMES[StoreMode.Append] = ascii('append');
MODE_NAMES[StoreMode.Prepend] = ascii('prepend');
MODE_NAMES[StoreMode.Cas] = ascii('cas');
MODE_NAMES[StoreMode.CasStale] = ascii('cas');
const TRANSPORT_NAMES = ['local', 'tcp', 'udp'].map(ascii);
const REASON_NAMES = ['error', 'normal', 'idle_timeout', 'shutdown'].map(ascii);
const NA = ascii('na');

// memcached's uriencode: letters, digits and -._~ stay, every other byte becomes %XX.
const IS_URI_PLAIN = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const isAlnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  IS_URI_PLAIN[c] = isAlnum || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e ? 1 : 0;
}
const HEX_UPPER = ascii('0123456789ABCDEF');

/** One line being built in a reused buffer. */
export class LineBuilder {
  readonly buf: Buffer;
  len: number;

  constructor(size: number = LINE_MAX) {
    this.buf = Buffer.alloc(size);
    this.len = 0;
  }

  put(piece: Buffer): void {
    // the pieces are short: a byte loop beats Buffer.copy's argument checks
    if (piece.length <= 32) {
      const b = this.buf;
      let at = this.len;
      for (let i = 0; i < piece.length; i++) b[at++] = piece[i]!;
      this.len = at;
    } else {
      piece.copy(this.buf, this.len);
      this.len += piece.length;
    }
  }

  putByte(c: number): void {
    this.buf[this.len++] = c;
  }

  /** A non-negative integer below 2^53, in decimal. */
  putUint(n: number): void {
    if (n > 0x7fffffff) {
      this.putLargeUint(n);
      return;
    }
    // int32 arithmetic for the common case: seconds, microseconds, gids, sizes
    let v = n | 0;
    const digits = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5
      : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
    const b = this.buf;
    let at = this.len + digits;
    this.len = at;
    while (v >= 10) {
      const q = (v / 10) | 0;
      b[--at] = 0x30 + (v - q * 10);
      v = q;
    }
    b[--at] = 0x30 + v;
  }

  private putLargeUint(n: number): void {
    const b = this.buf;
    let digits = 0;
    for (let v = n; v >= 1; v = Math.floor(v / 10)) digits++;
    let at = this.len + digits;
    this.len = at;
    for (let v = n; v >= 1; v = Math.floor(v / 10)) b[--at] = 0x30 + (v % 10);
  }

  putInt(n: number): void {
    if (n < 0) {
      this.buf[this.len++] = 0x2d;
      this.putUint(-n);
    } else {
      this.putUint(n);
    }
  }

  /** src[start, start + len) as memcached's uriencode writes it. */
  putUriEncoded(src: Buffer, start: number, len: number): void {
    const b = this.buf;
    let at = this.len;
    for (let i = start; i < start + len; i++) {
      const c = src[i]!;
      if (IS_URI_PLAIN[c] === 1) {
        b[at++] = c;
      } else {
        b[at++] = 0x25; // %
        b[at++] = HEX_UPPER[c >>> 4]!;
        b[at++] = HEX_UPPER[c & 15]!;
      }
    }
    this.len = at;
  }

  putBytes(src: Buffer, start: number, len: number): void {
    src.copy(this.buf, this.len, start, start + len);
    this.len += len;
  }
}

/** Renders the entry at work[at] as its line (with \n) into line, from the start. */
export function renderEntry(work: Buffer, at: number, line: LineBuilder): void {
  line.len = 0;
  line.put(TS);
  line.putUint(work.readUInt32LE(at + E_SEC));
  line.putByte(0x2e); // '.': memcached prints the microseconds with %d, unpadded
  line.putUint(work.readUInt32LE(at + E_USEC));
  line.put(GID);
  line.putUint(work.readDoubleLE(at + E_GID));
  const tailStart = at + ENTRY_HEADER;
  const tailLen = work[at + E_TAIL_LEN]!;
  const cfd = work.readInt32LE(at + E_CFD);
  switch (work[at + E_KIND]) {
    case EntryKind.ItemGet:
      line.put(T_ITEM_GET);
      line.putUriEncoded(work, tailStart, tailLen);
      line.put(STATUS);
      line.put(LOOKUP_NAMES[work[at + E_A]!]!);
      line.put(CLSID);
      line.putUint(work.readInt32LE(at + E_CLSID));
      line.put(CFD);
      line.putInt(cfd);
      line.put(SIZE);
      line.putUint(work.readInt32LE(at + E_VLEN));
      break;
    case EntryKind.ItemStore: {
      line.put(T_ITEM_STORE);
      line.putUriEncoded(work, tailStart, tailLen);
      line.put(STATUS);
      line.put(RESULT_NAMES[work[at + E_A]!]!);
      line.put(CMD);
      line.put(MODE_NAMES[work[at + E_B]!] ?? NA);
      line.put(TTL);
      line.putUint(work.readDoubleLE(at + E_TTL));
      line.put(CLSID);
      const clsid = work.readInt32LE(at + E_CLSID);
      // A store refused before allocation: memcached's text path passes its arguments shifted
      // by one there, so the fd lands in the uint8 class slot (the cfd it prints is garbage).
      line.putUint(clsid < 0 ? cfd & 0xff : clsid);
      line.put(CFD);
      line.putInt(cfd);
      line.put(SIZE);
      line.putUint(work.readInt32LE(at + E_VLEN));
      break;
    }
    case EntryKind.Eviction:
      line.put(T_EVICTION);
      line.putUriEncoded(work, tailStart, tailLen);
      line.put(work[at + E_A] === 1 ? FETCH_YES : FETCH_NO);
      line.put(TTL);
      line.putInt(work.readDoubleLE(at + E_TTL));
      line.put(LA);
      line.putInt(work.readInt32LE(at + E_LA));
      line.put(CLSID);
      line.putUint(work.readInt32LE(at + E_CLSID));
      line.put(SIZE);
      line.putUint(work.readInt32LE(at + E_VLEN));
      break;
    case EntryKind.ConnNew:
    case EntryKind.ConnClose: {
      const isNew = work[at + E_KIND] === EntryKind.ConnNew;
      line.put(isNew ? T_CONN_NEW : T_CONN_CLOSE);
      line.putBytes(work, tailStart, tailLen);
      line.put(RPORT);
      line.putUint(work.readInt32LE(at + E_PORT));
      line.put(TRANSPORT);
      line.put(TRANSPORT_NAMES[work[at + E_A]!]!);
      if (!isNew) {
        line.put(REASON);
        line.put(REASON_NAMES[work[at + E_B]!]!);
      }
      line.put(CFD);
      line.putInt(cfd);
      break;
    }
    default:
      throw new Error('watch: unknown log entry kind ' + String(work[at + E_KIND]));
  }
  line.putByte(0x0a);
}

/** Writes `skipped=N\n` at dst[at]; returns its length (at most 26 bytes). */
export function writeSkipped(dst: Buffer, at: number, skipped: number, line: LineBuilder): number {
  line.len = 0;
  line.put(SKIPPED);
  line.putUint(skipped);
  line.putByte(0x0a);
  line.buf.copy(dst, at, 0, line.len);
  return line.len;
}
