// The binary protocol over real sockets against bin/memcachedts: -B auto negotiation next to
// text clients, pipelining in one write, a value larger than a socket read, close semantics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { Opcode, Status } from '../../src/protocol/binary/header.js';
import { deltaExt, parseResponses, req, res, u32, type Res } from '../support/binary-packets.js';

let d: Daemon;

before(async () => {
  d = await startDaemon({ args: ['-I', '4m', '-m', '64'] });
});

after(async () => {
  await d.stop();
});

/** Reads complete response packets until `count` have arrived. */
async function readPackets(c: RawClient, count: number, timeoutMs = 5000): Promise<Res[]> {
  const out: Res[] = [];
  while (out.length < count) {
    const h = await c.read(24, timeoutMs);
    const body = await c.read(h.readUInt32BE(8), timeoutMs);
    out.push(parseResponses(Buffer.concat([h, body]))[0]!);
  }
  return out;
}

test('text and binary clients share the port and the cache (-B auto)', async () => {
  const text = await RawClient.connect(d.port);
  const bin = await RawClient.connect(d.port);
  try {
    assert.equal(await text.request('set shared 7 0 5\r\nhello\r\n', 'STORED'), 'STORED\r\n');
    bin.send(req(Opcode.GetK, { key: 'shared', opaque: 11 }));
    const [r] = await readPackets(bin, 1);
    assert.equal(r!.status, 0);
    assert.deepEqual(r!.ext, u32(7));
    assert.equal(r!.key.toString(), 'shared');
    assert.equal(r!.value.toString(), 'hello');
    assert.equal(r!.opaque, 11);
    // the cas the binary client sees is the one `gets` shows
    const gets = await text.request('gets shared\r\n');
    assert.match(gets, new RegExp(`^VALUE shared 7 5 ${r!.cas}\r\n`));
  } finally {
    text.close();
    bin.close();
  }
});

test('a pipeline in one write answers in order, quiet misses left out', async () => {
  const c = await RawClient.connect(d.port);
  try {
    const parts: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      parts.push(req(Opcode.SetQ, { key: `p${i}`, ext: u32(i, 0), value: `v${i}`, opaque: i }));
      parts.push(req(Opcode.GetQ, { key: i % 2 === 0 ? `p${i}` : `missing${i}`, opaque: 1000 + i }));
    }
    parts.push(req(Opcode.Increment, { key: 'pc', ext: deltaExt(1n, 5n, 0), opaque: 9999 }));
    parts.push(req(Opcode.Noop, { opaque: 10000 }));
    c.send(Buffer.concat(parts));
    const r = await readPackets(c, 152);
    for (let i = 0; i < 150; i++) {
      assert.equal(r[i]!.opaque, 1000 + i * 2);
      assert.equal(r[i]!.value.toString(), `v${i * 2}`);
      assert.deepEqual(r[i]!.ext, u32(i * 2));
    }
    assert.equal(r[150]!.value.readBigUInt64BE(0), 5n);
    assert.equal(r[151]!.opcode, Opcode.Noop);
    assert.equal(r[151]!.opaque, 10000);
  } finally {
    c.close();
  }
});

test('a 3 MiB value (under -I 4m) streams in and out intact', async () => {
  const c = await RawClient.connect(d.port);
  try {
    const value = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 31 + 7) & 0xff;
    c.send(Buffer.concat([req(Opcode.Set, { key: 'huge', ext: u32(1, 0), value }), req(Opcode.Get, { key: 'huge' })]));
    const [set, get] = await readPackets(c, 2, 15000);
    assert.equal(set!.status, 0);
    assert.equal(get!.status, 0);
    assert.equal(get!.value.length, value.length);
    assert.ok(get!.value.equals(value));
  } finally {
    c.close();
  }
});

test('over -I: Too large., the body is swallowed and the connection keeps working', async () => {
  const c = await RawClient.connect(d.port);
  try {
    c.send(Buffer.concat([req(Opcode.Set, { key: 'toolarge', ext: u32(0, 0), value: Buffer.alloc(5 * 1024 * 1024, 0x7a) }), req(Opcode.Version)]));
    const [tl, v] = await readPackets(c, 2, 15000);
    assert.deepEqual(Buffer.concat([rawOf(tl!), rawOf(v!)]), Buffer.concat([res(Opcode.Set, Status.TooLarge, { value: 'Too large.' }), res(Opcode.Version, 0, { value: '1.6.18' })]));
  } finally {
    c.close();
  }
});

function rawOf(r: Res): Buffer {
  const h = Buffer.alloc(24);
  h[0] = r.magic;
  h[1] = r.opcode;
  h.writeUInt16BE(r.keyLen, 2);
  h[4] = r.extLen;
  h[5] = r.datatype;
  h.writeUInt16BE(r.status, 6);
  h.writeUInt32BE(r.bodyLen, 8);
  h.writeUInt32BE(r.opaque, 12);
  h.writeBigUInt64BE(r.cas, 16);
  return Buffer.concat([h, r.ext, r.key, r.value]);
}

test('QUIT answers then closes; a framing error answers then closes; bad magic closes', async () => {
  const q = await RawClient.connect(d.port);
  q.send(req(Opcode.Quit, { opaque: 1 }));
  assert.deepEqual(rawOf((await readPackets(q, 1))[0]!), res(Opcode.Quit, 0, { opaque: 1 }));
  assert.ok(await q.closedWithin(2000));

  const f = await RawClient.connect(d.port);
  f.send(req(Opcode.Get, { key: 'abc', bodyLen: 1 }));
  assert.deepEqual(rawOf((await readPackets(f, 1))[0]!), res(Opcode.Get, Status.UnknownCommand, { value: 'Unknown command' }));
  assert.ok(await f.closedWithin(2000));

  const m = await RawClient.connect(d.port);
  m.send(Buffer.concat([req(Opcode.Noop), req(Opcode.Noop, { magic: 0x42 })]));
  await readPackets(m, 1);
  assert.ok(await m.closedWithin(2000));
});

test('STAT over a socket: general stats end with an empty packet; counters move', async () => {
  const c = await RawClient.connect(d.port);
  try {
    c.send(req(Opcode.Stat, { opaque: 5 }));
    const packets: Res[] = [];
    for (;;) {
      const [p] = await readPackets(c, 1);
      packets.push(p!);
      if (p!.keyLen === 0) break;
    }
    const stats = new Map(packets.filter((p) => p.keyLen > 0).map((p) => [p.key.toString(), p.value.toString()]));
    assert.equal(stats.get('version'), '1.6.18');
    assert.ok(Number(stats.get('cmd_get')) > 0);
    assert.ok(packets.every((p) => p.opaque === 5 && p.opcode === Opcode.Stat));
  } finally {
    c.close();
  }
});
