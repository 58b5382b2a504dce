// UDP transport (-U) over real loopback sockets: memcached's 8-byte frame, replies cut into
// datagrams of at most 1400 bytes and reassembled here, drops, IPv6, binary, counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { Settings } from '../../src/config/settings.js';
import { RawClient } from '../support/client.js';
import { req } from '../support/binary-packets.js';
import { Opcode } from '../../src/protocol/binary/header.js';
import { freePort } from '../support/ports.js';
import { loopback, startInProcess } from '../support/server.js';

function frame(id: number, payload: Buffer | string, seq = 0, total = 1, reserved = 0): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(seq, 2);
  h.writeUInt16BE(total, 4);
  h.writeUInt16BE(reserved, 6);
  return Buffer.concat([h, typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload]);
}

class UdpClient {
  readonly socket: dgram.Socket;
  private readonly got: Buffer[] = [];
  private wake: (() => void) | null = null;

  private constructor(socket: dgram.Socket) {
    this.socket = socket;
    socket.on('message', (m: Buffer) => {
      this.got.push(m);
      this.wake?.();
    });
  }

  static async open(v6 = false): Promise<UdpClient> {
    const s = dgram.createSocket(v6 ? 'udp6' : 'udp4');
    await new Promise<void>((r) => s.bind(0, v6 ? '::1' : '127.0.0.1', () => r()));
    return new UdpClient(s);
  }

  send(port: number, host: string, datagram: Buffer): void {
    this.socket.send(datagram, port, host);
  }

