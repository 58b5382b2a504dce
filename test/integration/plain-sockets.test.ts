// The daemon with MEMCACHEDTS_PLAIN_SOCKETS=1 (Node's ordinary accepted sockets and
// socket.write(): the fallback of net/static-read.ts and net/socket-writer.ts) and without it
// (static read buffer, writes straight to the stream handle): the same exchanges must work on
// both, including a client that queues ~20 MB of replies without reading for a while (the
// async write path, the connection pausing its reads and resuming them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { sleep } from '../support/wait.js';

const MODES = [
  { name: 'MEMCACHEDTS_PLAIN_SOCKETS=1', env: { MEMCACHEDTS_PLAIN_SOCKETS: '1' } },
  { name: 'default (static reads, direct writes)', env: { MEMCACHEDTS_PLAIN_SOCKETS: '' } },
] as const;

function valueOf(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = 33 + ((seed * 13 + i * 7 + (i >> 5)) % 90); // printable, no CR/LF
  return b;
}

function valueReply(key: string, flags: number, v: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`VALUE ${key} ${flags} ${v.length}\r\n`, 'latin1'), v, Buffer.from('\r\n')]);
}

async function stat(port: number, name: string): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    const value = (await c.stats('memcachedts')).get(name);
    assert.match(value ?? '', /^\d+$/, `no ${name} in stats`);
    return Number(value);
  } finally {
    c.close();
  }
}

async function basicExchanges(d: Daemon): Promise<void> {
  const c = await RawClient.connect(d.port);
  try {
    assert.equal(await c.request('set a 5 0 3\r\nabc\r\n', 'STORED'), 'STORED\r\n');
    assert.equal(await c.request('set b 0 0 0\r\n\r\n', 'STORED'), 'STORED\r\n');
    assert.equal(await c.request('get a\r\n'), 'VALUE a 5 3\r\nabc\r\nEND\r\n');
    assert.equal(await c.request('get a nope b a\r\n'), 'VALUE a 5 3\r\nabc\r\nVALUE b 0 0\r\n\r\nVALUE a 5 3\r\nabc\r\nEND\r\n');
    assert.equal(await c.request('get nope\r\n'), 'END\r\n');

    // A 300 KB value, set in one write and read back byte-exact.
    const big = valueOf(300 * 1024, 1);
    c.send(Buffer.concat([Buffer.from(`set big 7 0 ${big.length}\r\n`), big, Buffer.from('\r\n')]));
    assert.equal(await c.line(), 'STORED');
    c.send('get big\r\n');
    const want = Buffer.concat([valueReply('big', 7, big), Buffer.from('END\r\n')]);
    assert.ok((await c.read(want.length, 5000)).equals(want), 'the 300 KB value');

    // 2000 pipelined gets in one write (hits of various sizes and misses).
    const setParts: Buffer[] = [];
    const vals = new Map<string, Buffer>();
    for (let i = 0; i < 100; i++) {
      const v = valueOf(1 + ((i * 37) % 300), i + 10);
      vals.set('k' + i, v);
      setParts.push(Buffer.from(`set k${i} ${i} 0 ${v.length} noreply\r\n`), v, Buffer.from('\r\n'));
    }
    c.send(Buffer.concat(setParts));
    assert.equal(await c.request('mn\r\n', 'MN'), 'MN\r\n');
    const req: string[] = [];
    const expected: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const key = 'k' + ((i * 7) % 150); // k100..k149 miss
      req.push(`get ${key}\r\n`);
      const v = vals.get(key);
      if (v !== undefined) expected.push(valueReply(key, (i * 7) % 150, v));
      expected.push(Buffer.from('END\r\n'));
    }
    c.send(req.join(''));
    const all = Buffer.concat(expected);
    const got = await c.read(all.length, 5000);
    assert.ok(got.equals(all), '2000 pipelined gets');
    assert.equal((await c.drain(50)).length, 0, 'nothing more');
  } finally {
    c.close();
  }
}

/**
 * ~20 MB of get replies requested at once by a client that reads nothing for a while, then
 * everything. a (500 B) is copied into the reply buffer; b (20 KB) goes out as a pinned view.
 */
