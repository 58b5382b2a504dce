// bin/memcachedts -Z over real sockets: certificates made at test time by Debian's openssl (no
// key is committed), a Node tls client speaking text, meta and binary, a 500 KB value and a
// pipelined batch, a notls: listener that stays clear, plaintext to the TLS port refused and
// counted, a stalled handshake holding a -c slot until it times out, client certificates under
// ssl_verify_mode=2, SASL PLAIN and -Y over TLS, idle_timeout, pymemcache with tls_context, and
// the start-up errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import type tls from 'node:tls';
import { startDaemon, runToExit, waitAccepting, withDaemon, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { freePort } from '../support/ports.js';
import { DEBIAN_PYTHON, haveTool, run } from '../support/tools.js';
import { seededBytes } from '../support/bytes.js';
import { OPENSSL, TestCerts } from '../support/tls-certs.js';
import { Opcode } from '../../src/protocol/binary/header.js';
import { req, res } from '../support/binary-packets.js';
import { sleep } from '../support/wait.js';

const SASLPASSWD2 = '/usr/sbin/saslpasswd2';
const PASSWORD = 'Tls-sasl-secret';
let certs: TestCerts | null = null;
let d: Daemon | null = null;
let clearPort = 0;

function testCerts(): TestCerts {
  assert.ok(certs !== null, 'the certificates are made in before()');
  return certs;
}
const file = (name: string): string => testCerts().file(name);
const tlsOptions = (port: number, extra: tls.ConnectionOptions = {}): tls.ConnectionOptions => testCerts().clientOptions(port, extra);

before(async () => {
  if (!fs.existsSync(OPENSSL)) return; // each test reports it
  certs = await TestCerts.create(['server', 'client']);
  const port = await freePort();
  clearPort = await freePort();
  d = await startDaemon({
    port,
    args: ['-p', String(port), '-l', `127.0.0.1,notls:127.0.0.1:${clearPort}`, '-Z', '-o', certs.sslOption('server')],
  });
});

after(async () => {
  await d?.stop();
  certs?.remove();
});

function ready(t: import('node:test').TestContext): Daemon | null {
  if (!haveTool(t, OPENSSL, 'openssl')) return null;
  assert.ok(d !== null);
  return d;
}

async function stat(port: number, name: string): Promise<string | undefined> {
  const c = await RawClient.connect(port);
  const st = await c.stats();
  c.close();
  return st.get(name);
}

test('text, meta and binary commands over TLS, byte for byte', async (t) => {
  const dd = ready(t);
  if (dd === null) return;
  const c = await RawClient.connectTls(tlsOptions(dd.port));
  assert.equal(await c.request('set k 5 0 5\r\nhello\r\n', 'STORED'), 'STORED\r\n');
  assert.equal(await c.request('get k\r\n'), 'VALUE k 5 5\r\nhello\r\nEND\r\n');
  assert.equal(await c.request('ms m 2 T0\r\nhi\r\n', 'HD'), 'HD\r\n');
  assert.equal(await c.request('mg m v f\r\n', 'hi'), 'VA 2 f0\r\nhi\r\n');
  c.close();
  // -B auto picks the protocol from a connection's first byte: binary gets its own
  const b = await RawClient.connectTls(tlsOptions(dd.port));
  b.send(req(Opcode.Get, { key: 'k', opaque: 7 }));
  const h = await b.read(24);
  const body = await b.read(h.readUInt32BE(8));
  const flags = Buffer.alloc(4);
  flags.writeUInt32BE(5);
  const want = res(Opcode.Get, 0, { ext: flags, value: 'hello', opaque: 7 });
  // the CAS value is the server's: compare everything else
  assert.deepEqual(Buffer.concat([h.subarray(0, 16), body]), Buffer.concat([want.subarray(0, 16), want.subarray(24)]));
  b.close();
});

test('a 500 KB value and 200 pipelined commands in one write come back whole over TLS', async (t) => {
  const dd = ready(t);
  if (dd === null) return;
  const c = await RawClient.connectTls(tlsOptions(dd.port));
  const big = seededBytes(500 * 1024, 17);
  c.send(Buffer.concat([Buffer.from(`set big 0 0 ${big.length}\r\n`), big, Buffer.from('\r\n')]));
  assert.equal(await c.line(), 'STORED');
  c.send('get big\r\n');
  assert.equal(await c.line(), `VALUE big 0 ${big.length}`);
  assert.ok((await c.read(big.length + 2, 10_000)).equals(Buffer.concat([big, Buffer.from('\r\n')])));
  assert.equal(await c.line(), 'END');
  let batch = '';
  let want = '';
  for (let i = 0; i < 100; i++) {
    batch += `set p${i} 0 0 ${String(i).length}\r\n${i}\r\nget p${i}\r\n`;
    want += `STORED\r\nVALUE p${i} 0 ${String(i).length}\r\n${i}\r\nEND\r\n`;
  }
  c.send(batch);
  assert.equal((await c.read(want.length, 10_000)).toString('latin1'), want);
  c.close();
});

test('notls: keeps its listener clear; plaintext to the TLS port is closed and counted', async (t) => {
  const dd = ready(t);
  if (dd === null) return;
  const clear = await RawClient.connect(clearPort);
  assert.equal(await clear.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
  clear.close();
  const before = Number(await stat(clearPort, 'ssl_handshake_errors'));
  const plain = await RawClient.connect(dd.port);
  plain.send('version\r\nget k\r\n');
  assert.equal(await plain.closedWithin(3000), true, 'the TLS port closes a plaintext client');
  // nothing in clear came back: at most a TLS alert record (content type 21)
  const got = await plain.drain(50);
  assert.ok(got.length === 0 || got[0] === 21, JSON.stringify(got.toString('latin1')));
  assert.equal(Number(await stat(clearPort, 'ssl_handshake_errors')), before + 1);
  // a TLS client cannot talk to the clear listener either
  await assert.rejects(RawClient.connectTls(tlsOptions(clearPort)));
});

test('stats settings shows the ssl_* settings with memcached names', async (t) => {
  const dd = ready(t);
  if (dd === null) return;
  const c = await RawClient.connect(clearPort);
  const text = await c.request('stats settings\r\n');
  c.close();
  const lines = text.split('\r\n').filter((l) => l.startsWith('STAT ssl_'));
  assert.deepEqual(lines, [
    'STAT ssl_enabled yes',
    `STAT ssl_chain_cert ${file('server.pem')}`,
    `STAT ssl_key ${file('server.key')}`,
    'STAT ssl_verify_mode 0',
    'STAT ssl_keyformat 1',
    'STAT ssl_ciphers NULL',
    'STAT ssl_ca_cert NULL',
    'STAT ssl_wbuf_size 16384',
    'STAT ssl_session_cache no',
    'STAT ssl_kernel_tls no',
    'STAT ssl_min_version tlsv1.2',
  ]);
});

test('a handshake that never starts holds a -c slot, then is dropped and counted (10 s)', async (t) => {
  if (!haveTool(t, OPENSSL, 'openssl')) return;
  const port = await freePort();
  const clear = await freePort();
  const one = await startDaemon({
    port,
    args: ['-p', String(port), '-c', '1', '-l', `127.0.0.1,notls:127.0.0.1:${clear}`, '-Z', '-o', `ssl_chain_cert=${file('server.pem')},ssl_key=${file('server.key')}`],
    waitTcp: false,
  });
  try {
    // ready once the clear port accepts; that probe's -c slot is free again a moment later
    await waitAccepting(one.proc, { port: clear, host: '127.0.0.1' }, one.stderr, 10_000);
    await sleep(300);
    const started = Date.now();
    const stalled = await RawClient.connect(port);
    await sleep(200);
    const refused = await RawClient.connect(clear);
    assert.equal(await refused.line(), 'ERROR Too many open connections');
    refused.close();
    assert.equal(await stalled.closedWithin(15_000), true, 'the stalled handshake is dropped');
    const waited = Date.now() - started;
    assert.ok(waited >= 8000 && waited < 15_000, `dropped after ${waited} ms`);
    await sleep(200);
    assert.equal(await stat(clear, 'ssl_handshake_errors'), '1');
  } finally {
    await one.stop();
  }
});

test('ssl_verify_mode=2: a client without a certificate is refused, one with a CA-signed certificate served', async (t) => {
  if (!haveTool(t, OPENSSL, 'openssl')) return;
  const port = await freePort();
  const v = await startDaemon({
    port,
    args: ['-Z', '-o', `ssl_chain_cert=${file('server.pem')},ssl_key=${file('server.key')},ssl_ca_cert=${file('ca.pem')},ssl_verify_mode=2`],
  });
  try {
    const anon = await RawClient.connectTls(tlsOptions(port)).catch((e: unknown) => e);
    if (anon instanceof RawClient) {
      // TLS 1.3: the server's refusal arrives after the client's handshake is done
      anon.send('version\r\n');
      assert.equal(await anon.closedWithin(3000), true);
      assert.equal((await anon.drain(50)).length, 0);
    }
    const c = await RawClient.connectTls(
      tlsOptions(port, { cert: fs.readFileSync(file('client.pem')), key: fs.readFileSync(file('client.key')) }),
    );
    assert.equal(await c.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    c.close();
  } finally {
    await v.stop();
  }
});

test('-S: SASL PLAIN over TLS authenticates a binary client', async (t) => {
  if (!haveTool(t, OPENSSL, 'openssl') || !haveTool(t, SASLPASSWD2, 'saslpasswd2 (sasl2-bin)')) return;
  const db = file('sasldb2');
  fs.writeFileSync(file('memcached.conf'), `mech_list: plain\nsasldb_path: ${db}\n`);
  const r = await run(SASLPASSWD2, ['-p', '-a', 'memcached', '-c', '-f', db, 'alice'], { input: PASSWORD, timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  const port = await freePort();
  const s = await startDaemon({
    port,
    args: ['-S', '-Z', '-o', `ssl_chain_cert=${file('server.pem')},ssl_key=${file('server.key')}`],
    env: { SASL_CONF_PATH: testCerts().dir },
  });
  try {
    const c = await RawClient.connectTls(tlsOptions(port));
    c.send(req(Opcode.SaslAuth, { key: 'PLAIN', value: `\0alice\0${PASSWORD}` }));
    const h = await c.read(24);
    const body = await c.read(h.readUInt32BE(8));
    assert.deepEqual(Buffer.concat([h, body]), res(Opcode.SaslAuth, 0, { value: 'Authenticated' }));
    c.send(req(Opcode.Version));
    const vh = await c.read(24);
    assert.equal((await c.read(vh.readUInt32BE(8))).toString(), '1.6.18');
    c.close();
  } finally {
    await s.stop();
  }
});

test('-Y: ascii authentication over TLS (an unauthenticated command refused, the auth set accepted)', async (t) => {
  if (!haveTool(t, OPENSSL, 'openssl')) return;
  const authFile = file('ascii-auth');
  fs.writeFileSync(authFile, 'alice:Tls-ascii-secret\n');
  await withDaemon({ args: ['-Y', authFile, '-Z', '-o', testCerts().sslOption('server')] }, async (y) => {
    const anon = await RawClient.connectTls(tlsOptions(y.port));
    assert.equal(await anon.request('get k\r\n', 'CLIENT_ERROR unauthenticated'), 'CLIENT_ERROR unauthenticated\r\n');
    anon.close();
    const c = await RawClient.connectTls(tlsOptions(y.port));
    assert.equal(await c.request('set auth 0 0 22\r\nalice Tls-ascii-secret\r\n', 'STORED'), 'STORED\r\n');
    assert.equal(await c.request('set k 0 0 2\r\nok\r\nget k\r\n'), 'STORED\r\nVALUE k 0 2\r\nok\r\nEND\r\n');
    c.close();
  });
});

test('idle_timeout closes an idle TLS connection and counts it in idle_kicks', async (t) => {
  if (!haveTool(t, OPENSSL, 'openssl')) return;
  const clear = await freePort();
  const args = ['-l', `127.0.0.1,notls:127.0.0.1:${clear}`, '-Z', '-o', `${testCerts().sslOption('server')},idle_timeout=1`];
  await withDaemon({ args }, async (i) => {
    const c = await RawClient.connectTls(tlsOptions(i.port));
    assert.equal(await c.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    assert.equal(await c.closedWithin(5000), true, 'the idle TLS connection is closed');
    assert.equal(await stat(clear, 'idle_kicks'), '1');
  });
});

test('pymemcache with an ssl.SSLContext (tls_context=) sets and gets', async (t) => {
  const dd = ready(t);
  if (dd === null) return;
  if (!haveTool(t, DEBIAN_PYTHON, 'python3')) return;
  const script = [
    'import ssl, sys',
    'from pymemcache.client.base import Client',
    `ctx = ssl.create_default_context(cafile=${JSON.stringify(file('ca.pem'))})`,
    'ctx.check_hostname = False',
    `c = Client(("127.0.0.1", ${dd.port}), tls_context=ctx, connect_timeout=5, timeout=5)`,
    'c.set("py", b"over-tls")',
    'sys.stdout.write(c.get("py").decode())',
  ].join('\n');
  const r = await run(DEBIAN_PYTHON, ['-c', script], { timeoutMs: 20_000 });
  if (r.code !== 0 && /No module named 'pymemcache'/.test(r.stderr)) {
    t.skip('python3-pymemcache is not installed');
    return;
  }
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'over-tls');
});

test('missing or unreadable certificate and key: memcached\'s line and exit 64, before binding', async (t) => {
  if (!haveTool(t, OPENSSL, 'openssl')) return;
  const port = String(await freePort());
  const base = ['-p', port, '-l', '127.0.0.1', '-u', 'root'];
  const cases: Array<[string[], string]> = [
    [['-Z'], 'Error loading the certificate chain: (null) : error:8000000E:system library::Bad address'],
    [['-Z', '-o', `ssl_chain_cert=${file('nope.pem')}`], `Error loading the certificate chain: ${file('nope.pem')} : error:80000002:system library::No such file or directory`],
    [['-Z', '-o', `ssl_chain_cert=${file('server.pem')}`], 'Error loading the key: (null) : error:8000000E:system library::Bad address'],
    [['-Z', '-o', `ssl_chain_cert=${file('server.pem')},ssl_key=${file('server.key')},ssl_ca_cert=${file('client.key')}`],
      `Error loading the CA certificate: ${file('client.key')} : error:05800088:x509 certificate routines::no certificate or crl found`],
    [['-Z', '-o', `ssl_chain_cert=${file('server.pem')},ssl_key=${file('server.key')},ssl_ciphers=BOGUS`], 'Error setting the provided cipher(s): BOGUS'],
    [['-Z', '-p', '0'], 'ERROR: You cannot enable SSL without a TCP port.'],
  ];
  for (const [args, line] of cases) {
    const r = await runToExit([...base, ...args]);
    assert.equal(r.code, 64, args.join(' ') + '\n' + r.stderr);
    assert.ok(r.stderr.includes(line), args.join(' ') + '\n' + r.stderr);
  }
  // nothing was left listening
  const probe = net.connect(Number(port), '127.0.0.1');
  const err = await new Promise<unknown>((resolve) => {
    probe.once('error', resolve);
    probe.once('connect', () => resolve(null));
  });
  probe.destroy();
  assert.notEqual(err, null);
});
