// The admin tutorial flow with libmemcached's memcstat: a SASL config directory holding
// memcached.conf (mech_list: plain, sasldb_path), a sasldb made by the real saslpasswd2, the
// daemon started with -S. memcstat without credentials gets no stats (libmemcached 1.1 then
// exits 0 against memcached 1.6.18 too, so the output is what is checked), the right
// credentials print `Server: ... pid ... uptime ... version`, a wrong password fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { haveTool, run } from '../support/tools.js';
import { makeTempDir } from '../support/temp-dir.js';

const MEMCSTAT = '/usr/bin/memcstat';
const SASLPASSWD2 = '/usr/sbin/saslpasswd2';
const USER = 'sammy';
const PASSWORD = 'tutorial-Pa55';

const dir = makeTempDir('memcachedts-sasl-');

async function setupSasl(): Promise<Record<string, string>> {
  const db = path.join(dir, 'memcached-sasldb2');
  fs.writeFileSync(path.join(dir, 'memcached.conf'), `mech_list: plain\nlog_level: 5\nsasldb_path: ${db}\n`);
  const r = await run(SASLPASSWD2, ['-p', '-a', 'memcached', '-c', '-f', db, USER], { input: PASSWORD, timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  fs.chmodSync(db, 0o644); // readable by the daemon whatever user it drops to
  return { SASL_CONF_PATH: dir };
}

async function memcstat(port: number, extra: string[]): Promise<{ code: number | null; out: string }> {
  const r = await run(MEMCSTAT, [`--servers=127.0.0.1:${port}`, '--binary', ...extra], { timeoutMs: 20_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}

test('memcstat against memcachedts -S: no credentials, right and wrong password', async (t) => {
  if (!haveTool(t, MEMCSTAT, 'memcstat (libmemcached-tools)')) return;
  if (!haveTool(t, SASLPASSWD2, 'saslpasswd2 (sasl2-bin)')) return;
  const env = await setupSasl();
  let d: Daemon | null = null;
  try {
    d = await startDaemon({ args: ['-S', '-vv'], env });
    const none = await memcstat(d.port, []);
    assert.doesNotMatch(none.out, /pid:|uptime:/, none.out);

    const ok = await memcstat(d.port, [`--username=${USER}`, `--password=${PASSWORD}`]);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /Server: 127\.0\.0\.1 \(\d+\)/);
    assert.match(ok.out, /\bpid: \d+/);
    assert.match(ok.out, /\buptime: \d+/);
    assert.match(ok.out, /\bversion: 1\.6\.18/);

    const bad = await memcstat(d.port, [`--username=${USER}`, '--password=not-the-password']);
    assert.notEqual(bad.code, 0, bad.out);
    assert.doesNotMatch(bad.out, /pid:/);
    assert.match(bad.out, /AUTHENTICATION FAILURE/);

    const err = d.stderr();
    assert.match(err, /Initialized SASL\./);
    assert.match(err, /SASL authentication failed for user "sammy"/);
    assert.ok(!err.includes(PASSWORD), 'the password must never be logged');
  } finally {
    await d?.stop();
  }
});

test('memcstat against memcached 1.6.18 -S with the same setup (reference behaviour)', async (t) => {
  if (!haveTool(t, MEMCSTAT, 'memcstat (libmemcached-tools)')) return;
  if (!haveTool(t, SASLPASSWD2, 'saslpasswd2 (sasl2-bin)')) return;
  if (!haveTool(t, '/usr/bin/memcached', 'memcached')) return;
  const env = await setupSasl();
  const d = await startDaemon({ memcached: true, args: ['-S'], env });
  try {
    const none = await memcstat(d.port, []);
    assert.doesNotMatch(none.out, /pid:/);
    const ok = await memcstat(d.port, [`--username=${USER}`, `--password=${PASSWORD}`]);
    assert.match(ok.out, /\bversion: 1\.6\.18/);
    const bad = await memcstat(d.port, [`--username=${USER}`, '--password=nope']);
    assert.notEqual(bad.code, 0);
  } finally {
    await d.stop();
  }
});
