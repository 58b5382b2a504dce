// Per-connection bounds over real sockets: a client that sends but never reads makes the
// server stop reading from it (counted in `stats memcachedts` out_buffer_pauses) with memory
// bounded, whether it pipelines gets or sends one huge multiget; its replies are all there,
// in order, once it reads. A binary body over -I is refused before it is sent; idle
// connections are closed with -o idle_timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDaemon, withDaemon, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { req } from '../support/binary-packets.js';
import { Opcode } from '../../src/protocol/binary/header.js';
import { rssKb } from '../support/proc.js';
import { sleep } from '../support/wait.js';

async function extraStat(port: number, name: string): Promise<number> {
  const c = await RawClient.connect(port);
  const text = await c.request('stats memcachedts\r\n');
  c.close();
  const m = new RegExp(`^STAT ${name} (\\d+)`, 'm').exec(text);
  assert.ok(m !== null, text);
  return Number(m[1]);
}

const VALUE_BYTES = 500_000;
const REPLY_BYTES = `VALUE big 0 ${VALUE_BYTES}\r\n`.length + VALUE_BYTES + 2;

function withBigValue(body: (d: Daemon) => Promise<void>): Promise<void> {
  return withDaemon({ args: ['-m', '64'] }, async (d) => {
    const c = await RawClient.connect(d.port);
    assert.equal(await c.request(`set big 0 0 ${VALUE_BYTES}\r\n${'x'.repeat(VALUE_BYTES)}\r\n`, 'STORED'), 'STORED\r\n');
    c.close();
    await body(d);
  });
}

/** Reads and counts bytes until `END\r\n` ends the stream seen so far (bounded by time). */
function readAll(sock: net.Socket, wantBytes: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let total = 0;
    const t = setTimeout(() => reject(new Error(`read ${total} of ${wantBytes}`)), timeoutMs);
    sock.on('data', (d: Buffer) => {
      total += d.length;
      if (total >= wantBytes) {
        clearTimeout(t);
        resolve(total);
      }
    });
    sock.resume();
  });
}

