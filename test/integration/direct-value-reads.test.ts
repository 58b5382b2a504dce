// Large values are read straight into their item (net/static-read.ts asks Session for the next
// read's buffer; the text reader hands out the rest of the value and its \r\n as a view of the
// item). What must hold: every byte lands where it belongs, whatever the split of the writes;
// a bad \r\n still gets memcached's answer; requests after the value are not swallowed into it;
// a connection that dies mid-value leaves nothing behind; and the same against memcached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDaemon, withDaemon, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { sleep } from '../support/wait.js';
import { req } from '../support/binary-packets.js';
import { Opcode } from '../../src/protocol/binary/header.js';

/** Printable bytes (no CR/LF) that differ from position to position and seed to seed. */
function valueOf(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = 33 + ((seed * 31 + i * 7 + (i >> 9)) % 90);
  return b;
}

async function getValue(c: RawClient, key: string): Promise<Buffer | null> {
  c.send(`get ${key}\r\n`);
  const head = await c.line(5000);
  if (head === 'END') return null;
  const m = /^VALUE (\S+) (\d+) (\d+)$/.exec(head);
  assert.ok(m !== null, 'reply: ' + head);
  const v = await c.read(Number(m[3]), 5000);
  assert.equal((await c.read(2)).toString(), '\r\n');
  assert.equal(await c.line(), 'END');
  return Buffer.from(v);
}

/**
 * Writes buf in pieces of the given sizes (cycled; after 24 pieces the rest goes at once),
 * waiting a little after some of them so that the server reads what is there.
 */
async function sendInPieces(c: RawClient, buf: Buffer, sizes: number[]): Promise<void> {
  let off = 0;
  let i = 0;
  while (off < buf.length) {
    const n = i < 24 ? Math.min(sizes[i % sizes.length]!, buf.length - off) : buf.length - off;
    c.send(buf.subarray(off, off + n));
    off += n;
    if (i % 3 === 2) await sleep(1);
    i++;
  }
}

async function withServers(fn: (d: Daemon, name: string) => Promise<void>): Promise<void> {
  for (const memcached of [false, true]) {
    await withDaemon({ memcached, args: ['-I', '2m', '-m', '64'] }, (d) => fn(d, memcached ? 'memcached' : 'memcachedts'));
  }
}

test('large values written in awkward pieces arrive byte-exact; the next request is not swallowed', async () => {
  await withServers(async (d, name) => {
    const c = await RawClient.connect(d.port);
    try {
      const sizes = [8 * 1024 - 1, 8 * 1024, 8 * 1024 + 1, 20_000, 65_535, 65_536, 100 * 1024, 300_000, 600_000];
      const splits = [[1_000_000], [7], [4096, 1], [65_536, 3, 70_000], [10_000, 2, 2]];
      let seed = 1;
      for (const size of sizes) {
        for (const split of splits) {
          const v = valueOf(size, seed++);
          const key = `dv_${size}_${seed}`;
          // the set, its value, and a get right behind it in the same stream
          const wire = Buffer.concat([Buffer.from(`set ${key} 5 0 ${size}\r\n`), v, Buffer.from(`\r\nget ${key}\r\n`)]);
          await sendInPieces(c, wire, split);
          assert.equal(await c.line(5000), 'STORED', `${name}: ${size} B in ${split.join('/')}`);
          const head = await c.line(5000);
          assert.equal(head, `VALUE ${key} 5 ${size}`, name);
          const got = await c.read(size, 5000);
          assert.ok(Buffer.from(got).equals(v), `${name}: ${size} B value in ${split.join('/')} came back different`);
          assert.equal((await c.read(2)).toString() + (await c.line()), '\r\nEND');
        }
      }
    } finally {
      c.close();
    }
  });
});

