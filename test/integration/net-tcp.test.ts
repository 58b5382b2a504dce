// TCP transport over real loopback sockets: v4 and v6, pipelining, -c, idle timeout, bind errors,
// -vv connection lines, connection counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { RawClient } from '../support/client.js';
import { freePort } from '../support/ports.js';
import { loopback, startInProcess } from '../support/server.js';
import { waitFor } from '../support/wait.js';

test('answers on 127.0.0.1 and ::1; -vv lines; counters', async () => {
  const port = await freePort();
  const lines: string[] = [];
  const srv = await startInProcess(loopback(port, true), { logLines: lines, logLevel: 2 });
  try {
    assert.deepEqual(srv.tcpAddresses.map((a) => a.host + ' ' + a.port), [`127.0.0.1 ${port}`, `::1 ${port}`]);
    assert.deepEqual(lines.slice(0, 2), ['<23 server listening (auto-negotiate)', '<24 server listening (auto-negotiate)']);
    const c4 = await RawClient.connect(port, '127.0.0.1');
    const c6 = await RawClient.connect(port, '::1');
    assert.equal(await c4.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    assert.equal(await c6.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    assert.ok(lines.includes('<25 new auto-negotiating client connection'), lines.join('\n'));
    assert.ok(lines.includes('<26 new auto-negotiating client connection'));
    const c = srv.ctx.counters;
    // memcached counts its listeners as conns: 2 listeners + 2 clients - 1
    assert.equal(srv.ctx.wide.currConnections, 3);
    assert.equal(c.total_connections, 4);
    assert.equal(srv.ctx.sessions.size, 2);
    const peers = [...srv.ctx.sessions].map((s) => s.conn.peer).sort();
    assert.match(peers[0]!, /^tcp6:\[::1\]:\d+$/);
    assert.match(peers[1]!, /^tcp:127\.0\.0\.1:\d+$/);
    assert.deepEqual([...srv.ctx.sessions].map((s) => s.conn.listenAddr).sort(), [`tcp6:[::1]:${port}`, `tcp:127.0.0.1:${port}`]);
    assert.ok(c.bytes_written >= 32);
    c4.close();
    await waitFor(() => lines.includes('<25 connection closed.'), 'the close line', 2000);
    assert.equal(srv.ctx.wide.currConnections, 2);
    c6.close();
  } finally {
    await srv.close(true);
  }
});

test('pipelined requests are answered in order', async () => {
  const port = await freePort();
  const srv = await startInProcess(loopback(port));
  try {
    const c = await RawClient.connect(port);
    let req = '';
    let want = '';
    for (let i = 0; i < 50; i++) {
      req += `set k${i} 0 0 ${String(i).length}\r\n${i}\r\n`;
      want += 'STORED\r\n';
    }
    for (let i = 0; i < 50; i++) {
      req += `get k${i}\r\n`;
      want += `VALUE k${i} 0 ${String(i).length}\r\n${i}\r\nEND\r\n`;
    }
    req += 'version\r\n';
    want += 'VERSION 1.6.18\r\n';
    c.send(req);
    const got = await c.read(want.length);
    assert.equal(got.toString('latin1'), want);
    c.close();
  } finally {
    await srv.close(true);
  }
});

test('-R yields: a long pipeline is still answered completely and in order', async () => {
  const port = await freePort();
  const srv = await startInProcess({ ...loopback(port), reqsPerEvent: 3 });
  try {
    const c = await RawClient.connect(port);
    c.send('version\r\n'.repeat(40));
    const got = await c.read('VERSION 1.6.18\r\n'.length * 40);
    assert.equal(got.toString('latin1'), 'VERSION 1.6.18\r\n'.repeat(40));
    assert.ok(srv.ctx.counters.conn_yields > 0);
    // The client closing its side right after a pipeline still gets every reply.
    const d = await RawClient.connect(port);
    d.send('version\r\n'.repeat(20));
    d.socket.end();
    const all = await d.read('VERSION 1.6.18\r\n'.length * 20);
    assert.equal(all.length, 16 * 20);
    assert.ok(await d.closedWithin(2000));
    c.close();
  } finally {
    await srv.close(true);
  }
});

test('quit closes the connection', async () => {
  const port = await freePort();
  const srv = await startInProcess(loopback(port));
  try {
    const c = await RawClient.connect(port);
    c.send('quit\r\n');
    assert.ok(await c.closedWithin(2000));
    assert.equal((await c.drain(10)).length, 0);
  } finally {
    await srv.close(true);
  }
});

test('-c: the extra connection gets memcached\'s error and is closed', async () => {
  const port = await freePort();
  const srv = await startInProcess({ ...loopback(port), maxConnections: 2 });
  try {
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    assert.equal(await a.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    const extra = await RawClient.connect(port);
    assert.equal(await extra.line(), 'ERROR Too many open connections');
    assert.ok(await extra.closedWithin(2000));
    assert.equal(srv.ctx.counters.rejected_connections, 1);
    assert.equal(await b.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    a.close();
    await waitFor(() => srv.ctx.sessions.size === 1, 'one session left', 2000);
    const again = await RawClient.connect(port);
    assert.equal(await again.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    again.close();
    b.close();
  } finally {
    await srv.close(true);
  }
});

test('-c with maxconns_fast off: the extra connection waits for a free slot', async () => {
  const port = await freePort();
  const srv = await startInProcess({ ...loopback(port), maxConnections: 1, maxconnsFast: false });
  try {
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    b.send('version\r\n');
    assert.equal((await b.drain(150)).length, 0);
    assert.equal(srv.ctx.wide.acceptingConns, 0);
    assert.equal(srv.ctx.counters.listen_disabled_num, 1);
    a.close();
    assert.equal(await b.line(), 'VERSION 1.6.18');
    assert.equal(srv.ctx.wide.acceptingConns, 1);
    b.close();
  } finally {
    await srv.close(true);
  }
});

test('-o idle_timeout closes idle connections', async () => {
  const port = await freePort();
  const srv = await startInProcess({ ...loopback(port), idleTimeoutSec: 1 });
  try {
    const c = await RawClient.connect(port);
    assert.equal(await c.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    assert.ok(await c.closedWithin(3000));
    assert.equal(srv.ctx.counters.conns_closed_idle, 1);
  } finally {
    await srv.close(true);
  }
});

test('a port in use is a BIND error naming the address, as memcached words it', async () => {
  const port = await freePort();
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
  try {
    await assert.rejects(startInProcess(loopback(port)), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'BIND');
      assert.equal((e as Error).message, 'failed to listen on one of interface(s) 127.0.0.1: Address already in use');
      return true;
    });
  } finally {
    blocker.close();
  }
  // Without -l (0.0.0.0 and ::), both taken: memcached's "TCP port" wording.
  const port2 = await freePort();
  const b4 = net.createServer();
  const b6 = net.createServer();
  await new Promise<void>((r) => b4.listen({ port: port2, host: '0.0.0.0' }, () => r()));
  await new Promise<void>((r) => b6.listen({ port: port2, host: '::', ipv6Only: true }, () => r()));
  try {
    await assert.rejects(startInProcess({ port: port2 }), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'BIND');
      assert.equal((e as Error).message, `failed to listen on TCP port ${port2}: Address already in use`);
      return true;
    });
  } finally {
    b4.close();
    b6.close();
  }
});

test('an address this host does not have is a BIND error', async () => {
  const port = await freePort();
  await assert.rejects(
    startInProcess({ port, listen: [{ host: '192.0.2.1', port, isIpv6: false }], listenSpec: '192.0.2.1' }),
    (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'BIND');
      assert.equal(
        (e as Error).message,
        'bind(): Cannot assign requested address\nfailed to listen on one of interface(s) 192.0.2.1: Cannot assign requested address',
      );
      return true;
    },
  );
});

test('names are resolved at bind time; -p 0 means no TCP', async () => {
  const port = await freePort();
  const srv = await startInProcess({ port, listen: [{ host: 'localhost', port, isIpv6: false }], listenSpec: 'localhost' });
  try {
    assert.ok(srv.tcpAddresses.length >= 1);
    assert.ok(srv.tcpAddresses.every((a) => a.host === '127.0.0.1' || a.host === '::1'));
    const c = await RawClient.connect(srv.tcpAddresses[0]!.port, srv.tcpAddresses[0]!.host);
    assert.equal(await c.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    c.close();
  } finally {
    await srv.close(true);
  }
  const off = await startInProcess({ ...loopback(port), port: 0 });
  try {
    assert.deepEqual(off.tcpAddresses, []);
    await assert.rejects(RawClient.connect(port));
  } finally {
    await off.close(true);
  }
});

test('a non-loopback listener without auth is warned about', async () => {
  const port = await freePort();
  const lines: string[] = [];
  const srv = await startInProcess({ port, listen: [{ host: '0.0.0.0', port, isIpv6: false }], listenSpec: '0.0.0.0' }, { logLines: lines });
  try {
    assert.equal(lines.filter((l) => l.includes('not loopback') && l.includes('-S or -Y')).length, 1);
  } finally {
    await srv.close(true);
  }
  const quiet: string[] = [];
  const srv2 = await startInProcess(loopback(port), { logLines: quiet });
  await srv2.close(true);
  assert.deepEqual(quiet, []);
});

test('a non-loopback listener with auth but without TLS is warned about (passwords in clear)', async () => {
  const port = await freePort();
  const lines: string[] = [];
  const srv = await startInProcess({ port, listen: [{ host: '0.0.0.0', port, isIpv6: false }], listenSpec: '0.0.0.0', authFile: '/nonexistent' }, { logLines: lines });
  try {
    assert.equal(lines.filter((l) => l.includes('not loopback') && l.includes('without TLS') && l.includes('-Z')).length, 1, lines.join('\n'));
    assert.equal(lines.filter((l) => l.includes('with no authentication')).length, 0);
  } finally {
    await srv.close(true);
  }
});

test('close(graceful) flushes queued replies and closes every connection', async () => {
  const port = await freePort();
  const srv = await startInProcess(loopback(port));
  const c = await RawClient.connect(port);
  c.send('version\r\n');
  assert.equal(await c.line(), 'VERSION 1.6.18');
  await srv.close(true);
  assert.ok(await c.closedWithin(2500));
  await assert.rejects(RawClient.connect(port));
});