  /** Datagrams that arrive within ms, or until `count` have arrived. */
  async collect(ms: number, count = Infinity): Promise<Buffer[]> {
    const deadline = Date.now() + ms;
    while (this.got.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
    return this.got.splice(0, this.got.length);
  }

  /** Sends one request and reassembles the reply messages (each: seq 0..total-1). */
  async request(port: number, host: string, id: number, payload: string | Buffer, timeoutMs = 2000): Promise<{ datagrams: Buffer[]; text: string }> {
    this.send(port, host, frame(id, payload));
    const datagrams: Buffer[] = [];
    const deadline = Date.now() + timeoutMs;
    // A reply is complete when every message's datagrams have arrived; give stragglers 100 ms.
    for (;;) {
      const more = await this.collect(Math.min(100, Math.max(1, deadline - Date.now())));
      datagrams.push(...more);
      if ((more.length === 0 && datagrams.length > 0) || Date.now() >= deadline) break;
    }
    let text = '';
    let i = 0;
    while (i < datagrams.length) {
      const total = datagrams[i]!.readUInt16BE(4);
      const msg = datagrams.slice(i, i + total).sort((a, b) => a.readUInt16BE(2) - b.readUInt16BE(2));
      msg.forEach((d, seq) => {
        assert.equal(d.readUInt16BE(0), id, 'request id echoed');
        assert.equal(d.readUInt16BE(2), seq, 'sequence numbers 0..n-1');
        assert.equal(d.readUInt16BE(4), total);
        assert.equal(d.readUInt16BE(6), 0);
        assert.ok(d.length <= 1400);
        text += d.toString('latin1', 8);
      });
      i += total;
    }
    return { datagrams, text };
  }

  close(): void {
    this.socket.close();
  }
}

function udpOnly(port: number, v6 = false): Partial<Settings> {
  return {
    port: 0,
    udpPort: port,
    listen: [{ host: '127.0.0.1', port, isIpv6: false }, ...(v6 ? [{ host: '::1', port, isIpv6: true }] : [])],
    listenSpec: v6 ? '127.0.0.1,::1' : '127.0.0.1',
  };
}

test('-p 0 -U: UDP only; single and multi-datagram replies; 3000-byte value = 1400+1400+249', async () => {
  const port = await freePort();
  const srv = await startInProcess(udpOnly(port));
  const u = await UdpClient.open();
  try {
    assert.deepEqual(srv.tcpAddresses, []);
    assert.deepEqual(srv.udpAddresses, [{ host: '127.0.0.1', port }]);
    await assert.rejects(RawClient.connect(port));
    const v = await u.request(port, '127.0.0.1', 0x1234, 'version\r\n');
    assert.equal(v.text, 'VERSION 1.6.18\r\n');
    assert.deepEqual(v.datagrams.map((d) => d.length), [24]);

    const value = 'x'.repeat(3000);
    assert.equal((await u.request(port, '127.0.0.1', 1, `set big 5 0 3000\r\n${value}\r\n`)).text, 'STORED\r\n');
    const g = await u.request(port, '127.0.0.1', 0xabcd, 'get big\r\n');
    assert.deepEqual(g.datagrams.map((d) => d.length), [1400, 1400, 249]);
    assert.equal(g.text, `VALUE big 5 3000\r\n${value}\r\nEND\r\n`);
    assert.ok(srv.ctx.counters.bytes_read > 3000);
    assert.ok(srv.ctx.counters.bytes_written > 3000);
  } finally {
    u.close();
    await srv.close(true);
  }
});

test('every request in a datagram gets its own reply message, as in memcached', async () => {
  const port = await freePort();
  const srv = await startInProcess(udpOnly(port));
  const u = await UdpClient.open();
  try {
    const r = await u.request(port, '127.0.0.1', 9, 'set a 0 0 1\r\nb\r\nget a\r\n');
    assert.deepEqual(r.datagrams.map((d) => d.toString('latin1', 8)), ['STORED\r\n', 'VALUE a 0 1\r\nb\r\nEND\r\n']);
    assert.deepEqual(r.datagrams.map((d) => d.readUInt16BE(4)), [1, 1]);
  } finally {
    u.close();
    await srv.close(true);
  }
});

test('datagrams of 8 bytes or fewer and multi-datagram requests are dropped silently', async () => {
  const port = await freePort();
  const srv = await startInProcess(udpOnly(port));
  const u = await UdpClient.open();
  try {
    u.send(port, '127.0.0.1', frame(7, ''));
    u.send(port, '127.0.0.1', Buffer.from('abc'));
    u.send(port, '127.0.0.1', frame(7, 'version\r\n', 0, 2));
    u.send(port, '127.0.0.1', frame(7, 'version\r\n', 1, 2));
    assert.deepEqual(await u.collect(300), []);
    // seq and reserved are not checked; the server still answers afterwards.
    u.send(port, '127.0.0.1', frame(8, 'version\r\n', 3, 1, 9));
    const after = await u.collect(1000, 1);
    assert.equal(after.length, 1);
    assert.equal(after[0]!.readUInt16BE(0), 8);
    assert.equal(after[0]!.toString('latin1', 8), 'VERSION 1.6.18\r\n');
  } finally {
    u.close();
    await srv.close(true);
  }
});

test('an incomplete request is dropped with its datagram; the next one starts afresh', async () => {
  const port = await freePort();
  const srv = await startInProcess(udpOnly(port));
  const u = await UdpClient.open();
  try {
    u.send(port, '127.0.0.1', frame(1, 'vers'));
    assert.deepEqual(await u.collect(200), []);
    assert.equal((await u.request(port, '127.0.0.1', 2, 'version\r\n')).text, 'VERSION 1.6.18\r\n');
    u.send(port, '127.0.0.1', frame(3, 'set half 0 0 10\r\nb\r\n'));
    assert.deepEqual(await u.collect(200), []);
    assert.equal((await u.request(port, '127.0.0.1', 4, 'version\r\n')).text, 'VERSION 1.6.18\r\n');
    assert.equal((await u.request(port, '127.0.0.1', 5, 'get half\r\n')).text, 'END\r\n');
  } finally {
    u.close();
    await srv.close(true);
  }
});

test('binary protocol over UDP, negotiated per datagram', async () => {
  const port = await freePort();
  const srv = await startInProcess(udpOnly(port));
  const u = await UdpClient.open();
  try {
    const r = await u.request(port, '127.0.0.1', 0x55, req(Opcode.Version, { opaque: 0xdeadbeef }));
    assert.equal(r.datagrams.length, 1);
    const body = r.datagrams[0]!.subarray(8);
    assert.equal(body[0], 0x81);
    assert.equal(body[1], 0x0b);
    assert.equal(body.readUInt32BE(12), 0xdeadbeef);
    assert.equal(body.toString('latin1', 24), '1.6.18');
    assert.equal((await u.request(port, '127.0.0.1', 0x56, 'version\r\n')).text, 'VERSION 1.6.18\r\n');
  } finally {
    u.close();
    await srv.close(true);
  }
});

test('IPv6 UDP on ::1 beside 127.0.0.1; stats conns rows; -U with an explicit -l port', async () => {
  const port = await freePort();
  const srv = await startInProcess(udpOnly(port, true));
  const u6 = await UdpClient.open(true);
  const u4 = await UdpClient.open();
  try {
    assert.deepEqual(srv.udpAddresses, [{ host: '127.0.0.1', port }, { host: '::1', port }]);
    assert.equal((await u6.request(port, '::1', 77, 'version\r\n')).text, 'VERSION 1.6.18\r\n');
    assert.equal((await u4.request(port, '127.0.0.1', 78, 'version\r\n')).text, 'VERSION 1.6.18\r\n');
    const rows = srv.ctx.listeners!().map((l) => `${l.id} ${l.transport} ${l.addr}`);
    assert.deepEqual(rows, [`23 udp udp:127.0.0.1:${port}`, `24 udp udp6:[::1]:${port}`]);
  } finally {
    u4.close();
    u6.close();
    await srv.close(true);
  }
  // memcached: an entry's own port is used for UDP too; others take -U.
  const p1 = await freePort();
  const p2 = await freePort();
  const srv2 = await startInProcess({
    port: p1,
    udpPort: p2,
    listen: [{ host: '127.0.0.1', port: p1, isIpv6: false, explicitPort: true }, { host: '::1', port: p1, isIpv6: true }],
    listenSpec: `127.0.0.1:${p1},::1`,
  });
  try {
    assert.deepEqual(srv2.udpAddresses, [{ host: '127.0.0.1', port: p1 }, { host: '::1', port: p2 }]);
  } finally {
    await srv2.close(true);
  }
});

test('one UDP address: one UDP conn per thread in stats conns (memcached numbering)', async () => {
  const port = await freePort();
  const lines: string[] = [];
  const srv = await startInProcess({ ...loopback(port), udpPort: port, threads: 4 }, { logLines: lines, logLevel: 2 });
  try {
    assert.deepEqual(srv.ctx.listeners!().map((l) => l.id + ' ' + l.transport), ['23 tcp', '24 udp', '25 udp', '26 udp', '27 udp']);
    assert.ok(lines.includes('<24 server listening (udp)'));
    assert.equal(srv.ctx.wide.currConnections, 4);
    const c = await RawClient.connect(port);
    assert.equal(await c.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    assert.ok(lines.includes('<28 new auto-negotiating client connection'));
    c.close();
  } finally {
    await srv.close(true);
  }
});

test('UDP on a non-loopback address warns about reflection attacks', async () => {
  const port = await freePort();
  const lines: string[] = [];
  const srv = await startInProcess({ port: 0, udpPort: port, listen: [{ host: '0.0.0.0', port, isIpv6: false }], listenSpec: '0.0.0.0' }, { logLines: lines });
  try {
    assert.equal(lines.filter((l) => l.includes('Memcrashed')).length, 1);
  } finally {
    await srv.close(true);
  }
});

test('a UDP port in use is a BIND error', async () => {
  const port = await freePort();
  const blocker = dgram.createSocket('udp4');
  await new Promise<void>((r) => blocker.bind(port, '127.0.0.1', () => r()));
  try {
    await assert.rejects(startInProcess(udpOnly(port)), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'BIND');
      assert.equal((e as Error).message, 'failed to listen on one of interface(s) 127.0.0.1: Address already in use');
      return true;
    });
  } finally {
    blocker.close();
  }
});
