// memcachedts_auth_* by mechanism (-S SASL PLAIN over binary, -Y ascii tokens) and throttled
// peers; the real daemon with -o metrics_listen: scraped with curl, stopped by SIGTERM with the
// port released, and a taken metrics port refused at start-up like any bind failure (exit 71).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Authenticator } from '../../src/auth/authenticator.js';
import { RawClient } from '../support/client.js';
import { req } from '../support/binary-packets.js';
import { Opcode } from '../../src/protocol/binary/header.js';
import { freePort } from '../support/ports.js';
import { runToExit, startDaemon } from '../support/daemon.js';
import { startOnLoopback } from '../support/server.js';
import { haveTool, run } from '../support/tools.js';
import { parseExposition, scrape, valueOf } from './exposition.js';
import { sleep } from '../support/wait.js';

/** A binary SASL_AUTH (0x21) request for PLAIN with `\0user\0password`. */
function saslAuthPlain(user: string, password: string): Buffer {
  return req(Opcode.SaslAuth, { key: 'PLAIN', value: `\0${user}\0${password}`, opaque: 0 });
}

/** One binary reply: its status and body. */
async function readReply(c: RawClient, timeoutMs: number): Promise<{ status: number; body: string }> {
  const header = await c.read(24, timeoutMs);
  const body = await c.read(header.readUInt32BE(8), timeoutMs);
  return { status: header.readUInt16BE(6), body: body.toString('latin1') };
}

test('-S: SASL PLAIN successes and failures, throttled peers', async () => {
  const sasl: Authenticator = {
    mechanisms: ['PLAIN'],
    checkPlain: (_z, user, pw) => user === 'u' && pw === 'right',
    checkCramMd5: () => undefined,
    reload: () => {},
    sources: () => [],
    sourceErrors: () => 0,
  };
  const srv = await startOnLoopback({ saslEnabled: true, bindingProtocol: 'binary' }, { metrics: true, deps: () => ({ sasl }) });
  const metricsPort = srv.metricsPort;
  const c = await RawClient.connect(srv.port);
  try {
    let m = await scrape(metricsPort);
    assert.equal(valueOf(m, 'memcachedts_auth_failures_total', { mechanism: 'PLAIN' }), 0);
    assert.equal(valueOf(m, 'memcachedts_auth_throttled_peers'), 0);
    for (let i = 0; i < 6; i++) {
      c.send(saslAuthPlain('u', 'wrong'));
      const reply = await readReply(c, 4000); // the 6th is held back 1 s
      assert.deepEqual(reply, { status: 0x20, body: 'Auth failure.' });
    }
    c.send(saslAuthPlain('u', 'right'));
    assert.deepEqual(await readReply(c, 4000), { status: 0, body: 'Authenticated' });
    await sleep(60); // past the shared-rendering interval
    m = await scrape(metricsPort);
    assert.equal(valueOf(m, 'memcachedts_auth_failures_total', { mechanism: 'PLAIN' }), 6);
    assert.equal(valueOf(m, 'memcachedts_auth_successes_total', { mechanism: 'PLAIN' }), 1);
    assert.equal(valueOf(m, 'memcachedts_auth_throttled_peers'), 1);
    assert.equal(m.get('memcachedts_auth_failures_total')!.samples.length, 1);
  } finally {
    c.close();
    await srv.close(false);
  }
});

test('daemon: -Y ascii auth counted under mechanism="ascii", curl scrape, SIGTERM releases the port', async (t) => {
  if (!haveTool(t, '/usr/bin/curl', 'curl')) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcts-metrics-'));
  const authFile = path.join(dir, 'auth');
  fs.writeFileSync(authFile, 'u:right\n');
  const metricsPort = await freePort();
  const d = await startDaemon({ args: ['-Y', authFile, '-o', `metrics_listen=127.0.0.1:${metricsPort}`] });
  try {
    const c = await RawClient.connect(d.port);
    assert.equal(await c.request('set a 0 0 7\r\nu wrong\r\n', 'CLIENT_ERROR authentication failure'), 'CLIENT_ERROR authentication failure\r\n');
    assert.equal(await c.request('set a 0 0 7\r\nu right\r\n', 'STORED'), 'STORED\r\n');
    assert.equal(await c.request('set k 0 0 1\r\nv\r\n', 'STORED'), 'STORED\r\n');
    c.close();
    const curl = await run('/usr/bin/curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${metricsPort}/metrics`], { timeoutMs: 10_000 });
    assert.equal(curl.code, 0, curl.stderr);
    const m = parseExposition(curl.stdout);
    assert.equal(valueOf(m, 'memcachedts_auth_failures_total', { mechanism: 'ascii' }), 1);
    assert.equal(valueOf(m, 'memcachedts_auth_successes_total', { mechanism: 'ascii' }), 1);
    assert.equal(valueOf(m, 'memcached_current_items'), 1);
    assert.equal(valueOf(m, 'memcached_commands_total', { command: 'set', status: 'hit' }), 1);
  } finally {
    assert.equal(await d.stop(), 0);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect(metricsPort, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
  assert.ok(refused, 'the metrics port is closed after exit');
});

test('daemon: a metrics address already in use stops start-up with exit 71', async () => {
  const metricsPort = await freePort();
  const port = await freePort();
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(metricsPort, '127.0.0.1', () => resolve()));
  try {
    const r = await runToExit(['-p', String(port), '-l', '127.0.0.1', '-u', 'root', '-o', `metrics_listen=127.0.0.1:${metricsPort}`]);
    assert.equal(r.code, 71);
    assert.match(r.stderr, new RegExp(`failed to listen on metrics address 127\\.0\\.0\\.1:${metricsPort}: Address already in use`));
  } finally {
    blocker.close();
  }
});