for (const shape of ['one multiget line', 'pipelined gets'] as const) {
  test(`a client that never reads (${shape}): the server stops reading it, memory stays bounded`, async () => {
    await withBigValue(async (d) => {
      const pid = d.proc.pid!;
      const base = rssKb(pid);
      const count = 3000; // 1.5 GB of replies
      const sock = net.connect(d.port, '127.0.0.1');
      sock.on('error', () => {});
      await new Promise((r) => sock.once('connect', r));
      sock.pause(); // never read (for now)
      const req = shape === 'one multiget line' ? 'get ' + Array(count).fill('big').join(' ') + '\r\n' : 'get big\r\n'.repeat(count);
      sock.write(req);
      let peak = 0;
      for (let i = 0; i < 15; i++) {
        await sleep(100);
        peak = Math.max(peak, rssKb(pid));
      }
      assert.ok(peak - base < 64 * 1024, `RSS grew ${peak - base} kB (base ${base} kB)`);
      assert.ok((await extraStat(d.port, 'out_buffer_pauses')) >= 1);
      // Others are served meanwhile.
      const other = await RawClient.connect(d.port);
      assert.equal(await other.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
      other.close();
      // Everything arrives once the client reads.
      const want = count * REPLY_BYTES + (shape === 'one multiget line' ? 5 : 5 * count);
      assert.equal(await readAll(sock, want, 30_000), want);
      assert.ok(rssKb(pid) - base < 64 * 1024);
      sock.destroy();
    });
  });
}

test('a multiget suspended between batches gives the same bytes as memcached would', async () => {
  await withBigValue(async (d) => {
    const c = await RawClient.connect(d.port);
    // 5 big values (2.5 MB: the line is continued over batches), small keys between them.
    assert.equal(await c.request('set s 3 0 2\r\nhi\r\n', 'STORED'), 'STORED\r\n');
    c.send('get big s nokey big s big big big s\r\nget s\r\n');
    const big = `VALUE big 0 ${VALUE_BYTES}\r\n${'x'.repeat(VALUE_BYTES)}\r\n`;
    const s = 'VALUE s 3 2\r\nhi\r\n';
    const want = big + s + big + s + big + big + big + s + 'END\r\n' + s + 'END\r\n';
    const got = await c.read(want.length, 10_000);
    assert.ok(got.equals(Buffer.from(want)), 'bytes differ');
    assert.equal((await c.drain(100)).length, 0);
    c.close();
  });
});

test('a binary body over -I is refused from its header, before the body is sent', async () => {
  const d = await startDaemon({ args: ['-m', '64', '-I', '1m'] });
  try {
    const c = await RawClient.connect(d.port);
    // The header, the extras (flags, exptime) and the key: no value byte yet.
    c.send(req(Opcode.Set, { key: 'k', ext: Buffer.alloc(8), bodyLen: 2 * 1024 * 1024 + 9, opaque: 0 }));
    const reply = await c.read(24 + 10, 2000);
    assert.equal(reply.readUInt16BE(6), 0x0003);
    assert.equal(reply.subarray(24).toString(), 'Too large.');
    c.close();
  } finally {
    await d.stop();
  }
});

test('-o idle_timeout closes idle connections, not busy ones', async () => {
  const d = await startDaemon({ args: ['-o', 'idle_timeout=1'] });
  try {
    const idle = await RawClient.connect(d.port);
    const busy = await RawClient.connect(d.port);
    const t0 = Date.now();
    let closedAt = 0;
    while (Date.now() - t0 < 4000) {
      assert.equal(await busy.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
      if (closedAt === 0 && idle.closed) closedAt = Date.now() - t0;
      if (closedAt !== 0 && Date.now() - t0 > closedAt + 300) break;
      await sleep(100);
    }
    assert.ok(closedAt > 0 && closedAt < 3500, `idle connection closed after ${closedAt} ms`);
    assert.ok(!busy.closed);
    busy.close();
  } finally {
    await d.stop();
  }
});

test('-o idle_timeout leaves a connection alone while its replies are still being sent, then kicks it', async () => {
  // memcached kicks only connections waiting for a command: a client that reads a big reply
  // slowly for longer than idle_timeout gets all of it; once it waits for a command again, its
  // last command is long past and it is kicked (the timer was re-armed while it was busy).
  const d = await startDaemon({ args: ['-o', 'idle_timeout=1', '-m', '64'] });
  try {
    const value = Buffer.alloc(1000 * 1000, 0x61);
    const setup = await RawClient.connect(d.port);
    for (let i = 0; i < 8; i++) {
      setup.send(Buffer.concat([Buffer.from(`set big${i} 0 0 ${value.length}\r\n`), value, Buffer.from('\r\n')]));
      assert.equal(await setup.line(), 'STORED');
    }
    setup.close();
    const keys = Array.from({ length: 24 }, (_, i) => `big${i % 8}`).join(' ');
    const want = 24 * (value.length + 2) + 24 * `VALUE big0 0 ${value.length}\r\n`.length + 5;
    const s = net.connect({ host: '127.0.0.1', port: d.port });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('error', reject);
    });
    let got = 0;
    let closed = false;
    let gotAtClose = -1;
    s.on('close', () => {
      closed = true;
      gotAtClose = got;
    });
    s.on('data', (chunk: Buffer) => {
      got += chunk.length;
      s.pause(); // read slowly: a pause after every chunk
      setTimeout(() => s.resume(), 8);
    });
    s.write(`get ${keys}\r\n`);
    const t0 = Date.now();
    while (got < want && !closed && Date.now() - t0 < 15_000) await sleep(50);
    assert.equal(got, want, `${closed ? 'closed' : 'stalled'} after ${Date.now() - t0} ms with ${got} of ${want} bytes`);
    const doneAt = Date.now();
    assert.ok(doneAt - t0 > 1200, 'the transfer outlasted idle_timeout (else the test proves nothing)');
    while (!closed && Date.now() - doneAt < 5000) await sleep(50);
    assert.ok(closed, 'an idle connection is kicked once its replies are sent');
    assert.equal(gotAtClose, want, 'kicked only after every byte was sent');
    s.destroy();
  } finally {
    await d.stop();
  }
});
