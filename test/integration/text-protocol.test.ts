// The classic text protocol over real sockets against bin/memcachedts: pipelining, values
// larger than a packet, -vv lines, -Y auth, quit and the HTTP hang-up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { sleep } from '../support/wait.js';
import { makeTempDir } from '../support/temp-dir.js';

let d: Daemon;

before(async () => {
  d = await startDaemon({ args: ['-vv'] });
});

after(async () => {
  await d?.stop();
});

test('pipelined requests are answered in order', async () => {
  const c = await RawClient.connect(d.port);
  let req = '';
  let want = '';
  for (let i = 0; i < 200; i++) {
    req += `set p${i} ${i} 0 ${String(i).length}\r\n${i}\r\nget p${i}\r\n`;
    want += `STORED\r\nVALUE p${i} ${i} ${String(i).length}\r\n${i}\r\nEND\r\n`;
  }
  c.send(req);
  assert.equal((await c.read(Buffer.byteLength(want))).toString(), want);
  c.close();
});

test('a 500 KB value written in pieces round-trips', async () => {
  const c = await RawClient.connect(d.port);
  const value = Buffer.alloc(500 * 1024, 'q');
  c.send(`set big 7 0 ${value.length}\r\n`);
  for (let off = 0; off < value.length; off += 7000) {
    c.send(value.subarray(off, Math.min(off + 7000, value.length)));
  }
  c.send('\r\n');
  assert.equal(await c.line(), 'STORED');
  c.send('get big\r\n');
  assert.equal(await c.line(), `VALUE big 7 ${value.length}`);
  assert.ok((await c.read(value.length + 2)).equals(Buffer.concat([value, Buffer.from('\r\n')])));
  assert.equal(await c.line(), 'END');
  c.close();
});

test('quit closes; an HTTP request is hung up on', async () => {
  const a = await RawClient.connect(d.port);
  a.send('quit\r\n');
  assert.ok(await a.closedWithin(2000));
  const b = await RawClient.connect(d.port);
  b.send('GET / HTTP/1.1\r\n');
  assert.ok(await b.closedWithin(2000));
  assert.equal((await b.drain(50)).length, 0);
});

test('a long line that is not a get closes the connection', async () => {
  const c = await RawClient.connect(d.port);
  c.send('set ' + 'x'.repeat(4000));
  assert.ok(await c.closedWithin(2000));
});

test('-vv prints memcached-style command lines', async () => {
  const c = await RawClient.connect(d.port);
  await c.request('set vv 0 0 1\r\na\r\n', 'STORED');
  await c.request('get vv\r\n');
  c.close();
  const deadline = Date.now() + 2000;
  while (!/>\d+ END/.test(d.stderr()) && Date.now() < deadline) await sleep(20);
  const err = d.stderr();
  assert.match(err, /<\d+ set vv 0 0 1\n>\d+ STORED\n<\d+ get vv\n>\d+ sending key vv\n>\d+ END\n/);
});

test('-Y ascii authentication', async () => {
  const dir = makeTempDir('mcts-y-');
  const file = path.join(dir, 'auth');
  fs.writeFileSync(file, 'alice:secret\n');
  const y = await startDaemon({ args: ['-Y', file] });
  try {
    const c = await RawClient.connect(y.port);
    assert.equal(await c.request('version\r\n', 'x'), 'CLIENT_ERROR unauthenticated\r\n');
    c.send('set x 0 0 11\r\nalice wrong\r\n');
    assert.equal(await c.line(), 'CLIENT_ERROR authentication failure');
    c.send('set x 0 0 12\r\nalice secret\r\n');
    assert.equal(await c.line(), 'STORED');
    c.send('version\r\n');
    assert.equal(await c.line(), 'VERSION 1.6.18');
    c.send('stats\r\n');
    let auth = '';
    for (;;) {
      const l = await c.line();
      if (l.startsWith('STAT auth_')) auth += l + '\n';
      if (l === 'END') break;
    }
    assert.equal(auth, 'STAT auth_cmds 2\nSTAT auth_errors 1\n');
    c.close();
  } finally {
    await y.stop();
  }
});
