// acceptWithStaticReads: sockets accepted by a listening server read into one shared static
// buffer (Node's onread option) and hand buf[0, len) to their ReadTarget. Loopback TCP and a
// unix socket in a temp dir; two connections at once; pause/resume; 'end'; the env switch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { acceptWithStaticReads, setReadTarget } from '../../../src/net/static-read.js';
import { sleep, waitFor, within } from '../../support/wait.js';
import { seededBytes } from '../../support/bytes.js';

const PLAIN = process.env['MEMCACHEDTS_PLAIN_SOCKETS'] === '1';
const MODULE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/net/static-read.js');

/** What the server side saw of one accepted socket. */
interface Accepted {
  socket: net.Socket;
  chunks: Buffer[];
  received: number;
  reads: number;
  buffers: Set<Buffer>;
  ended: boolean;
  closed: boolean;
}

interface Harness {
  server: net.Server;
  accepted: Accepted[];
  errors: string[];
  isStatic: boolean;
  close(): Promise<void>;
}

async function listenWithStaticReads(listenOpts: net.ListenOptions): Promise<Harness> {
  const server = net.createServer({ allowHalfOpen: true });
  const accepted: Accepted[] = [];
  const errors: string[] = [];
  const plain: net.Socket[] = [];
  // Before the switch (and when it is refused) sockets come through 'connection' as usual.
  server.on('connection', (s) => {
    plain.push(s);
    s.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenOpts, () => resolve());
  });
  const shared = new Set<Buffer>();
  const isStatic = acceptWithStaticReads(
    server,
    (socket) => {
      const a: Accepted = { socket, chunks: [], received: 0, reads: 0, buffers: shared, ended: false, closed: false };
      setReadTarget(socket, {
        nextReadBuffer: () => null,
        onBytes(buf: Buffer, len: number): void {
          a.buffers.add(buf);
          a.reads++;
          a.received += len;
          // buf is shared with every other connection and reused: keep a copy.
          a.chunks.push(Buffer.from(buf.subarray(0, len)));
        },
      });
      socket.on('end', () => (a.ended = true));
      socket.on('close', () => (a.closed = true));
      socket.on('error', () => {});
      accepted.push(a);
    },
    (message) => errors.push(message),
  );
  return {
    server,
    accepted,
    errors,
    isStatic,
    close: async () => {
      for (const a of accepted) a.socket.destroy();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        server.close(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
  };
}

function connect(opts: net.NetConnectOpts): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(opts);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes data in pieces of varying size, awaiting the write callbacks (so it really goes out in many reads). */
async function sendInPieces(s: net.Socket, data: Buffer, seed: number): Promise<void> {
  let p = 0;
  let i = seed;
  while (p < data.length) {
    i = (i * 1103515245 + 12345) >>> 0;
    const n = Math.min(data.length - p, 1 + (i % 9000));
    await new Promise<void>((resolve, reject) => s.write(data.subarray(p, p + n), (err) => (err ? reject(err) : resolve())));
    p += n;
  }
}

async function twoClientsExchange(h: Harness, connectOpts: net.NetConnectOpts, isTcp: boolean): Promise<void> {
  const c1 = await connect(connectOpts);
  const c2 = await connect(connectOpts);
  try {
    await waitFor(() => h.accepted.length === 2, 'two accepted sockets');
    const d1 = seededBytes(300 * 1024, 1);
    const d2 = seededBytes(257 * 1024 + 3, 2);
    await Promise.all([sendInPieces(c1, d1, 11), sendInPieces(c2, d2, 22)]);
    const [a1, a2] = h.accepted as [Accepted, Accepted];
    // Accept order may differ from connect order: match by bytes received.
    await waitFor(() => a1.received + a2.received === d1.length + d2.length, 'all bytes to arrive');
    const got1 = Buffer.concat(a1.chunks);
    const got2 = Buffer.concat(a2.chunks);
    const ok = (got1.equals(d1) && got2.equals(d2)) || (got1.equals(d2) && got2.equals(d1));
    assert.ok(ok, `per-connection bytes differ (got ${got1.length} and ${got2.length})`);
    assert.ok(a1.reads > 1 && a2.reads > 1, `many reads (${a1.reads}, ${a2.reads})`);
    // One Buffer object for every read of both connections.
    assert.equal(a1.buffers.size, 1, 'onBytes always got the same Buffer');
    const shared = [...a1.buffers][0]!;
    assert.ok(shared.length >= 16 * 1024, 'the static buffer is a whole read buffer');
    if (isTcp) {
      for (const a of h.accepted) {
        assert.equal(a.socket.remoteAddress, '127.0.0.1');
        assert.equal(typeof a.socket.remotePort, 'number');
      }
    }

    // pause() stops delivery; resume() restarts it.
    const [sa] = h.accepted as [Accepted];
    const before = sa.received;
    const clientOfSa = sa.chunks.length > 0 && Buffer.concat(sa.chunks).equals(d1) ? c1 : c2;
    sa.socket.pause();
    const more = seededBytes(5000, 3);
    await new Promise<void>((resolve) => clientOfSa.write(more, () => resolve()));
    await sleep(150);
    assert.equal(sa.received, before, 'nothing delivered while paused');
    sa.socket.resume();
    await waitFor(() => sa.received === before + more.length, 'delivery after resume');
    assert.ok(Buffer.concat(sa.chunks).subarray(before).equals(more));

    // 'end' when the client ends its side (allowHalfOpen: the server side stays writable).
    assert.equal(sa.ended, false);
    clientOfSa.end();
    await waitFor(() => sa.ended, "'end' on the accepted socket");
    assert.equal(sa.socket.writable, true, 'half-open: still writable after end');
    const reply = new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      clientOfSa.on('data', (d: Buffer) => parts.push(d));
      clientOfSa.on('end', () => resolve(Buffer.concat(parts)));
    });
    sa.socket.end('bye');
    assert.equal((await within(reply, 2000, 'the reply and FIN')).toString(), 'bye');
    await waitFor(() => sa.closed, "'close' on the accepted socket");
    assert.equal(h.errors.length, 0, h.errors.join('; '));
  } finally {
    c1.destroy();
    c2.destroy();
  }
}

