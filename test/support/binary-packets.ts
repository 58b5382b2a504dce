// Binary protocol packets for tests: requests (well-formed, or with lying length fields),
// responses as memcached writes them, and a response stream split into packets.

export interface Req {
  key?: string | Buffer;
  ext?: Buffer;
  value?: string | Buffer;
  opaque?: number;
  cas?: bigint;
  /** These four override the header's fields, for a packet whose lengths lie. */
  keyLen?: number;
  extLen?: number;
  bodyLen?: number;
  magic?: number;
}

function bytes(x: string | Buffer | undefined): Buffer {
  if (x === undefined) return Buffer.alloc(0);
  return typeof x === 'string' ? Buffer.from(x, 'latin1') : x;
}

/** A request packet (opaque 0xdeadbeef unless given). */
export function req(opcode: number, r: Req = {}): Buffer {
  const key = bytes(r.key);
  const ext = r.ext ?? Buffer.alloc(0);
  const value = bytes(r.value);
  const h = Buffer.alloc(24);
  h[0] = r.magic ?? 0x80;
  h[1] = opcode;
  h.writeUInt16BE(r.keyLen ?? key.length, 2);
  h[4] = r.extLen ?? ext.length;
  h.writeUInt32BE(r.bodyLen ?? key.length + ext.length + value.length, 8);
  h.writeUInt32BE(r.opaque ?? 0xdeadbeef, 12);
  h.writeBigUInt64BE(r.cas ?? 0n, 16);
  return Buffer.concat([h, ext, key, value]);
}

export function u32(...n: number[]): Buffer {
  const b = Buffer.alloc(4 * n.length);
  n.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

export function deltaExt(delta: bigint, initial: bigint, exptime: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeBigUInt64BE(delta, 0);
  b.writeBigUInt64BE(initial, 8);
  b.writeUInt32BE(exptime >>> 0, 16);
  return b;
}

export interface Res {
  magic: number;
  opcode: number;
  keyLen: number;
  extLen: number;
  datatype: number;
  status: number;
  bodyLen: number;
  opaque: number;
  cas: bigint;
  ext: Buffer;
  key: Buffer;
  value: Buffer;
}

/** Splits a response stream into packets; throws on a truncated one. */
export function parseResponses(buf: Buffer): Res[] {
  const out: Res[] = [];
  let p = 0;
  while (p < buf.length) {
    if (buf.length - p < 24) throw new Error(`truncated header at ${p}`);
    const keyLen = buf.readUInt16BE(p + 2);
    const extLen = buf[p + 4]!;
    const bodyLen = buf.readUInt32BE(p + 8);
    if (buf.length - p < 24 + bodyLen) throw new Error(`truncated body at ${p}`);
    const b = p + 24;
    out.push({
      magic: buf[p]!,
      opcode: buf[p + 1]!,
      keyLen,
      extLen,
      datatype: buf[p + 5]!,
      status: buf.readUInt16BE(p + 6),
      bodyLen,
      opaque: buf.readUInt32BE(p + 12),
      cas: buf.readBigUInt64BE(p + 16),
      ext: buf.subarray(b, b + extLen),
      key: buf.subarray(b + extLen, b + extLen + keyLen),
      value: buf.subarray(b + extLen + keyLen, b + bodyLen),
    });
    p = b + bodyLen;
  }
  return out;
}

/** A response as memcached writes it. */
export function res(opcode: number, status: number, r: { ext?: Buffer; key?: string | Buffer; value?: string | Buffer; cas?: bigint; opaque?: number } = {}): Buffer {
  const key = bytes(r.key);
  const ext = r.ext ?? Buffer.alloc(0);
  const value = bytes(r.value);
  const h = Buffer.alloc(24);
  h[0] = 0x81;
  h[1] = opcode;
  h.writeUInt16BE(key.length, 2);
  h[4] = ext.length;
  h.writeUInt16BE(status, 6);
  h.writeUInt32BE(key.length + ext.length + value.length, 8);
  h.writeUInt32BE(r.opaque ?? 0xdeadbeef, 12);
  h.writeBigUInt64BE(r.cas ?? 0n, 16);
  return Buffer.concat([h, ext, key, value]);
}
