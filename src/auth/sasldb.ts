// Read-only reader for the Berkeley DB Hash file that Cyrus `saslpasswd2` writes (Debian 12:
// Berkeley DB 5.3, hash version 9). Written from the on-disk format: a metadata page, bucket
// pages chained through next_pgno, items in key/data pairs, long items on overflow pages.
// Keys look like `user\0realm\0property`; for `userPassword` the value is the plaintext password.
// Runs at start-up and reload only, so bad input throws a SasldbFormatError.

import { readFileSync } from 'node:fs';

export type SasldbEntry = {
  user: string;
  realm: string;
  property: string;
  value: Buffer;
};

export class SasldbFormatError extends Error {
  readonly code = 'ERR_SASLDB_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'SasldbFormatError';
  }
}

/** Metadata-page magic numbers (offset 12), as the creating host wrote them. */
export const BdbMagic = {
  Hash: 0x061561,
  Btree: 0x053162,
  Queue: 0x042253,
  Heap: 0x074582,
} as const;

/** Page types (byte 25 of every page header). */
const PageType = {
  Invalid: 0, // P_INVALID: a freed page, or a bucket page never written (all zero)
  HashUnsorted: 2, // P_HASH_UNSORTED (P_HASH before DB 4.6)
  Overflow: 7, // P_OVERFLOW
  HashMeta: 8, // P_HASHMETA
  Hash: 13, // P_HASH (sorted, DB 4.6+)
} as const;

/** First byte of each item on a hash page. */
const ItemType = {
  KeyData: 1, // H_KEYDATA: bytes follow
  Duplicate: 2, // H_DUPLICATE: on-page duplicate set
  OffPage: 3, // H_OFFPAGE: { type, pad[3], pgno u32, tlen u32 } -> overflow chain
  OffDup: 4, // H_OFFDUP: off-page duplicate tree
} as const;

// Generic metadata header (DBMETA), byte offsets.
const META_MAGIC = 12;
const META_VERSION = 16;
const META_PAGESIZE = 20;
const META_ENCRYPT_ALG = 24;
const META_TYPE = 25;
const META_METAFLAGS = 26;
const META_FLAGS = 48;
// Hash metadata (HMETA) after DBMETA.
const HMETA_MAX_BUCKET = 72;
const HMETA_SPARES = 96;
const HMETA_SPARES_COUNT = 32;

const METAFLAG_CHKSUM = 0x01;
const HASH_FLAG_SUBDB = 0x02;

// Page header (PAGE), byte offsets; item index array follows the header.
const PAGE_PGNO = 8;
const PAGE_NEXT_PGNO = 16;
const PAGE_ENTRIES = 20;
const PAGE_HF_OFFSET = 22; // on overflow pages: bytes of data held by this page
const PAGE_TYPE = 25;
const PAGE_HEADER_LEN = 26;
const PAGE_HEADER_CHKSUM_LEN = 32; // header + { pad[2], chksum[4] } when checksums are on

const PGNO_INVALID = 0;
const MIN_VERSION = 7; // DB 3.2
const MAX_VERSION = 10; // DB 6.x
const OFFPAGE_ITEM_LEN = 12;

type Layout = {
  file: Buffer;
  pageSize: number;
  pageCount: number;
  headerLen: number;
  littleEndian: boolean;
};

export function loadSasldb(path: string): SasldbEntry[] {
  const file = readFileSync(path);
  try {
    return parseSasldb(file);
  } catch (e: unknown) {
    if (e instanceof SasldbFormatError) throw new SasldbFormatError(`${path}: ${e.message}`);
    throw e;
  }
}

export function parseSasldb(file: Buffer): SasldbEntry[] {
  const layout = readLayout(file);
  const entries: SasldbEntry[] = [];
  for (const [key, value] of readPairs(layout)) {
    const entry = splitKey(key, value);
    if (entry !== null) entries.push(entry);
  }
  return entries;
}

/** Every key/value pair of a hash database, raw, in bucket order. */
export function readHashPairs(file: Buffer): Array<[Buffer, Buffer]> {
  return readPairs(readLayout(file));
}

