// Numbers as memcached reads them (its safe_strto* over C strings), side by side with Debian's
// memcached 1.6.18: a table of awkward stored values under text incr/decr, meta `ma` and binary
// INCREMENT/DECREMENT, and numeric tokens holding a NUL, a sign or white space. Replies must
// be equal byte for byte (binary cas fields aside, which are zeroed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairForFile, SKIP_WITHOUT_MEMCACHED } from '../support/pair.js';
import { exchangeOnce } from '../support/exchange.js';
import { Opcode } from '../../src/protocol/binary/header.js';
import { deltaExt, req, u32 } from '../support/binary-packets.js';

const pair = pairForFile();

/** Stored values whose reading as a number is the question. */
const AWKWARD_VALUES: readonly string[] = [
  '1\x00a', // digits, then a NUL: the C string ends there (memcached: 1)
  '1\x00-', // no '-' before the NUL, so the sign check does not see it
  '18446744073709551615\x00-',
  '\x001', // NUL first: no digits
  ' \x001',
  '1a',
  '1 a',
  '1\ta',
  '1\r',
  '1\x0b',
  ' 1',
  '\t1',
  '\r\n1',
  '+1',
  '-0',
  '-1',
  '-18446744073709551615', // wraps to 1
  '-9223372036854775808',
  '9223372036854775808',
  '18446744073709551615',
  '18446744073709551616',
  '99999999999999999999\x00',
  '00000000000000000000001',
  '12345678901234567890123',
  '0x10',
  '1.5',
  '1-',
  '',
  '\x00',
  // Not here: values of white space only. memcached's strtoull skips them and the \r\n after
  // them and goes on into whatever the chunk held before (a digit left by an earlier item is
  // read as the number); we stop at the end of the value and answer non-numeric.
];

const RUN = Date.now().toString(36);

/** Sends input in one write and reads until the reply ends with `last`, or the server goes quiet. */
async function exchange(port: number, input: Buffer, isComplete: (out: Buffer) => boolean): Promise<Buffer> {
  const r = await exchangeOnce(port, input, { isComplete, idleMs: 2000, timeoutMs: 30_000 });
  if (r.ending === 'reset') throw new Error('connection reset');
  return r.out;
}

const endsWithMn = (out: Buffer): boolean => out.length >= 4 && out.subarray(out.length - 4).toString('latin1') === 'MN\r\n';

async function compareText(name: string, input: Buffer): Promise<void> {
  const { ours, theirs } = pair();
  const withEnd = Buffer.concat([input, Buffer.from('mn\r\n')]);
  const [a, b] = await Promise.all([exchange(ours.port, withEnd, endsWithMn), exchange(theirs.port, withEnd, endsWithMn)]);
  assert.equal(JSON.stringify(a.toString('latin1')), JSON.stringify(b.toString('latin1')), name);
}

const NOOP_OPAQUE = 0x7e57;

function hasNoop(out: Buffer): boolean {
  let p = 0;
  while (out.length - p >= 24) {
    const bodyLen = out.readUInt32BE(p + 8);
    if (out.length - p < 24 + bodyLen) return false;
    if (out[p + 1] === Opcode.Noop && out.readUInt32BE(p + 12) === NOOP_OPAQUE) return true;
    p += 24 + bodyLen;
  }
  return false;
}

/** Response headers with the cas zeroed, and bodies, one line each. */
function describeBinary(out: Buffer): string {
  const lines: string[] = [];
  let p = 0;
  while (out.length - p >= 24) {
    const bodyLen = out.readUInt32BE(p + 8);
    const header = Buffer.from(out.subarray(p, p + 24));
    header.fill(0, 16, 24);
    lines.push(header.toString('hex') + ' ' + JSON.stringify(out.toString('latin1', p + 24, p + 24 + bodyLen)));
    p += 24 + bodyLen;
  }
  if (p < out.length) lines.push(`+${out.length - p} trailing bytes`);
  return lines.join('\n');
}

test('text incr/decr on awkward stored values answer like memcached', { skip: SKIP_WITHOUT_MEMCACHED }, async () => {
  for (const [i, v] of AWKWARD_VALUES.entries()) {
    const key = `tn${RUN}_${i}`;
    const value = Buffer.from(v, 'latin1');
    const set = Buffer.concat([Buffer.from(`set ${key} 0 0 ${value.length}\r\n`), value, Buffer.from('\r\n')]);
    const input = Buffer.concat([set, Buffer.from(`incr ${key} 1\r\nget ${key}\r\n`), set, Buffer.from(`decr ${key} 1\r\nget ${key}\r\n`)]);
    await compareText(`text ${JSON.stringify(v)}`, input);
  }
});

