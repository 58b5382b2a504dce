// Seeded generators for the fuzz tests: valid text, meta and binary requests over a small key
// space, mutations of them (byte flips, truncations, duplicated and garbage tokens, huge
// numbers, lying lengths), and a run of one input on a fresh session of a shared context.
import { makeTestContext, makeSession, type TestContext } from '../support/context.js';
import { feed } from '../support/session-driver.js';
import type { SeededRandom } from '../support/random.js';
import { req } from '../support/binary-packets.js';
import type { Settings } from '../../src/config/settings.js';

const KEYS = ['k0', 'k1', 'k2', 'n0', 'n1', 'a_longer_key_with_some_length_to_it'];
const SENTINEL = 'zz-fuzz-sentinel';

function key(r: SeededRandom): string {
  return r.pick(KEYS);
}

/** A value of 0-24 bytes: printable, numeric (for incr), or arbitrary bytes incl. \r\n. */
function value(r: SeededRandom): Buffer {
  switch (r.int(3)) {
    case 0:
      return Buffer.from(String(r.int(1_000_000)));
    case 1:
      return Buffer.from('v'.repeat(r.int(25)));
    default:
      return r.bytes(r.int(25));
  }
}

function cat(...parts: Array<string | Buffer>): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
}

/** One valid classic text request (no time-dependent output: exptimes are 0). */
export function textRequest(r: SeededRandom): Buffer {
  const nr = r.chance(0.15) ? ' noreply' : '';
  switch (r.int(14)) {
    case 0:
    case 1: {
      const v = value(r);
      const verb = r.pick(['set', 'add', 'replace', 'append', 'prepend']);
      return cat(`${verb} ${key(r)} ${r.int(70000)} 0 ${v.length}${nr}\r\n`, v, '\r\n');
    }
    case 2: {
      const v = value(r);
      return cat(`cas ${key(r)} 0 0 ${v.length} ${1 + r.int(12)}${nr}\r\n`, v, '\r\n');
    }
    case 3:
    case 4: {
      const n = 1 + r.int(4);
      const keys = Array.from({ length: n }, () => key(r)).join(' ');
      return cat(`${r.pick(['get', 'gets'])} ${keys}\r\n`);
    }
    case 5:
      return cat(`${r.pick(['gat', 'gats'])} 0 ${key(r)} ${key(r)}\r\n`);
    case 6:
      return cat(`delete ${key(r)}${nr}\r\n`);
    case 7:
      return cat(`${r.pick(['incr', 'decr'])} ${key(r)} ${r.pick(['1', '7', '18446744073709551615', '0'])}${nr}\r\n`);
    case 8:
      return cat(`touch ${key(r)} 0${nr}\r\n`);
    case 9:
      return cat('version\r\n');
    case 10:
      return cat(`get ${SENTINEL}\r\n`);
    case 11:
      return cat(`set ${key(r)} 0 0 0\r\n\r\n`);
    case 12:
      return cat('mn\r\n');
    default:
      return metaRequest(r);
  }
}

/** One valid meta request (no l / me: they depend on the clock). */
export function metaRequest(r: SeededRandom): Buffer {
  const q = r.chance(0.15) ? ' q' : '';
  const opaque = r.chance(0.3) ? ` O${r.int(1000)}` : '';
  switch (r.int(6)) {
    case 0: {
      const flags = ['v', 'k', 'c', 'f', 's', 't', 'h'].filter(() => r.chance(0.4)).join(' ');
      return cat(`mg ${key(r)} ${flags}${q}${opaque}\r\n`);
    }
    case 1: {
      const v = value(r);
      const mode = r.chance(0.4) ? ` M${r.pick(['E', 'A', 'P', 'R', 'S'])}` : '';
      const extra = r.chance(0.3) ? ` F${r.int(100)}` : '';
      const cas = r.chance(0.2) ? ` C${1 + r.int(10)}` : '';
      return cat(`ms ${key(r)} ${v.length}${mode}${extra}${cas}${r.chance(0.3) ? ' c k' : ''}${q}${opaque}\r\n`, v, '\r\n');
    }
    case 2:
      return cat(`md ${key(r)}${r.chance(0.3) ? ' k' : ''}${q}${opaque}\r\n`);
    case 3: {
      const mode = r.chance(0.5) ? ` M${r.pick(['I', 'D', '+', '-'])}` : '';
      const auto = r.chance(0.4) ? ` N0 J${r.int(100)}` : '';
      return cat(`ma ${key(r)}${mode}${auto} D${r.int(50)} v${q}${opaque}\r\n`);
    }
    case 4:
      return cat(`mg ${Buffer.from(key(r)).toString('base64')} b k v\r\n`);
    default:
      return cat('mn\r\n');
  }
}

