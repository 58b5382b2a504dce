// Unix socket transport (-s, -a) over a real socket in a temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RawClient } from '../support/client.js';
import { freePort } from '../support/ports.js';
import { startInProcess } from '../support/server.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'memcachedts-unix-'));
}

test('-s PATH -a 660: mode srw-rw----, answers, stats conns addresses, file removed on close', async () => {
  const dir = tempDir();
  const sock = path.join(dir, 'mc.sock');
  const port = await freePort();
  const lines: string[] = [];
  // -s disables TCP and UDP even with -p/-U given.
  const srv = await startInProcess({ unixSocketPath: sock, unixSocketMask: 0o660, port, udpPort: port }, { logLines: lines, logLevel: 2 });
  try {
    const st = fs.lstatSync(sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(srv.unixPath, sock);
    assert.deepEqual(srv.tcpAddresses, []);
    assert.deepEqual(srv.udpAddresses, []);
    await assert.rejects(RawClient.connect(port));
    assert.equal(lines[0], '<23 server listening (auto-negotiate)');
    const c = await RawClient.connectTo({ path: sock });
    assert.equal(await c.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    assert.equal(await c.request('set k 0 0 2\r\nhi\r\nget k\r\n', 'END'), 'STORED\r\nVALUE k 0 2\r\nhi\r\nEND\r\n');
    assert.ok(lines.includes('<24 new auto-negotiating client connection'));
    assert.deepEqual(srv.ctx.listeners!(), [{ id: 23, transport: 'unix', addr: 'unix:' + sock }]);
    const session = [...srv.ctx.sessions][0]!;
    assert.equal(session.conn.transport, 'unix');
    assert.equal(session.conn.listenAddr, 'unix:' + sock);
    assert.equal(session.conn.peer, '?:<AF 0>'); // memcached's words for a unix peer
    c.close();
  } finally {
    await srv.close(true);
  }
  assert.equal(fs.existsSync(sock), false);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the default mask 0700 gives srwx------', async () => {
  const dir = tempDir();
  const sock = path.join(dir, 'mc.sock');
  const srv = await startInProcess({ unixSocketPath: sock });
  try {
    assert.equal(fs.lstatSync(sock).mode & 0o777, 0o700);
  } finally {
    await srv.close(true);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-a 7777: masked to 0777 as memcached does (no sticky or set-id bits on the socket)', async () => {
  const dir = tempDir();
  const sock = path.join(dir, 'mc.sock');
  const srv = await startInProcess({ unixSocketPath: sock, unixSocketMask: 0o7777 });
  try {
    assert.equal(fs.lstatSync(sock).mode & 0o7777, 0o777);
  } finally {
    await srv.close(true);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a stale socket file is replaced', async () => {
  const dir = tempDir();
  const sock = path.join(dir, 'mc.sock');
  // Leave a socket file behind without a listener: libuv unlinks its path on close, so keep a
  // hard link to the socket inode and put it back afterwards.
  const old = net.createServer();
  await new Promise<void>((r) => old.listen(sock, () => r()));
  fs.linkSync(sock, sock + '.keep');
  await new Promise<void>((r) => old.close(() => r()));
  fs.renameSync(sock + '.keep', sock);
  await assert.rejects(RawClient.connectTo({ path: sock })); // nobody listens: stale
  assert.ok(fs.lstatSync(sock).isSocket());
  const srv = await startInProcess({ unixSocketPath: sock, unixSocketMask: 0o600 });
  try {
    const c = await RawClient.connectTo({ path: sock });
    assert.equal(await c.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    c.close();
  } finally {
    await srv.close(true);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('any other file at PATH is a BIND error and is left alone', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'not-a-socket');
  fs.writeFileSync(file, 'keep me');
  try {
    await assert.rejects(startInProcess({ unixSocketPath: file }), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'BIND');
      assert.match((e as Error).message, /^bind\(\): Address already in use\nfailed to listen on UNIX socket: .*not-a-socket: .*not a socket$/);
      return true;
    });
    assert.equal(fs.readFileSync(file, 'utf8'), 'keep me');
    fs.mkdirSync(path.join(dir, 'a-dir'));
    await assert.rejects(startInProcess({ unixSocketPath: path.join(dir, 'a-dir') }), (e: unknown) => (e as { code?: string }).code === 'BIND');
    await assert.rejects(startInProcess({ unixSocketPath: path.join(dir, 'missing', 'x.sock') }), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'BIND');
      assert.match((e as Error).message, /No such file or directory/);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