test('meta ma on awkward stored values answers like memcached', { skip: SKIP_WITHOUT_MEMCACHED }, async () => {
  for (const [i, v] of AWKWARD_VALUES.entries()) {
    const key = `mn${RUN}_${i}`;
    const value = Buffer.from(v, 'latin1');
    const set = Buffer.concat([Buffer.from(`ms ${key} ${value.length}\r\n`), value, Buffer.from('\r\n')]);
    const input = Buffer.concat([set, Buffer.from(`ma ${key} v\r\nmg ${key} v\r\n`), set, Buffer.from(`ma ${key} MD D1 v\r\nmg ${key} v\r\n`)]);
    await compareText(`meta ${JSON.stringify(v)}`, input);
  }
});

test('binary INCREMENT/DECREMENT on awkward stored values answer like memcached', { skip: SKIP_WITHOUT_MEMCACHED }, async () => {
  const { ours, theirs } = pair();
  const ourPort = ours.port;
  const theirPort = theirs.port;
  for (const [i, v] of AWKWARD_VALUES.entries()) {
    const key = `bn${RUN}_${i}`;
    const set = req(Opcode.Set, { key, ext: u32(0, 0), value: Buffer.from(v, 'latin1') });
    const input = Buffer.concat([
      set,
      req(Opcode.Increment, { key, ext: deltaExt(1n, 0n, 0xffffffff) }),
      req(Opcode.Get, { key }),
      set,
      req(Opcode.Decrement, { key, ext: deltaExt(1n, 0n, 0xffffffff) }),
      req(Opcode.Get, { key }),
      req(Opcode.Noop, { opaque: NOOP_OPAQUE }),
    ]);
    const [a, b] = await Promise.all([exchange(ourPort, input, hasNoop), exchange(theirPort, input, hasNoop)]);
    assert.equal(describeBinary(a), describeBinary(b), `binary ${JSON.stringify(v)}`);
  }
});

test('numeric tokens with a NUL, a sign or white space answer like memcached (text and meta)', { skip: SKIP_WITHOUT_MEMCACHED }, async () => {
  const k = `tok${RUN}`;
  const lines = [
    `set ${k} 0 0 1\r\n5\r\n`,
    `incr ${k} 2\x00\r\n`,
    `incr ${k} 2\x00x\r\n`,
    `decr ${k} 1\x00-\r\n`,
    `incr ${k} +1\r\n`,
    `incr ${k} -0\r\n`,
    `incr ${k} 1\x0b\r\n`,
    `touch ${k} 10\x00x\r\n`,
    `set ${k}b 5\x00x 0 1\r\na\r\nget ${k}b\r\n`,
    `set ${k}c 0 0 1\x00x\r\na\r\nget ${k}c\r\n`,
    `set ${k}d 0 0 \x001\r\na\r\n`,
    `gat 10\x00x ${k}\r\n`,
    `verbosity 0\x00x\r\n`,
    `mg ${k} v T5\x00x\r\n`,
    `mg ${k} v N\x001\r\n`,
    `mg ${k} v C+1\r\n`,
    `mg ${k} v C-1\r\n`,
    `mg ${k} f F+5 v\r\n`,
    `ms ${k}e 1\x00 T0\r\nz\r\nmg ${k}e v\r\n`,
    `ms ${k}e 1 F-0\r\nz\r\nmg ${k}e f v\r\n`,
    `ms ${k}e 1 F4294967297\r\nz\r\nmg ${k}e f v\r\n`,
    `ms ${k}e 1 F-1\r\nz\r\n`,
    `ma ${k} D+2 v\r\n`,
    `ma ${k} D2\x00 v\r\n`,
    `ma ${k}n N0 J+7 v\r\n`,
    `ma ${k}m N0 J-0 v\r\n`,
    `cas ${k} 0 0 1 -1\r\nz\r\n`,
    `cas ${k} 0 0 1 +1\r\nz\r\n`,
  ];
  for (const line of lines) await compareText(JSON.stringify(line), Buffer.from(line, 'latin1'));
});
