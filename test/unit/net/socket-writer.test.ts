// SocketWriter over real loopback TCP pairs: the writer is on the accepted (server) side, as in
// net/connection.ts, on a plain accepted socket and on a static-read one. Order and integrity
// of small writes, backpressure (async writes counted in queuedBytes, onWritten once they are
// done), writeMany, socket.end() after queued writes, and writes after the peer went away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { SocketWriter } from '../../../src/net/socket-writer.js';
import { acceptWithStaticReads, setReadTarget } from '../../../src/net/static-read.js';
import { sleep, waitFor, within } from '../../support/wait.js';

const PLAIN = process.env['MEMCACHEDTS_PLAIN_SOCKETS'] === '1';
const KIB = 1024;
const MIB = 1024 * KIB;

type Kind = 'plain' | 'static';

interface Pair {
  server: net.Server;
  /** The accepted side: the writer writes here. */
  s: net.Socket;
  /** The client side: the reader. */
  c: net.Socket;
  /** Bytes the accepted side read (static-read sockets only). */
  serverRead: number;
  close(): Promise<void>;
}

async function makePair(kind: Kind): Promise<Pair> {
  const server = net.createServer({ allowHalfOpen: true });
  const accepted: net.Socket[] = [];
  server.on('connection', (s) => accepted.push(s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const pair: Pair = {
    server,
    s: null as unknown as net.Socket,
    c: null as unknown as net.Socket,
    serverRead: 0,
    close: async () => {
      pair.c.destroy();
      pair.s.destroy();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        server.close(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
  };
  if (kind === 'static') {
    const ok = acceptWithStaticReads(
      server,
      (s) => {
        setReadTarget(s, { onBytes: (_buf, len) => (pair.serverRead += len), nextReadBuffer: () => null });
        accepted.push(s);
      },
      () => {},
    );
    assert.equal(ok, !PLAIN);
  }
  const c = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  await waitFor(() => accepted.length === 1, 'the accepted socket');
  pair.c = c;
  pair.s = accepted[0]!;
  pair.s.on('error', () => {});
  c.on('error', () => {});
  return pair;
}

/** Collects everything the client reads into one Buffer (for small streams). */
function collect(c: net.Socket): { bytes: () => Buffer; length: () => number } {
  const parts: Buffer[] = [];
  let n = 0;
  c.on('data', (d: Buffer) => {
    parts.push(d);
    n += d.length;
  });
  return { bytes: () => Buffer.concat(parts), length: () => n };
}

function distinct(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i * 7 + (i >> 8)) & 0xff;
  return b;
}

for (const kind of ['plain', 'static'] as const) {
  test(`${kind}: many small writes arrive in order and intact`, async () => {
    const p = await makePair(kind);
    try {
      const got = collect(p.c);
      const sent: Buffer[] = [];
      const w = new SocketWriter(p.s, () => {});
      for (let i = 0; i < 5000; i++) {
        const b = distinct(1 + (i % 97), i);
        sent.push(b);
        w.write(b);
        if (i % 500 === 499) await sleep(1); // let some go out between bursts
      }
      const want = Buffer.concat(sent);
      await waitFor(() => got.length() >= want.length, 'all bytes');
      assert.ok(got.bytes().equals(want));
      await waitFor(() => w.queuedBytes === 0, 'nothing queued');
    } finally {
      await p.close();
    }
  });

  test(`${kind}: backpressure — 64 MB to a paused reader; queuedBytes, onWritten, order`, async () => {
    const p = await makePair(kind);
    try {
      const CHUNK = 64 * KIB;
      const COUNT = 1024; // 64 MB
      let writtenCalls = 0;
      let queuedAtWritten = -1;
      let w: SocketWriter | null = null;
      w = new SocketWriter(p.s, () => {
        writtenCalls++;
        queuedAtWritten = w!.queuedBytes;
      });
      p.c.pause();
      let maxQueued = 0;
      for (let i = 0; i < COUNT; i++) {
        // A fresh Buffer per write: libuv holds the queued ones until they are written.
        w.write(Buffer.alloc(CHUNK, i & 0xff));
        if (w.queuedBytes > maxQueued) maxQueued = w.queuedBytes;
      }
      assert.ok(w.queuedBytes > 0, 'the kernel did not take 64 MB at once: bytes are queued');
      assert.ok(maxQueued >= w.queuedBytes);
      if (!PLAIN) {
        // The direct path: queued in libuv, not in the stream.
        assert.equal(p.s.writableLength, 0, 'queued bytes are not in the Writable stream');
      }
      assert.equal(writtenCalls, 0, 'onWritten not called while the reader is paused');
      // Verify order on the fly: byte at stream offset o is floor(o / CHUNK) & 255.
      const fills = new Map<number, Buffer>();
      let off = 0;
      let bad = '';
      p.c.on('data', (d: Buffer) => {
        let i = 0;
        while (i < d.length && bad === '') {
          const seq = Math.floor(off / CHUNK);
          const n = Math.min(d.length - i, (seq + 1) * CHUNK - off);
          const v = seq & 0xff;
          let f = fills.get(v);
          if (f === undefined) {
            f = Buffer.alloc(CHUNK, v);
            fills.set(v, f);
          }
          if (!d.subarray(i, i + n).equals(f.subarray(0, n))) bad = `wrong bytes at stream offset ${off} (chunk ${seq})`;
          i += n;
          off += n;
        }
      });
      p.c.resume();
      await waitFor(() => off >= COUNT * CHUNK || bad !== '', 'all 64 MB', 20_000);
      assert.equal(bad, '');
      assert.equal(off, COUNT * CHUNK);
      if (!PLAIN) {
        await waitFor(() => writtenCalls > 0, 'onWritten');
        await sleep(20);
        assert.equal(writtenCalls, 1, 'onWritten once, when the last queued write is done');
        assert.equal(queuedAtWritten, 0, 'queuedBytes is 0 when onWritten is called');
      }
      await waitFor(() => w.queuedBytes === 0, 'queuedBytes back to 0');
      // And the writer goes on writing directly afterwards.
      w.write(Buffer.from('tail'));
      await waitFor(() => off >= COUNT * CHUNK + 4, 'the tail');
    } finally {
      await p.close();
    }
  });

  test(`${kind}: writeMany arrives concatenated in order (at once and queued)`, async () => {
    const p = await makePair(kind);
    try {
      const got = collect(p.c);
      const w = new SocketWriter(p.s, () => {});
      const sent: Buffer[] = [];
      const parts1 = [distinct(10, 1), distinct(1, 2), distinct(3000, 3), distinct(70_000, 4)];
      w.writeMany(parts1);
      sent.push(...parts1);
      await waitFor(() => got.length() === 73_011, 'the first writeMany');
      assert.ok(got.bytes().equals(Buffer.concat(sent)));
      // Now with the reader paused: several writeMany calls queue (async) and keep their order.
      p.c.pause();
      for (let k = 0; k < 40; k++) {
        const parts = [distinct(5 + k, 100 + k), distinct(200 * KIB, 200 + k), distinct(17, 300 + k)];
        w.writeMany(parts);
        sent.push(...parts);
        if (k % 10 === 0) {
          const one = distinct(50 * KIB, 400 + k);
          w.write(one);
          sent.push(one);
        }
      }
      assert.ok(w.queuedBytes > 0, 'some are queued');
      p.c.resume();
      const want = Buffer.concat(sent);
      await waitFor(() => got.length() >= want.length, 'everything', 10_000);
      assert.ok(got.bytes().equals(want));
    } finally {
      await p.close();
    }
  });

  test(`${kind}: socket.end() after queued direct writes delivers every byte, then the FIN`, async () => {
    // The writer's contract: every write to the socket goes through it (net/connection.ts);
    // the only other stream call is socket.end() with no data, which libuv orders after the
    // writes it already holds.
    const p = await makePair(kind);
    try {
      const w = new SocketWriter(p.s, () => {});
      p.c.pause();
      const sent: Buffer[] = [];
      const a = distinct(8 * MIB, 1);
      w.write(a);
      sent.push(a);
      const parts = [distinct(33, 2), distinct(5000, 3)];
      w.writeMany(parts);
      sent.push(...parts);
      assert.ok(w.queuedBytes > 0, 'the kernel did not take 8 MB at once');
      w.close();
      p.s.end();
      // After close() a late write is dropped (through the ended stream it would destroy the
      // socket and cut off the queued bytes).
      w.write(distinct(10, 4));
      w.writeMany([distinct(10, 5)]);
      const got = collect(p.c);
      const ended = new Promise<void>((resolve) => p.c.once('end', () => resolve()));
      p.c.resume();
      await Promise.race([ended, sleep(10_000).then(() => assert.fail('no FIN'))]);
      const want = Buffer.concat(sent);
      assert.equal(got.length(), want.length);
      assert.ok(got.bytes().equals(want), 'all queued bytes, in order, before the FIN');
    } finally {
      await p.close();
    }
  });

  test(`${kind}: a write after the peer reset the connection does not throw; the socket ends up destroyed`, async () => {
    const p = await makePair(kind);
    try {
      const w = new SocketWriter(p.s, () => {});
      const closed = new Promise<void>((resolve) => p.s.once('close', () => resolve()));
      const errors: string[] = [];
      p.s.on('error', (e: Error) => errors.push(e.message));
      p.s.pause(); // the accepted side does not read: only the write can find out
      p.c.resetAndDestroy();
      await sleep(50);
      const deadline = Date.now() + 3000;
      let writes = 0;
      while (!p.s.destroyed && Date.now() < deadline) {
        assert.doesNotThrow(() => w.write(distinct(1000, writes)));
        writes++;
        if (writes % 2 === 0) assert.doesNotThrow(() => w.writeMany([distinct(10, 1), distinct(20, 2)]));
        await sleep(10);
      }
      assert.equal(p.s.destroyed, true, `destroyed after ${writes} writes`);
      await within(closed, 2000, "'close'");
      // A paused static-read socket stops reading at the handle, so only the write can have
      // found the reset (an ordinary socket keeps reading into its stream while paused).
      if (!PLAIN && kind === 'static') assert.deepEqual(errors, [], 'the writer closed the socket (no read or stream error)');
      // Writes to the destroyed socket are still harmless.
      assert.doesNotThrow(() => w.write(Buffer.from('late')));
      assert.doesNotThrow(() => w.writeMany([Buffer.from('late'), Buffer.from('r')]));
    } finally {
      await p.close();
    }
  });

  test(`${kind}: the peer closes (FIN) and goes away; writes until the socket is destroyed, no throw`, async () => {
    const p = await makePair(kind);
    try {
      const w = new SocketWriter(p.s, () => {});
      p.c.destroy(); // nothing unread: a FIN; the next data we send draws an RST
      await sleep(50);
      const deadline = Date.now() + 3000;
      let writes = 0;
      while (!p.s.destroyed && Date.now() < deadline) {
        assert.doesNotThrow(() => w.write(distinct(500, writes)));
        writes++;
        await sleep(10);
      }
      assert.equal(p.s.destroyed, true, `destroyed after ${writes} writes`);
    } finally {
      await p.close();
    }
  });

  test(`${kind}: the peer resets while megabytes are queued; no throw, socket destroyed, queuedBytes back to 0`, async () => {
    const p = await makePair(kind);
    try {
      let written = 0;
      const w = new SocketWriter(p.s, () => written++);
      p.c.pause();
      for (let i = 0; i < 64; i++) w.write(Buffer.alloc(128 * KIB, i));
      assert.ok(w.queuedBytes > 0);
      p.c.resetAndDestroy();
      await waitFor(() => p.s.destroyed, 'the accepted socket destroyed', 3000);
      assert.doesNotThrow(() => w.write(Buffer.from('x')));
      await waitFor(() => w.queuedBytes === 0, 'queuedBytes back to 0 once libuv gave the writes back', 3000);
    } finally {
      await p.close();
    }
  });
}