async function slowReader(d: Daemon): Promise<void> {
  const setup = await RawClient.connect(d.port);
  const a = valueOf(500, 2);
  const b = valueOf(20_000, 3);
  try {
    setup.send(Buffer.concat([Buffer.from(`set a 1 0 ${a.length}\r\n`), a, Buffer.from(`\r\nset b 2 0 ${b.length}\r\n`), b, Buffer.from('\r\n')]));
    assert.equal(await setup.line(), 'STORED');
    assert.equal(await setup.line(), 'STORED');
  } finally {
    setup.close();
  }
  const group = Buffer.from('get a\r\n'.repeat(20) + 'get b\r\nget none\r\n');
  const groupReply = Buffer.concat([
    ...Array.from({ length: 20 }, () => Buffer.concat([valueReply('a', 1, a), Buffer.from('END\r\n')])),
    valueReply('b', 2, b),
    Buffer.from('END\r\nEND\r\n'),
  ]);
  const groups = Math.ceil((20 * 1024 * 1024) / groupReply.length);
  const totalReply = groups * groupReply.length;
  const pausesBefore = await stat(d.port, 'out_buffer_pauses');

  const s = net.connect(d.port, '127.0.0.1');
  s.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('error', reject);
  });
  try {
    s.pause();
    s.write(Buffer.concat(Array.from({ length: groups }, () => group)));
    await sleep(400); // not reading: the server's writes queue, then it stops reading us
    const pausesDuring = await stat(d.port, 'out_buffer_pauses');
    assert.ok(pausesDuring > pausesBefore, `the connection was paused (out_buffer_pauses ${pausesBefore} -> ${pausesDuring})`);

    // Now read everything, checking it against the group reply on the fly.
    let off = 0;
    let bad = '';
    const done = new Promise<void>((resolve) => {
      const finish = (): void => resolve();
      s.on('data', (chunk: Buffer) => {
        let i = 0;
        while (i < chunk.length && bad === '') {
          const at = off % groupReply.length;
          const n = Math.min(chunk.length - i, groupReply.length - at);
          if (off + n > totalReply) {
            bad = `more than ${totalReply} bytes`;
            break;
          }
          if (!chunk.subarray(i, i + n).equals(groupReply.subarray(at, at + n))) bad = `wrong bytes at ${off}`;
          i += n;
          off += n;
        }
        if (bad !== '' || off === totalReply) finish();
      });
      s.on('close', finish);
      setTimeout(finish, 8000).unref();
    });
    s.resume();
    await done;
    assert.equal(bad, '');
    assert.equal(off, totalReply, `read ${off} of ${totalReply} bytes`);
    // The connection is still good afterwards.
    const after = new Promise<string>((resolve) => {
      let text = '';
      s.removeAllListeners('data');
      s.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        if (text.endsWith('END\r\n')) resolve(text);
      });
      setTimeout(() => resolve(text), 3000).unref();
    });
    s.write('get a\r\n');
    assert.equal(await after, `VALUE a 1 500\r\n${a.toString('latin1')}\r\nEND\r\n`);
  } finally {
    s.destroy();
  }
}

for (const mode of MODES) {
  test(`${mode.name}: set/get/multi-get, a 300 KB value, 2000 pipelined gets; a slow reader of ~20 MB`, async () => {
    const d = await startDaemon({ env: { ...mode.env } });
    try {
      // The switch is read by the daemon's modules at load: make sure it got it (Linux /proc).
      const environ = fs.existsSync(`/proc/${d.proc.pid}/environ`) ? fs.readFileSync(`/proc/${d.proc.pid}/environ`, 'latin1').split('\0') : null;
      if (environ !== null) assert.ok(environ.includes('MEMCACHEDTS_PLAIN_SOCKETS=' + mode.env.MEMCACHEDTS_PLAIN_SOCKETS));
      await basicExchanges(d);
      await slowReader(d);
    } finally {
      const code = await d.stop();
      assert.equal(d.stderr(), '', 'nothing on stderr');
      assert.ok(code === 0 || code === 'SIGTERM', `exit ${String(code)}`);
    }
  });
}
