// A tiny writer of Berkeley DB Hash files (one bucket, chained pages, overflow pages, on-page
// duplicates), for parser tests that must run without the Berkeley DB tools and for the error
// paths real tools never produce. Real files from saslpasswd2/db_load are tested separately.

export type BuildOptions = {
  pairs: ReadonlyArray<readonly [Buffer, Buffer | readonly Buffer[]]>;
  littleEndian?: boolean;
  pageSize?: number;
  checksum?: boolean;
  /** Items longer than this many bytes go to overflow pages. */
  overflowOver?: number;
};

const HASH_MAGIC = 0x061561;
const P_HASH = 13;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;

export function buildHashDb(o: BuildOptions): Buffer {
  const pageSize = o.pageSize ?? 4096;
  const le = o.littleEndian ?? true;
  const headerLen = o.checksum === true ? 32 : 26;
  const overflowOver = o.overflowOver ?? pageSize / 4;
  const pages: Buffer[] = [Buffer.alloc(pageSize)];
  const u32 = (b: Buffer, off: number, v: number): void => {
    if (le) b.writeUInt32LE(v, off);
    else b.writeUInt32BE(v, off);
  };
  const u16 = (b: Buffer, off: number, v: number): void => {
    if (le) b.writeUInt16LE(v, off);
    else b.writeUInt16BE(v, off);
  };
  const newPage = (type: number): number => {
    const pgno = pages.length;
    const page = Buffer.alloc(pageSize);
    u32(page, 8, pgno);
    page[25] = type;
    pages.push(page);
    return pgno;
  };
  const writeOverflow = (data: Buffer): number => {
    const room = pageSize - headerLen;
    let first = 0;
    let prev = 0;
    for (let off = 0; off < data.length || first === 0; off += room) {
      const pgno = newPage(P_OVERFLOW);
      const page = pages[pgno] as Buffer;
      const chunk = data.subarray(off, off + room);
      chunk.copy(page, headerLen);
      u16(page, 20, 1);
      u16(page, 22, chunk.length);
      if (prev !== 0) {
        u32(page, 12, prev);
        u32(pages[prev] as Buffer, 16, pgno);
      } else first = pgno;
      prev = pgno;
    }
    return first;
  };
  const item = (data: Buffer): Buffer => {
    if (data.length <= overflowOver) return Buffer.concat([Buffer.from([1]), data]);
    const off = Buffer.alloc(12);
    off[0] = 3;
    u32(off, 4, writeOverflow(data));
    u32(off, 8, data.length);
    return off;
  };
  const dupItem = (dups: readonly Buffer[]): Buffer => {
    const parts: Buffer[] = [Buffer.from([2])];
    for (const d of dups) {
      const len = Buffer.alloc(2);
      u16(len, 0, d.length);
      parts.push(len, d, len);
    }
    return Buffer.concat(parts);
  };

  let current = newPage(P_HASH);
  let count = 0;
  let top = pageSize;
  for (const [key, value] of o.pairs) {
    const k = item(key);
    const v = Array.isArray(value) ? dupItem(value) : item(value as Buffer);
    if (top - k.length - v.length < headerLen + 2 * (count + 2)) {
      const next = newPage(P_HASH);
      u32(pages[current] as Buffer, 16, next);
      u32(pages[next] as Buffer, 12, current);
      current = next;
      count = 0;
      top = pageSize;
    }
    const page = pages[current] as Buffer;
    for (const it of [k, v]) {
      top -= it.length;
      it.copy(page, top);
      u16(page, headerLen + 2 * count, top);
      count++;
    }
    u16(page, 20, count);
    u16(page, 22, top);
  }

  const meta = pages[0] as Buffer;
  u32(meta, 8, 0);
  u32(meta, 12, HASH_MAGIC);
  u32(meta, 16, 9);
  u32(meta, 20, pageSize);
  meta[25] = P_HASHMETA;
  meta[26] = o.checksum === true ? 1 : 0;
  u32(meta, 32, pages.length - 1);
  u32(meta, 72, 0); // max_bucket
  u32(meta, 96, 1); // spares[0]: bucket 0 is page 1
  return Buffer.concat(pages);
}
