// Large values are sent as pinned views of their slab pages (no copy). A reply still queued in
// the socket must keep its bytes when the item is deleted and its memory churned meanwhile.
import { test } from 'node:test';
import net from 'node:net';
import assert from 'node:assert/strict';
import { RawClient } from '../support/client.js';
import { startOnLoopback } from '../support/server.js';
import { sleep } from '../support/wait.js';

const MIB = 1024 * 1024;

async function zeroCopyUnderChurn(mode: 'text' | 'binary' | 'meta'): Promise<void> {
  const binary = mode === 'binary';
  const srv = await startOnLoopback({ memLimitBytes: 32 * MIB });
  const port = srv.port;
  try {
    const size = 500 * 1024;
    const c = await RawClient.connect(port);
    c.send(`set big 0 0 ${size}\r\n${'A'.repeat(size)}\r\n`);
    assert.equal(await c.line(), 'STORED');
    // A reader that does not read: its replies (views of big's chunk) queue in the socket.
    const s = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.pause();
    const n = 48; // ~24 MB of replies: more than the kernel buffers hold
    if (binary) {
      const req = Buffer.alloc(24 + 3);
      req[0] = 0x80; // magic, opcode 0 = GET
      req.writeUInt16BE(3, 2); // key length
      req.writeUInt32BE(3, 8); // body length
      req.write('big', 24, 'latin1');
      s.write(Buffer.concat(new Array<Buffer>(n).fill(req)));
    } else {
      s.write((mode === 'meta' ? 'mg big v\r\n' : 'get big\r\n').repeat(n));
    }
    const deadline = Date.now() + 5000;
    while (srv.ctx.counters.out_buffer_pauses === 0 && Date.now() < deadline) await sleep(20);
    assert.ok(srv.ctx.counters.out_buffer_pauses > 0, 'replies are queued in the socket');
    // Meanwhile: delete it and churn the same slab class well past -m.
    c.send('delete big\r\n');
    assert.equal(await c.line(), 'DELETED');
    for (let i = 0; i < 80; i++) {
      c.send(`set other${i} 0 0 ${size} noreply\r\n${'B'.repeat(size)}\r\n`);
    }
    c.send('version\r\n');
    assert.match(await c.line(), /^VERSION /);
    // Now read everything: every value that went out is big's original bytes.
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 3000);
      let idle: NodeJS.Timeout | null = null;
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        if (idle !== null) clearTimeout(idle);
        idle = setTimeout(() => {
          clearTimeout(t);
          resolve();
        }, 300);
      });
      s.resume();
    });
    const all = Buffer.concat(chunks);
    let hits = 0;
    if (binary) {
      let p = 0;
      while (p + 24 <= all.length) {
        const bodyLen = all.readUInt32BE(p + 8);
        const status = all.readUInt16BE(p + 6);
        if (status === 0) {
          const extLen = all[p + 4]!;
          const v = all.subarray(p + 24 + extLen, p + 24 + bodyLen);
          assert.equal(v.length, size);
          assert.ok(v.every((b) => b === 0x41), `value ${hits} intact`);
          hits++;
        }
        p += 24 + bodyLen;
      }
      assert.equal(p, all.length);
    } else {
      const header = Buffer.from(mode === 'meta' ? `VA ${size}\r\n` : `VALUE big 0 ${size}\r\n`, 'latin1');
      const miss = mode === 'meta' ? 'EN\r\n' : 'END\r\n';
      let p = 0;
      while (p < all.length) {
        if (all.subarray(p, p + miss.length).toString('latin1') === miss) {
          p += miss.length;
          continue;
        }
        assert.ok(all.subarray(p, p + header.length).equals(header), `a VALUE header at ${p}`);
        p += header.length;
        const v = all.subarray(p, p + size);
        assert.ok(v.every((b) => b === 0x41), `value ${hits} intact`);
        assert.equal(all.toString('latin1', p + size, p + size + 2), '\r\n');
        p += size + 2;
        hits++;
      }
    }
    assert.ok(hits >= 4, `several values were in flight (${hits})`);
    s.destroy();
    c.close();
  } finally {
    await srv.close(true);
  }
}

test('text get: a queued large value keeps its bytes through delete and churn', async () => {
  await zeroCopyUnderChurn('text');
});

test('binary get: a queued large value keeps its bytes through delete and churn', async () => {
  await zeroCopyUnderChurn('binary');
});

test('meta mg: a queued large value keeps its bytes through delete and churn', async () => {
  await zeroCopyUnderChurn('meta');
});