// Binary opcodes used by the generator.
const OP = { Get: 0x00, Set: 0x01, Add: 0x02, Replace: 0x03, Delete: 0x04, Incr: 0x05, Decr: 0x06, GetQ: 0x09, Noop: 0x0a, Version: 0x0b, GetK: 0x0c, GetKQ: 0x0d, Append: 0x0e, Prepend: 0x0f, SetQ: 0x11, DeleteQ: 0x14, Touch: 0x1c, Gat: 0x1d } as const;

function binaryPacket(opcode: number, key: Buffer, ext: Buffer, value: Buffer, opaque: number, cas = 0n): Buffer {
  return req(opcode, { key, ext, value, opaque: opaque >>> 0, cas });
}

/** One valid binary request. */
export function binaryRequest(r: SeededRandom): Buffer {
  const k = Buffer.from(key(r));
  const none = Buffer.alloc(0);
  const opaque = r.int(0x7fffffff);
  switch (r.int(11)) {
    case 0:
    case 1: {
      const ext = Buffer.alloc(8);
      ext.writeUInt32BE(r.int(1000), 0);
      return binaryPacket(r.pick([OP.Set, OP.Add, OP.Replace, OP.SetQ]), k, ext, value(r), opaque, r.chance(0.2) ? BigInt(1 + r.int(10)) : 0n);
    }
    case 2:
    case 3:
      return binaryPacket(r.pick([OP.Get, OP.GetQ, OP.GetK, OP.GetKQ]), k, none, none, opaque);
    case 4:
      return binaryPacket(r.pick([OP.Delete, OP.DeleteQ]), k, none, none, opaque);
    case 5: {
      const ext = Buffer.alloc(20);
      ext.writeBigUInt64BE(BigInt(r.int(100)), 0);
      ext.writeBigUInt64BE(BigInt(r.int(100)), 8);
      ext.writeUInt32BE(r.chance(0.5) ? 0 : 0xffffffff, 16);
      return binaryPacket(r.pick([OP.Incr, OP.Decr]), k, ext, none, opaque);
    }
    case 6:
      return binaryPacket(r.pick([OP.Append, OP.Prepend]), k, none, value(r), opaque);
    case 7: {
      const ext = Buffer.alloc(4);
      return binaryPacket(r.pick([OP.Touch, OP.Gat]), k, ext, none, opaque);
    }
    case 8:
      return binaryPacket(OP.Noop, none, none, none, opaque);
    case 9:
      return binaryPacket(OP.Version, none, none, none, opaque);
    default:
      return binaryPacket(OP.Get, Buffer.from(SENTINEL), none, none, opaque);
  }
}

export type Protocol = 'text' | 'meta' | 'binary';

/** A sequence of 1..n valid requests of one protocol, concatenated. */
export function validSequence(r: SeededRandom, proto: Protocol, n: number): Buffer {
  const gen = proto === 'text' ? textRequest : proto === 'meta' ? metaRequest : binaryRequest;
  const parts: Buffer[] = [];
  const count = 1 + r.int(n);
  for (let i = 0; i < count; i++) parts.push(gen(r));
  return Buffer.concat(parts);
}