function readLayout(file: Buffer): Layout {
  if (file.length < 512) throw new SasldbFormatError('not a Berkeley DB file (too short)');
  const le = file.readUInt32LE(META_MAGIC);
  const be = file.readUInt32BE(META_MAGIC);
  let littleEndian: boolean;
  if (le === BdbMagic.Hash) littleEndian = true;
  else if (be === BdbMagic.Hash) littleEndian = false;
  else if (isOtherBdbMagic(le) || isOtherBdbMagic(be)) {
    throw new SasldbFormatError('Berkeley DB file is not of the Hash type');
  } else {
    throw new SasldbFormatError('not a Berkeley DB Hash file (bad magic)');
  }
  const u32 = (off: number): number => (littleEndian ? file.readUInt32LE(off) : file.readUInt32BE(off));
  const version = u32(META_VERSION);
  if (version < MIN_VERSION || version > MAX_VERSION) {
    throw new SasldbFormatError(`unsupported Berkeley DB hash version ${version}`);
  }
  const pageSize = u32(META_PAGESIZE);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw new SasldbFormatError(`bad page size ${pageSize}`);
  }
  if (file[META_ENCRYPT_ALG] !== 0) throw new SasldbFormatError('encrypted databases are not supported');
  if (file[META_TYPE] !== PageType.HashMeta) throw new SasldbFormatError('first page is not a hash metadata page');
  if ((u32(META_FLAGS) & HASH_FLAG_SUBDB) !== 0) {
    throw new SasldbFormatError('databases holding sub-databases are not supported');
  }
  // Berkeley DB writes whole pages: anything else is a file cut short (a copy that failed
  // half way, a full disk), whose missing pages would silently drop users.
  if (file.length % pageSize !== 0) {
    throw new SasldbFormatError(`truncated: ${file.length} bytes is not a whole number of ${pageSize}-byte pages`);
  }
  const metaflags = file[META_METAFLAGS] ?? 0;
  return {
    file,
    pageSize,
    pageCount: Math.floor(file.length / pageSize),
    headerLen: (metaflags & METAFLAG_CHKSUM) !== 0 ? PAGE_HEADER_CHKSUM_LEN : PAGE_HEADER_LEN,
    littleEndian,
  };
}

function isOtherBdbMagic(m: number): boolean {
  return m === BdbMagic.Btree || m === BdbMagic.Queue || m === BdbMagic.Heap;
}

function u32At(l: Layout, off: number): number {
  return l.littleEndian ? l.file.readUInt32LE(off) : l.file.readUInt32BE(off);
}

function u16At(l: Layout, off: number): number {
  return l.littleEndian ? l.file.readUInt16LE(off) : l.file.readUInt16BE(off);
}

/** Smallest i with 2^i >= n: which doubling a bucket belongs to. */
function ceilLog2(n: number): number {
  let i = 0;
  for (let limit = 1; limit < n; limit *= 2) i++;
  return i;
}

function readPairs(l: Layout): Array<[Buffer, Buffer]> {
  const maxBucket = u32At(l, HMETA_MAX_BUCKET);
  if (maxBucket >= l.pageCount) throw new SasldbFormatError(`max bucket ${maxBucket} beyond end of file`);
  const pairs: Array<[Buffer, Buffer]> = [];
  const seen = new Set<number>();
  for (let bucket = 0; bucket <= maxBucket; bucket++) {
    const doubling = ceilLog2(bucket + 1);
    if (doubling >= HMETA_SPARES_COUNT) throw new SasldbFormatError('bucket number out of range');
    let pgno = bucket + u32At(l, HMETA_SPARES + 4 * doubling);
    let first = true;
    while (pgno !== PGNO_INVALID) {
      if (seen.has(pgno)) throw new SasldbFormatError(`page ${pgno} reached twice`);
      seen.add(pgno);
      // A bucket page past the end of the file was never written: an empty bucket.
      if (pgno >= l.pageCount) {
        if (first) break;
        throw new SasldbFormatError(`page ${pgno} beyond end of file`);
      }
      const base = pgno * l.pageSize;
      const type = l.file[base + PAGE_TYPE];
      if (type === PageType.Invalid && first) break; // never-initialised bucket page
      if (type !== PageType.Hash && type !== PageType.HashUnsorted) {
        throw new SasldbFormatError(`page ${pgno}: expected a hash page, found type ${String(type)}`);
      }
      if (u32At(l, base + PAGE_PGNO) !== pgno) throw new SasldbFormatError(`page ${pgno}: wrong page number`);
      readHashPage(l, base, pgno, pairs);
      pgno = u32At(l, base + PAGE_NEXT_PGNO);
      first = false;
    }
  }
  return pairs;
}

