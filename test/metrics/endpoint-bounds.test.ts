// The metrics endpoint as an attacker sees it: only GET/HEAD /metrics, no request body read,
// bounded heads, connections and time; and the cache keeps answering throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { MAX_CONNECTIONS } from '../../src/metrics/http-endpoint.js';
import { RawClient } from '../support/client.js';
import { startOnLoopback } from '../support/server.js';
import { httpRequest } from './exposition.js';
import { sleep } from '../support/wait.js';

/** Raw bytes to the endpoint; everything it answers until it closes (bounded). */
function rawExchange(port: number, bytes: string, ms = 3000): Promise<{ reply: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let reply = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ reply, closed: false });
    }, ms);
    s.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ reply, closed: true });
    });
    s.write(bytes);
  });
}

test('GET and HEAD /metrics only: 404 elsewhere, 405 for other methods, bodies refused, all closed', async () => {
  const srv = await startOnLoopback({}, { metrics: true });
  const { port, metricsPort } = srv;
  try {
    const ok = await httpRequest(metricsPort, '/metrics?name[]=memcached_up');
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^# HELP memcached_up /);
    const head = await httpRequest(metricsPort, '/metrics', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.ok(Number(head.headers['content-length']) > 1000);

    for (const path of ['/', '/metrics/', '/Metrics', '/metricsx', '/../metrics', '/stats']) {
      const r = await httpRequest(metricsPort, path);
      assert.equal(r.status, 404, path);
      assert.equal(r.headers.connection, 'close');
    }
    const post = await httpRequest(metricsPort, '/metrics', { method: 'DELETE' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');

    // A body is never read: the reply comes at once and the connection closes, though the
    // announced 10 MB never arrive.
    const body = await rawExchange(metricsPort, 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\nabc', 3000);
    assert.match(body.reply, /^HTTP\/1\.1 413 /);
    assert.equal(body.closed, true);
    const chunked = await rawExchange(metricsPort, 'GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab', 3000);
    assert.match(chunked.reply, /^HTTP\/1\.1 413 /);
    assert.equal(chunked.closed, true);

    // Not HTTP at all, or a head beyond 8 KiB: Node's 400 / 431, closed.
    const garbage = await rawExchange(metricsPort, 'get foo\r\n\r\n');
    assert.match(garbage.reply, /^HTTP\/1\.1 400 /);
    assert.equal(garbage.closed, true);
    const big = await rawExchange(metricsPort, `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(9000)}\r\n\r\n`);
    assert.match(big.reply, /^HTTP\/1\.1 431 /);
    assert.equal(big.closed, true);

    const c = await RawClient.connect(port);
    assert.equal(await c.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    c.close();
  } finally {
    await srv.close(false);
  }
});

test(`at most ${MAX_CONNECTIONS} connections at once; a head that never completes is closed within seconds`, async () => {
  const srv = await startOnLoopback({}, { metrics: true });
  const { port, metricsPort } = srv;
  const sockets: net.Socket[] = [];
  try {
    const closedFlags: boolean[] = [];
    for (let i = 0; i < MAX_CONNECTIONS + 4; i++) {
      const s = net.connect(metricsPort, '127.0.0.1');
      const idx = i;
      closedFlags.push(false);
      s.on('error', () => {});
      s.on('data', () => {}); // read, so that the server's close is seen
      s.on('close', () => (closedFlags[idx] = true));
      sockets.push(s);
      await new Promise<void>((resolve) => s.once('connect', () => resolve()).once('close', () => resolve()));
      s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'); // an unfinished head
    }
    await sleep(300);
    const refusedNow = closedFlags.filter((x) => x).length;
    assert.ok(refusedNow >= 4, `connections beyond ${MAX_CONNECTIONS} are closed at once (${refusedNow} closed)`);

    // The cache answers while the endpoint is full.
    const c = await RawClient.connect(port);
    assert.equal(await c.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    c.close();

    // Unfinished heads: headersTimeout (5 s) plus Node's check interval (1 s).
    const started = Date.now();
    while (closedFlags.some((x) => !x) && Date.now() - started < 9000) await sleep(100);
    assert.ok(closedFlags.every((x) => x), `slow heads are closed by the server (${closedFlags.filter((x) => x).length} closed, ${Date.now() - started} ms)`);
    // With the slots free again, a scrape works.
    assert.equal((await httpRequest(metricsPort, '/metrics')).status, 200);
  } finally {
    for (const s of sockets) s.destroy();
    await srv.close(false);
  }
});