test('TCP: two connections read through one shared static buffer; pause/resume; end', { skip: PLAIN ? 'MEMCACHEDTS_PLAIN_SOCKETS=1' : false }, async () => {
  const h = await listenWithStaticReads({ host: '127.0.0.1', port: 0 });
  try {
    assert.equal(h.isStatic, true);
    const port = (h.server.address() as net.AddressInfo).port;
    await twoClientsExchange(h, { host: '127.0.0.1', port }, true);
  } finally {
    await h.close();
  }
});

test('unix socket: two connections read through one shared static buffer; pause/resume; end', { skip: PLAIN ? 'MEMCACHEDTS_PLAIN_SOCKETS=1' : false }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memcachedts-static-read-'));
  const sock = path.join(dir, 's.sock');
  const h = await listenWithStaticReads({ path: sock });
  try {
    assert.equal(h.isStatic, true);
    await twoClientsExchange(h, { path: sock }, false);
  } finally {
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('TCP and unix connections share the same static buffer', { skip: PLAIN ? 'MEMCACHEDTS_PLAIN_SOCKETS=1' : false }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memcachedts-static-read-'));
  const sock = path.join(dir, 's.sock');
  const t = await listenWithStaticReads({ host: '127.0.0.1', port: 0 });
  const u = await listenWithStaticReads({ path: sock });
  const c1 = await connect({ host: '127.0.0.1', port: (t.server.address() as net.AddressInfo).port });
  const c2 = await connect({ path: sock });
  try {
    c1.write('tcp bytes');
    c2.write('unix bytes');
    await waitFor(() => t.accepted[0] !== undefined && u.accepted[0] !== undefined, 'both accepted');
    await waitFor(() => t.accepted[0]!.received === 9 && u.accepted[0]!.received === 10, 'both reads');
    const bt = [...t.accepted[0]!.buffers];
    const bu = [...u.accepted[0]!.buffers];
    assert.equal(bt.length, 1);
    assert.equal(bu.length, 1);
    assert.equal(bt[0], bu[0], 'one buffer for every listener');
    assert.equal(Buffer.concat(t.accepted[0]!.chunks).toString(), 'tcp bytes');
    assert.equal(Buffer.concat(u.accepted[0]!.chunks).toString(), 'unix bytes');
  } finally {
    c1.destroy();
    c2.destroy();
    await t.close();
    await u.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('paused at accept with no read target (the -c waiting path): bytes wait in the kernel until resume', { skip: PLAIN ? 'MEMCACHEDTS_PLAIN_SOCKETS=1' : false }, async () => {
  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  const sockets: net.Socket[] = [];
  assert.equal(
    acceptWithStaticReads(
      server,
      (s) => {
        // As ConnectionHub.accept does beyond -c: pause at once, no target yet.
        s.pause();
        s.on('error', () => {});
        sockets.push(s);
      },
      () => {},
    ),
    true,
  );
  const c = await connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
  try {
    await waitFor(() => sockets.length === 1, 'accepted');
    const s = sockets[0]!;
    c.write('early');
    await sleep(100);
    const got: Buffer[] = [];
    setReadTarget(s, { onBytes: (buf, len) => got.push(Buffer.from(buf.subarray(0, len))), nextReadBuffer: () => null });
    s.resume();
    c.write('-late');
    await waitFor(() => Buffer.concat(got).length === 10, 'bytes after the target is set');
    assert.equal(Buffer.concat(got).toString(), 'early-late');
    s.destroy();
  } finally {
    c.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('acceptWithStaticReads refuses a server that is not listening', () => {
  const server = net.createServer();
  assert.equal(
    acceptWithStaticReads(server, () => {}, () => {}),
    false,
  );
});

test('MEMCACHEDTS_PLAIN_SOCKETS=1 at module load: returns false and changes nothing', () => {
  const script = `
    import net from 'node:net';
    const { acceptWithStaticReads } = await import(${JSON.stringify(MODULE)});
    const server = net.createServer();
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const before = server._handle.onconnection;
      const r = acceptWithStaticReads(server, () => {}, () => {});
      process.stdout.write(String(r) + ' ' + String(server._handle.onconnection === before));
      server.close();
    });
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, MEMCACHEDTS_PLAIN_SOCKETS: '1' },
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, 'false true');
});