test('a large value with a bad \\r\\n: the same answer as memcached, and the old value stays', async () => {
  const answers: string[] = [];
  await withServers(async (d, name) => {
    const c = await RawClient.connect(d.port);
    try {
      const old = valueOf(50_000, 7);
      c.send(Buffer.concat([Buffer.from(`set badtail 0 0 ${old.length}\r\n`), old, Buffer.from('\r\n')]));
      assert.equal(await c.line(), 'STORED');
      const v = valueOf(50_000, 8);
      await sendInPieces(c, Buffer.concat([Buffer.from(`set badtail 0 0 ${v.length}\r\n`), v, Buffer.from('XY')]), [9000, 30_000]);
      const bytes = (await c.drain(300)).toString('latin1');
      answers.push(bytes);
      c.send('version\r\n');
      const after = (await c.drain(300)).toString('latin1');
      answers.push(after.replace(/VERSION \S+/, 'VERSION x'));
      const c2 = await RawClient.connect(d.port);
      try {
        const got = await getValue(c2, 'badtail');
        assert.ok(got !== null && got.equals(old), `${name}: the old value is intact`);
      } finally {
        c2.close();
      }
    } finally {
      c.close();
    }
  });
  assert.equal(answers.length, 4);
  assert.equal(answers[0], answers[2], 'bad data chunk answer');
  assert.equal(answers[1], answers[3], 'what follows');
  assert.match(answers[0]!, /CLIENT_ERROR bad data chunk/);
});

test('a connection closed in the middle of a large value: nothing stored, memory reused safely', async () => {
  const d = await startDaemon({ args: ['-m', '8'] });
  try {
    for (let round = 0; round < 20; round++) {
      const s = net.connect({ host: '127.0.0.1', port: d.port });
      await new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve());
        s.once('error', reject);
      });
      s.write(`set cut${round} 0 0 200000\r\n`);
      s.write(valueOf(30_000 + round * 4000, round));
      await sleep(10);
      s.destroy();
    }
    // The chunks those items had are reused by others; every stored value must read back intact.
    const c = await RawClient.connect(d.port);
    try {
      const values: Buffer[] = [];
      for (let i = 0; i < 40; i++) {
        const v = valueOf(150_000, 100 + i);
        values.push(v);
        c.send(Buffer.concat([Buffer.from(`set keep${i} 0 0 ${v.length}\r\n`), v, Buffer.from('\r\n')]));
        assert.equal(await c.line(5000), 'STORED');
      }
      for (let round = 0; round < 20; round++) assert.equal(await getValue(c, `cut${round}`), null);
      let intact = 0;
      for (let i = 0; i < 40; i++) {
        const got = await getValue(c, `keep${i}`);
        if (got === null) continue; // evicted (-m 8)
        assert.ok(got.equals(values[i]!), `keep${i} corrupted`);
        intact++;
      }
      assert.ok(intact >= 10, `only ${intact} values left`);
      c.send('stats\r\n');
      const stats = (await c.drain(300)).toString('latin1');
      assert.match(stats, /STAT curr_items \d+/);
    } finally {
      c.close();
    }
  } finally {
    await d.stop();
  }
});

async function binaryReply(c: RawClient): Promise<{ status: number; opaque: number; value: Buffer }> {
  const h = await c.read(24, 5000);
  assert.equal(h[0], 0x81);
  const body = Buffer.from(await c.read(h.readUInt32BE(8), 5000));
  const skip = h[4]! + h.readUInt16BE(2);
  return { status: h.readUInt16BE(6), opaque: h.readUInt32BE(12), value: body.subarray(skip) };
}

test('binary protocol: large values in awkward pieces arrive byte-exact', async () => {
  await withServers(async (d, name) => {
    const c = await RawClient.connect(d.port);
    try {
      let seed = 50;
      for (const size of [8 * 1024 + 5, 70_000, 100 * 1024, 700_000]) {
        for (const split of [[1_000_000], [30, 9000, 1], [65_536, 65_536]]) {
          const v = valueOf(size, seed++);
          const key = `bdv_${size}_${seed}`;
          const extras = Buffer.alloc(8);
          extras.writeUInt32BE(9, 0);
          const wire = Buffer.concat([req(Opcode.Set, { key, ext: extras, value: v, opaque: seed }), req(Opcode.Get, { key, opaque: seed + 1000 })]);
          await sendInPieces(c, wire, split);
          const set = await binaryReply(c);
          assert.equal(set.status, 0, `${name}: set ${size}`);
          assert.equal(set.opaque, seed);
          const get = await binaryReply(c);
          assert.equal(get.status, 0, `${name}: get ${size}`);
          assert.equal(get.opaque, seed + 1000);
          assert.ok(get.value.equals(v), `${name}: ${size} B binary value in ${split.join('/')} came back different`);
        }
      }
    } finally {
      c.close();
    }
  });
});
