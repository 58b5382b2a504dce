// -Z at run time: refresh_certs swapping the certificate for new connections (and keeping the
// old one when the new files are bad), ssl_session_cache resuming sessions by id and counting
// ssl_new_sessions, and the -v / -vv lines about handshakes and client certificates. Clients are
// Node's tls and Debian's `openssl s_client`; certificates are made at test time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDaemon, withDaemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { freePort } from '../support/ports.js';
import { haveTool, run } from '../support/tools.js';
import { OPENSSL, TestCerts } from '../support/tls-certs.js';

let certs: TestCerts | null = null;

before(async () => {
  if (!fs.existsSync(OPENSSL)) return; // each test reports it
  certs = await TestCerts.create(['server', 'rotated', 'client']);
});

after(() => certs?.remove());

function testCerts(t: import('node:test').TestContext): TestCerts | null {
  if (!haveTool(t, OPENSSL, 'openssl')) return null;
  assert.ok(certs !== null, 'the certificates are made in before()');
  return certs;
}

async function stats(c: RawClient): Promise<Map<string, string>> {
  const text = await c.request('stats\r\n');
  return new Map([...text.matchAll(/^STAT (\S+) (\S+)\r$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** The CN of the certificate a new TLS connection is served. */
async function servedName(tc: TestCerts, port: number): Promise<string> {
  const c = await RawClient.connectTls(tc.clientOptions(port));
  const cn = (c.socket as import('node:tls').TLSSocket).getPeerCertificate().subject.CN;
  c.close();
  return String(cn);
}

test('refresh_certs: new connections get the new certificate, live ones keep theirs; bad files keep the old one', async (t) => {
  const tc = testCerts(t);
  if (tc === null) return;
  // the files the server is told about; their contents are swapped under it
  fs.copyFileSync(tc.file('server.pem'), tc.file('live.pem'));
  fs.copyFileSync(tc.file('server.key'), tc.file('live.key'));
  const port = await freePort();
  const d = await startDaemon({ port, args: ['-Z', '-o', tc.sslOption('live')] });
  try {
    const old = await RawClient.connectTls(tc.clientOptions(port));
    assert.equal(await servedName(tc, port), 'server');
    fs.copyFileSync(tc.file('rotated.pem'), tc.file('live.pem'));
    fs.copyFileSync(tc.file('rotated.key'), tc.file('live.key'));
    await new Promise((r) => setTimeout(r, 1100)); // time_since_server_cert_refresh counts seconds
    assert.ok(Number((await stats(old)).get('time_since_server_cert_refresh')) >= 1);
    assert.equal(await old.request('refresh_certs\r\n', 'OK'), 'OK\r\n');
    assert.equal((await stats(old)).get('time_since_server_cert_refresh'), '0');
    assert.equal(await servedName(tc, port), 'rotated');
    assert.equal(await old.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n', 'the live connection carries on');

    // a key that is not the certificate's: memcached's line, and the rotated pair stays in use
    fs.copyFileSync(tc.file('server.pem'), tc.file('live.pem'));
    const mismatch = `Error loading the key: ${tc.file('live.key')} : error:05800074:x509 certificate routines::key values mismatch`;
    assert.equal(await old.request('refresh_certs\r\n', mismatch), mismatch + '\r\n');
    // under noreply the error is still written (memcached's write_and_free), OK is not
    fs.writeFileSync(tc.file('live.pem'), 'not a certificate\n');
    const noStart = `Error loading the certificate chain: ${tc.file('live.pem')} : error:0480006C:PEM routines::no start line`;
    assert.equal(await old.request('refresh_certs noreply\r\nversion\r\n', 'VERSION 1.6.18'), noStart + '\r\nVERSION 1.6.18\r\n');
    assert.equal(await servedName(tc, port), 'rotated');
    fs.copyFileSync(tc.file('server.pem'), tc.file('live.pem'));
    fs.copyFileSync(tc.file('server.key'), tc.file('live.key'));
    assert.equal(await old.request('refresh_certs noreply\r\nversion\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    assert.equal(await servedName(tc, port), 'server');
    old.close();
  } finally {
    await d.stop();
  }
});

test('refresh_certs without -Z: "Error TLS not enabled", as memcached built with TLS answers', async () => {
  await withDaemon({}, async (d) => {
    const c = await RawClient.connect(d.port);
    assert.equal(await c.request('refresh_certs\r\n', 'Error TLS not enabled'), 'Error TLS not enabled\r\n');
    c.close();
  });
});

/** The uid and gid of a user in /etc/passwd, or null. */
function passwdIds(user: string): { uid: number; gid: number } | null {
  const line = fs.readFileSync('/etc/passwd', 'latin1').split('\n').find((l) => l.startsWith(user + ':'));
  const f = line?.split(':');
  return f === undefined ? null : { uid: Number(f[2]), gid: Number(f[3]) };
}

test('after -u drops root, refresh_certs reads a key the user\'s group may read (root:group 0640), not a root-only one', async (t) => {
  const tc = testCerts(t);
  if (tc === null) return;
  const nobody = passwdIds('nobody');
  if (process.getuid?.() !== 0 || nobody === null) {
    t.skip('needs root and a nobody user');
    return;
  }
  fs.chmodSync(tc.dir, 0o755); // mkdtemp's 0700 would keep nobody out of the folder
  fs.copyFileSync(tc.file('server.pem'), tc.file('owned.pem'));
  fs.copyFileSync(tc.file('server.key'), tc.file('owned.key'));
  fs.chmodSync(tc.file('owned.pem'), 0o644);
  fs.chmodSync(tc.file('owned.key'), 0o600);
  const port = await freePort();
  const d = await startDaemon({ port, args: ['-u', 'nobody', '-Z', '-o', tc.sslOption('owned')] });
  try {
    const c = await RawClient.connectTls(tc.clientOptions(port));
    const denied = `Error loading the key: ${tc.file('owned.key')} : error:8000000D:system library::Permission denied`;
    assert.equal(await c.request('refresh_certs\r\n', denied), denied + '\r\n');
    fs.chownSync(tc.file('owned.key'), 0, nobody.gid);
    fs.chmodSync(tc.file('owned.key'), 0o640);
    assert.equal(await c.request('refresh_certs\r\n', 'OK'), 'OK\r\n');
    c.close();
  } finally {
    await d.stop();
    fs.chmodSync(tc.dir, 0o700);
  }
});

/** One `openssl s_client` run: writes input, returns stdout (with -quiet: the server's bytes only). */
async function sClient(port: number, args: string[], input: string): Promise<string> {
  const r = await run(OPENSSL, ['s_client', '-connect', `127.0.0.1:${port}`, '-ign_eof', ...args], { input, timeoutMs: 15_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('ssl_session_cache: a TLS 1.2 client without tickets resumes by session id; ssl_new_sessions counts', async (t) => {
  const tc = testCerts(t);
  if (tc === null) return;
  const sess = tc.file('session.pem');
  const resume = async (port: number): Promise<[boolean, boolean]> => {
    const first = await sClient(port, ['-tls1_2', '-no_ticket', '-sess_out', sess], 'version\r\nquit\r\n');
    const again = await sClient(port, ['-tls1_2', '-no_ticket', '-sess_in', sess], 'version\r\nquit\r\n');
    return [/^New, /m.test(first), /^Reused, /m.test(again)];
  };
  const clear = await freePort();
  const args = (...more: string[]): string[] => ['-l', `127.0.0.1,notls:127.0.0.1:${clear}`, '-Z', '-o', tc.sslOption('server', ...more)];
  await withDaemon({ args: args('ssl_session_cache') }, async (d) => {
    assert.deepEqual(await resume(d.port), [true, true]);
    const c = await RawClient.connect(clear);
    // one session made (the resumed one is not new), as OpenSSL's new-session callback counts
    assert.equal((await stats(c)).get('ssl_new_sessions'), '1');
    c.close();
  });
  // without the cache (memcached's SSL_SESS_CACHE_OFF) the same client gets a full handshake
  await withDaemon({ args: args() }, async (d) => {
    assert.deepEqual(await resume(d.port), [true, false]);
    const c = await RawClient.connect(clear);
    assert.equal((await stats(c)).has('ssl_new_sessions'), false, 'memcached shows it only with ssl_session_cache');
    c.close();
  });
});

test('openssl s_client speaks text to -Z byte for byte', async (t) => {
  const tc = testCerts(t);
  if (tc === null) return;
  await withDaemon({ args: ['-Z', '-o', tc.sslOption('server')] }, async (d) => {
    const out = await sClient(d.port, ['-quiet', '-CAfile', tc.file('ca.pem'), '-verify_return_error'], 'set k 0 0 5\r\nhello\r\nget k\r\nmn\r\nquit\r\n');
    assert.equal(out, 'STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\nMN\r\n');
  });
});

test('-vv names a client certificate\'s subject; -v prints memcached\'s line for a failed handshake', async (t) => {
  const tc = testCerts(t);
  if (tc === null) return;
  await withDaemon({ args: ['-vv', '-Z', '-o', tc.sslOption('server', `ssl_ca_cert=${tc.file('ca.pem')}`, 'ssl_verify_mode=1')] }, async (d) => {
    const port = d.port;
    const withCert = await RawClient.connectTls(
      tc.clientOptions(port, { cert: fs.readFileSync(tc.file('client.pem')), key: fs.readFileSync(tc.file('client.key')) }),
    );
    assert.equal(await withCert.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    withCert.close();
    // verify mode 1 lets a client without a certificate in: no subject line for it
    const anon = await RawClient.connectTls(tc.clientOptions(port));
    assert.equal(await anon.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    anon.close();
    const plain = await RawClient.connect(port);
    plain.send('version\r\n');
    assert.equal(await plain.closedWithin(3000), true);
    await new Promise((r) => setTimeout(r, 200));
    const lines = d.stderr().split('\n');
    const subjects = lines.filter((l) => l.includes('TLS client certificate subject'));
    assert.equal(subjects.length, 1, d.stderr());
    assert.match(subjects[0]!, /^<\d+ TLS client certificate subject: \/O=memcachedts tests\/CN=client$/);
    assert.ok(lines.includes('SSL connection failed with error code : 1 : Success'), d.stderr());
  });
});
