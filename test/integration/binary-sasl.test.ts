// bin/memcachedts -S over real sockets, set up as an admin would (SASL_CONF_PATH directory,
// memcached.conf with mech_list: plain, a sasldb from the real saslpasswd2): the auth gate,
// PLAIN success and failure, LIST_MECHS, counters, and stderr at -vvv without the password.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { haveTool, run } from '../support/tools.js';
import { Opcode, Status } from '../../src/protocol/binary/header.js';
import { parseResponses, req, res, u32, type Res } from '../support/binary-packets.js';
import { sleep } from '../support/wait.js';
import { makeTempDir } from '../support/temp-dir.js';

const SASLPASSWD2 = '/usr/sbin/saslpasswd2';
const PASSWORD = 'Integr4tion-secret';
let dir = '';
let d: Daemon | null = null;

before(async () => {
  if (!fs.existsSync(SASLPASSWD2)) return; // each test reports it (fails under CI)
  dir = makeTempDir('memcachedts-binsasl-');
  const db = path.join(dir, 'sasldb2');
  fs.writeFileSync(path.join(dir, 'memcached.conf'), `mech_list: plain\nsasldb_path: ${db}\n`);
  const r = await run(SASLPASSWD2, ['-p', '-a', 'memcached', '-c', '-f', db, 'alice'], { input: PASSWORD, timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  fs.chmodSync(db, 0o644);
  d = await startDaemon({ args: ['-S', '-vvv'], env: { SASL_CONF_PATH: dir } });
});

after(async () => {
  await d?.stop();
});

async function readPackets(c: RawClient, count: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const h = await c.read(24);
    parts.push(Buffer.from(h), Buffer.from(await c.read(h.readUInt32BE(8))));
  }
  return Buffer.concat(parts);
}

function ready(t: import('node:test').TestContext): Daemon | null {
  if (!haveTool(t, SASLPASSWD2, 'saslpasswd2 (sasl2-bin)')) return null;
  assert.ok(d !== null);
  return d;
}

const AUTH = (pass: string) => req(Opcode.SaslAuth, { key: 'PLAIN', value: `\0alice\0${pass}` });

test('unauthenticated: LIST_MECHS and VERSION answer, GET gets Auth failure and a close', async (t) => {
  const dd = ready(t);
  if (dd === null) return;
  const c = await RawClient.connect(dd.port);
  c.send(Buffer.concat([req(Opcode.SaslListMechs), req(Opcode.Version), req(Opcode.Get, { key: 'k' })]));
  assert.deepEqual(
    await readPackets(c, 3),
    Buffer.concat([res(Opcode.SaslListMechs, 0, { value: 'PLAIN' }), res(Opcode.Version, 0, { value: '1.6.18' }), res(Opcode.Get, Status.AuthError, { value: 'Auth failure.' })]),
  );
  assert.ok(await c.closedWithin(2000));
});

test('text bytes on the -S port close the connection without a reply', async (t) => {
  const dd = ready(t);
  if (dd === null) return;
  const c = await RawClient.connect(dd.port);
  c.send('version\r\nversion\r\nversion\r\nversion\r\n');
  assert.ok(await c.closedWithin(2000));
  assert.equal((await c.drain(50)).length, 0);
});

test('a wrong password keeps the connection; the right one opens the cache', async (t) => {
  const dd = ready(t);
  if (dd === null) return;
  const c = await RawClient.connect(dd.port);
  try {
    c.send(AUTH('wrong'));
    assert.deepEqual(await readPackets(c, 1), res(Opcode.SaslAuth, Status.AuthError, { value: 'Auth failure.' }));
    c.send(AUTH(PASSWORD));
    assert.deepEqual(await readPackets(c, 1), res(Opcode.SaslAuth, 0, { value: 'Authenticated' }));
    c.send(Buffer.concat([req(Opcode.Set, { key: 'k', ext: u32(0, 0), value: 'v' }), req(Opcode.Get, { key: 'k' }), req(Opcode.Stat, { key: 'settings' })]));
    const two = parseResponses(await readPackets(c, 2));
    assert.equal(two[1]!.value.toString(), 'v');
    const settings: Res[] = [];
    for (;;) {
      const p = parseResponses(await readPackets(c, 1))[0]!;
      if (p.keyLen === 0) break;
      settings.push(p);
    }
    const m = new Map(settings.map((p) => [p.key.toString(), p.value.toString()]));
    assert.equal(m.get('auth_enabled_sasl'), 'yes');
    assert.equal(m.get('binding_protocol'), 'binary');
    c.send(req(Opcode.Stat));
    const general: Res[] = [];
    for (;;) {
      const p = parseResponses(await readPackets(c, 1))[0]!;
      if (p.keyLen === 0) break;
      general.push(p);
    }
    const g = new Map(general.map((p) => [p.key.toString(), p.value.toString()]));
    assert.ok(Number(g.get('auth_cmds')) >= 2);
    assert.ok(Number(g.get('auth_errors')) >= 1);
  } finally {
    c.close();
  }
});

test('stderr at -vvv: SASL initialised, failures with the peer, never the password', async (t) => {
  const dd = ready(t);
  if (dd === null) return;
  const c = await RawClient.connect(dd.port);
  c.send(AUTH('Wr0ng-guess'));
  await readPackets(c, 1);
  c.close();
  await sleep(200);
  const err = dd.stderr();
  assert.match(err, /Initialized SASL\./);
  assert.match(err, /SASL authentication failed for user "alice" \(mech "PLAIN"\) from tcp:127\.0\.0\.1:\d+/);
  assert.ok(!err.includes(PASSWORD));
  assert.ok(!err.includes('Wr0ng-guess'));
});