const HUGE = ['18446744073709551616', '18446744073709551615', '99999999999999999999999999', '-1', '4294967296', '2147483648', '-9223372036854775808', '1e9', '0x10', ''];
const GARBAGE_TOKENS = ['get', 'set', 'noreply', 'mg', 'ms', 'HTTP/1.1', 'T-1', 'N99999999999', 'O' + 'x'.repeat(40), 'b', 'q', '\0', 'k'.repeat(251), 'gets', 'M', 'Mx', 'S1', 'C', '\r', '\n'];

/** One mutation of a valid sequence. */
export function mutate(r: SeededRandom, input: Buffer, proto: Protocol): Buffer {
  const b = Buffer.from(input);
  switch (r.int(9)) {
    case 0: {
      // byte flips
      const n = 1 + r.int(4);
      for (let i = 0; i < n && b.length > 0; i++) b[r.int(b.length)] = r.int(256);
      return b;
    }
    case 1:
      // truncation
      return b.subarray(0, r.int(b.length + 1));
    case 2: {
      // a duplicated stretch
      const a = r.int(b.length + 1);
      const e = a + r.int(Math.min(40, b.length - a) + 1);
      const at = r.int(b.length + 1);
      return Buffer.concat([b.subarray(0, at), b.subarray(a, e), b.subarray(at)]);
    }
    case 3: {
      // a garbage token at a space
      const spaces: number[] = [];
      for (let i = 0; i < b.length; i++) if (b[i] === 0x20) spaces.push(i);
      const at = spaces.length > 0 ? r.pick(spaces) : r.int(b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from(' ' + r.pick(GARBAGE_TOKENS), 'latin1'), b.subarray(at)]);
    }
    case 4: {
      // a huge / negative / odd number in place of a digit run (text), or a field (binary)
      if (proto === 'binary') return lyingBinary(r, b);
      const runs: Array<[number, number]> = [];
      for (let i = 0; i < b.length; ) {
        if (b[i]! >= 0x30 && b[i]! <= 0x39) {
          let j = i;
          while (j < b.length && b[j]! >= 0x30 && b[j]! <= 0x39) j++;
          runs.push([i, j]);
          i = j;
        } else i++;
      }
      if (runs.length === 0) return b;
      const [s, e] = r.pick(runs);
      return Buffer.concat([b.subarray(0, s), Buffer.from(r.pick(HUGE)), b.subarray(e)]);
    }
    case 5: {
      // lying length: a text <bytes> / datalen off by a little
      if (proto === 'binary') return lyingBinary(r, b);
      const text = b.toString('latin1');
      const m = /^(set|add|replace|append|prepend|cas|ms) (\S+) (?:(\d+) (\d+) )?(\d+)/m.exec(text);
      if (m === null) return b;
      const len = Number(m[5]);
      const lie = Math.max(0, len + r.pick([-3, -1, 1, 2, 5, 100, 1 << 20]));
      const at = m.index + m[0].length - m[5]!.length;
      return Buffer.concat([b.subarray(0, at), Buffer.from(String(lie)), b.subarray(at + m[5]!.length)]);
    }
    case 6: {
      // random bytes spliced in
      const at = r.int(b.length + 1);
      return Buffer.concat([b.subarray(0, at), r.bytes(1 + r.int(30)), b.subarray(at)]);
    }
    case 7: {
      // a line terminator removed or doubled
      const nls: number[] = [];
      for (let i = 0; i < b.length; i++) if (b[i] === 0x0a) nls.push(i);
      if (nls.length === 0) return b;
      const at = r.pick(nls);
      return r.chance(0.5) ? Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]) : Buffer.concat([b.subarray(0, at), Buffer.from('\r\n\n'), b.subarray(at)]);
    }
    default:
      // pure garbage
      return r.bytes(1 + r.int(200));
  }
}