function readHashPage(l: Layout, base: number, pgno: number, out: Array<[Buffer, Buffer]>): void {
  const entries = u16At(l, base + PAGE_ENTRIES);
  if (entries % 2 !== 0) throw new SasldbFormatError(`page ${pgno}: odd item count ${entries}`);
  if (l.headerLen + 2 * entries > l.pageSize) throw new SasldbFormatError(`page ${pgno}: item count too large`);
  // Items grow down from the page end; item i ends where item i-1 starts.
  let end = l.pageSize;
  let key: Buffer | null = null;
  for (let i = 0; i < entries; i++) {
    const start = u16At(l, base + l.headerLen + 2 * i);
    if (start < l.headerLen + 2 * entries || start >= end) {
      throw new SasldbFormatError(`page ${pgno}: item ${i} has a bad offset`);
    }
    const item = l.file.subarray(base + start, base + end);
    end = start;
    if (i % 2 === 0) {
      key = readItem(l, item, pgno);
      if (key === null) throw new SasldbFormatError(`page ${pgno}: unexpected item type for a key`);
      continue;
    }
    if (key === null) continue;
    if (item[0] === ItemType.Duplicate) {
      for (const dup of readOnPageDuplicates(l, item, pgno)) out.push([key, dup]);
      continue;
    }
    const value = readItem(l, item, pgno);
    if (value !== null) out.push([key, value]); // off-page duplicate trees are skipped
  }
}

/** H_KEYDATA or H_OFFPAGE as a Buffer; null for duplicate sets kept off the page. */
function readItem(l: Layout, item: Buffer, pgno: number): Buffer | null {
  switch (item[0]) {
    case ItemType.KeyData:
      return Buffer.from(item.subarray(1));
    case ItemType.OffPage: {
      if (item.length < OFFPAGE_ITEM_LEN) throw new SasldbFormatError(`page ${pgno}: short off-page item`);
      const first = l.littleEndian ? item.readUInt32LE(4) : item.readUInt32BE(4);
      const totalLen = l.littleEndian ? item.readUInt32LE(8) : item.readUInt32BE(8);
      return readOverflow(l, first, totalLen);
    }
    case ItemType.OffDup:
      return null;
    default:
      throw new SasldbFormatError(`page ${pgno}: unknown item type ${String(item[0])}`);
  }
}

/** On-page duplicates: repeated { len u16, bytes[len], len u16 }. */
function readOnPageDuplicates(l: Layout, item: Buffer, pgno: number): Buffer[] {
  const dups: Buffer[] = [];
  let off = 1;
  while (off < item.length) {
    if (off + 2 > item.length) throw new SasldbFormatError(`page ${pgno}: truncated duplicate`);
    const len = l.littleEndian ? item.readUInt16LE(off) : item.readUInt16BE(off);
    const dataEnd = off + 2 + len;
    if (dataEnd + 2 > item.length) throw new SasldbFormatError(`page ${pgno}: truncated duplicate`);
    dups.push(Buffer.from(item.subarray(off + 2, dataEnd)));
    off = dataEnd + 2;
  }
  return dups;
}

function readOverflow(l: Layout, firstPgno: number, totalLen: number): Buffer {
  const out = Buffer.alloc(totalLen);
  let filled = 0;
  let pgno = firstPgno;
  const seen = new Set<number>();
  while (filled < totalLen) {
    if (pgno === PGNO_INVALID || pgno >= l.pageCount) {
      throw new SasldbFormatError(`overflow chain broken at page ${pgno}`);
    }
    if (seen.has(pgno)) throw new SasldbFormatError(`overflow page ${pgno} reached twice`);
    seen.add(pgno);
    const base = pgno * l.pageSize;
    if (l.file[base + PAGE_TYPE] !== PageType.Overflow) {
      throw new SasldbFormatError(`page ${pgno}: expected an overflow page`);
    }
    const len = u16At(l, base + PAGE_HF_OFFSET);
    if (len > l.pageSize - l.headerLen || filled + len > totalLen) {
      throw new SasldbFormatError(`overflow page ${pgno}: bad length ${len}`);
    }
    l.file.copy(out, filled, base + l.headerLen, base + l.headerLen + len);
    filled += len;
    pgno = u32At(l, base + PAGE_NEXT_PGNO);
  }
  return out;
}

/** `user\0realm\0property`; keys of another shape are not sasldb entries and are skipped. */
function splitKey(key: Buffer, value: Buffer): SasldbEntry | null {
  const a = key.indexOf(0);
  if (a < 0) return null;
  const b = key.indexOf(0, a + 1);
  if (b < 0) return null;
  return {
    user: key.toString('utf8', 0, a),
    realm: key.toString('utf8', a + 1, b),
    property: key.toString('utf8', b + 1),
    value,
  };
}