/** Binary: a header field of one packet replaced by a lie (keylen, extlen, bodylen, magic). */
function lyingBinary(r: SeededRandom, b: Buffer): Buffer {
  // find packet starts
  const starts: number[] = [];
  for (let p = 0; p + 24 <= b.length; ) {
    starts.push(p);
    p += 24 + b.readUInt32BE(p + 8);
  }
  if (starts.length === 0) return b;
  const p = r.pick(starts);
  switch (r.int(5)) {
    case 0:
      b.writeUInt16BE(r.pick([0, 1, 250, 251, 0xffff, b.readUInt16BE(p + 2) + 1]), p + 2);
      break;
    case 1:
      b[p + 4] = r.pick([0, 4, 8, 20, 255, b[p + 4]! + 1]);
      break;
    case 2:
      b.writeUInt32BE(r.pick([0, 1, 0xffffffff, 0x7fffffff, 2 * 1024 * 1024, b.readUInt32BE(p + 8) + 1, Math.max(0, b.readUInt32BE(p + 8) - 1)]), p + 8);
      break;
    case 3:
      b[p] = r.pick([0x81, 0x00, 0x7f]);
      break;
    default:
      b[p + 1] = r.int(256);
  }
  return b;
}

export interface RunResult {
  out: Buffer;
  action: number;
  /** The session ended between requests: no partial line, value block or yield pending. */
  idle: boolean;
}

export const FUZZ_SETTINGS: Partial<Settings> = { memLimitBytes: 8 * 1024 * 1024 };

/** A fresh server context with the sentinel stored (through its own session). */
export function freshContext(settings: Partial<Settings> = FUZZ_SETTINGS): TestContext {
  const ctx = makeTestContext({ settings });
  const s = makeSession(ctx);
  const got = feed(s, [Buffer.from(`set ${SENTINEL} 77 0 6\r\nintact\r\n`)]).out.toString();
  if (got !== 'STORED\r\n') throw new Error('sentinel: ' + got);
  s.onClose();
  ctx.sessions.delete(s);
  return ctx;
}

/** Feeds chunks to a new session of ctx as net/ would; returns what the socket would see. */
export function drive(ctx: TestContext, chunks: readonly Buffer[]): RunResult {
  const s = makeSession(ctx);
  const { out, action } = feed(s, chunks);
  const idle = s.pendingInputBytes === 0 && s.stateName === 'conn_new_cmd' && !s.hasYielded;
  s.onClose();
  ctx.sessions.delete(s);
  return { out, action, idle };
}

/** After anything: a fresh session works and the sentinel is intact. */
export function checkHealthy(ctx: TestContext): string | null {
  const probe = drive(ctx, [Buffer.from(`get ${SENTINEL}\r\nset zz-probe 0 0 5\r\nhello\r\nget zz-probe\r\nmn\r\n`)]);
  const want = `VALUE ${SENTINEL} 77 6\r\nintact\r\nEND\r\nSTORED\r\nVALUE zz-probe 0 5\r\nhello\r\nEND\r\nMN\r\n`;
  if (probe.out.toString('latin1') !== want) return 'probe got ' + JSON.stringify(probe.out.toString('latin1'));
  const bin = drive(ctx, [binaryPacket(OP.GetK, Buffer.from(SENTINEL), Buffer.alloc(0), Buffer.alloc(0), 7)]);
  if (bin.out.length < 24 || bin.out.readUInt16BE(6) !== 0 || !bin.out.subarray(bin.out.length - 6).equals(Buffer.from('intact'))) {
    return 'binary probe got ' + bin.out.toString('hex');
  }
  return null;
}

/** Splits at one offset. */
export function splitAt(b: Buffer, k: number): Buffer[] {
  return [b.subarray(0, k), b.subarray(k)];
}

/** Splits into random pieces (1..8 bytes often, to exercise every state boundary). */
export function randomSplit(r: SeededRandom, b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < b.length; ) {
    const n = 1 + (r.chance(0.5) ? r.int(8) : r.int(b.length));
    out.push(b.subarray(p, p + n));
    p += n;
  }
  return out;
}
