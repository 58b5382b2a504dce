// No request path reaches the store before authentication: -S over TCP and the unix socket
// (pipelined requests in the same packet as SASL_AUTH included), -S with UDP refused at
// start-up, -Y over TCP and the unix socket. Failures are counted and logged with the peer,
// repeated failures from one peer are delayed (protocol/auth-throttle.ts), and the password
// never appears in the -vvv output.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, runToExit } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { Opcode, Status } from '../../src/protocol/binary/header.js';
import { req, u32 } from '../support/binary-packets.js';
import { sleep } from '../support/wait.js';
import { makeTempDir } from '../support/temp-dir.js';

const PASSWORD = 'Kn0wn-Secret-Pa55';
let dir = '';
let saslEnv: NodeJS.ProcessEnv = {};
let authFile = '';

before(() => {
  dir = makeTempDir('memcachedts-hostile-auth-');
  const pwdb = path.join(dir, 'pwdb');
  fs.writeFileSync(pwdb, `alice:${PASSWORD}\n`);
  fs.writeFileSync(path.join(dir, 'memcached.conf'), `mech_list: plain\nsasldb_path: ${path.join(dir, 'none')}\n`);
  saslEnv = { SASL_CONF_PATH: dir, MEMCACHED_SASL_PWDB: pwdb };
  authFile = path.join(dir, 'ascii-auth');
  fs.writeFileSync(authFile, `alice:${PASSWORD}\n`);
});

const AUTH = (pass: string): Buffer => req(Opcode.SaslAuth, { key: 'PLAIN', value: `\0alice\0${pass}` });
const SET = (key: string, value: string): Buffer => req(Opcode.Set, { key, ext: u32(0, 0), value });
const GET = (key: string): Buffer => req(Opcode.Get, { key });

interface Packet {
  opcode: number;
  status: number;
  body: string;
}

async function packets(c: RawClient, count: number, timeoutMs = 3000): Promise<Packet[]> {
  const out: Packet[] = [];
  for (let i = 0; i < count; i++) {
    const h = await c.read(24, timeoutMs);
    const body = await c.read(h.readUInt32BE(8), timeoutMs);
    out.push({ opcode: h[1]!, status: h.readUInt16BE(6), body: body.toString('latin1') });
  }
  return out;
}

async function authedGet(connect: () => Promise<RawClient>, key: string): Promise<Packet> {
  const c = await connect();
  c.send(Buffer.concat([AUTH(PASSWORD), GET(key)]));
  const [a, g] = await packets(c, 2);
  assert.equal(a!.status, Status.Success);
  c.close();
  return g!;
}

async function binaryStat(c: RawClient, name: string): Promise<string> {
  c.send(req(Opcode.Stat));
  for (let i = 0; i < 200; i++) {
    const h = await c.read(24);
    const body = await c.read(h.readUInt32BE(8));
    const keyLen = h.readUInt16BE(2);
    if (keyLen === 0) break;
    if (body.toString('latin1', 0, keyLen) === name) {
      // drain the rest
      for (;;) {
        const h2 = await c.read(24);
        await c.read(h2.readUInt32BE(8));
        if (h2.readUInt16BE(2) === 0) break;
      }
      return body.toString('latin1', keyLen);
    }
  }
  throw new Error(`no stat ${name}`);
}

/** Checks the -S gate on one transport. */
async function saslGate(connect: () => Promise<RawClient>): Promise<void> {
  // A request before the auth in the same packet: Auth failure, close; nothing after it runs.
  let c = await connect();
  c.send(Buffer.concat([SET('k1', 'v1'), AUTH(PASSWORD), SET('k1b', 'x'), GET('k1')]));
  const [r1] = await packets(c, 1);
  assert.equal(r1!.status, Status.AuthError);
  assert.ok(await c.closedWithin(2000), 'closed after the unauthenticated request');
  assert.equal((await c.drain(50)).length, 0, 'no replies after the rejected request');
  assert.equal((await authedGet(connect, 'k1')).status, Status.KeyNotFound);
  assert.equal((await authedGet(connect, 'k1b')).status, Status.KeyNotFound);

  // A failed auth, then requests in the same packet: the auth fails, the next request is refused.
  c = await connect();
  c.send(Buffer.concat([AUTH('wrong'), SET('k2', 'v2'), GET('k2')]));
  const [a2, s2] = await packets(c, 2);
  assert.equal(a2!.status, Status.AuthError);
  assert.equal(s2!.status, Status.AuthError);
  assert.ok(await c.closedWithin(2000));
  assert.equal((await authedGet(connect, 'k2')).status, Status.KeyNotFound);

  // The auth first, then requests in the same packet: processed in order.
  c = await connect();
  c.send(Buffer.concat([AUTH(PASSWORD), SET('k3', 'v3'), GET('k3')]));
  const [a3, s3, g3] = await packets(c, 3);
  assert.equal(a3!.status, Status.Success);
  assert.equal(s3!.status, Status.Success);
  assert.equal(g3!.body.slice(4), 'v3');
  c.close();

  // Text bytes: closed without a reply, nothing stored.
  c = await connect();
  c.send('set k4 0 0 2\r\nv4\r\nget k4\r\n');
  assert.ok(await c.closedWithin(2000));
  assert.equal((await c.drain(50)).length, 0);
  assert.equal((await authedGet(connect, 'k4')).status, Status.KeyNotFound);

  // A quiet request split across packets around a failed auth (SASL_STEP without a start).
  c = await connect();
  const stepThenGet = Buffer.concat([req(Opcode.SaslStep, { key: 'PLAIN', value: `\0alice\0${PASSWORD}` }), req(Opcode.GetQ, { key: 'k3' }), req(Opcode.Noop)]);
  c.send(stepThenGet.subarray(0, 30));
  await sleep(20);
  c.send(stepThenGet.subarray(30));
  const [st, gq] = await packets(c, 2);
  assert.equal(st!.status, Status.AuthError);
  assert.equal(gq!.status, Status.AuthError, 'GETQ before authentication is refused, not served');
  c.close();
}

test('-S over TCP: nothing reaches the store before authentication; failures counted, logged, throttled; no password in -vvv', async () => {
  const d = await startDaemon({ args: ['-S', '-vvv'], env: saslEnv });
  try {
    const connect = (): Promise<RawClient> => RawClient.connect(d.port);
    await saslGate(connect);

    // Counted: the failures so far (one wrong password, one STEP without a start).
    const c = await connect();
    c.send(AUTH(PASSWORD));
    await packets(c, 1);
    const errorsBefore = Number(await binaryStat(c, 'auth_errors'));
    assert.equal(errorsBefore, 2);
    c.close();

    // Throttle: from the 6th failure within 60 s from one address, the reply waits >= 1 s.
    const t = await connect();
    const times: number[] = [];
    for (let i = errorsBefore; i < 7; i++) {
      const t0 = Date.now();
      t.send(AUTH('guess' + i));
      const [r] = await packets(t, 1, 8000);
      assert.equal(r!.status, Status.AuthError);
      times.push(Date.now() - t0);
      if (i + 1 === 6) {
        // While this peer waits, others are served at once.
        const other = await connect();
        const t1 = Date.now();
        other.send(req(Opcode.Version));
        await packets(other, 1);
        assert.ok(Date.now() - t1 < 500);
        other.close();
      }
    }
    // failures 3, 4, 5 fast; 6 delayed ~1 s; 7 delayed ~2 s.
    assert.ok(times.slice(0, 3).every((ms) => ms < 500), `fast first: ${times.join(',')}`);
    assert.ok(times[3]! >= 900 && times[3]! < 2500, `6th failure delayed ~1 s: ${times.join(',')}`);
    assert.ok(times[4]! >= 1900, `7th failure delayed ~2 s: ${times.join(',')}`);
    // A success does not reset the count (a valid account must not help guess another).
    t.send(AUTH(PASSWORD));
    assert.equal((await packets(t, 1, 8000))[0]!.status, Status.Success);
    assert.equal(Number(await binaryStat(t, 'auth_errors')), 7);
    t.close();

    const log = d.stderr();
    assert.ok(!log.includes(PASSWORD), 'the password is not in the -vvv output');
    assert.match(log, /SASL authentication failed for user "alice" \(mech "PLAIN"\) from tcp:127\.0\.0\.1:\d+/);
    assert.match(log, /repeated authentication failures from tcp:127\.0\.0\.1: delaying/);
  } finally {
    await d.stop();
  }
});

test('-S over the unix socket: the same gate', async () => {
  const sock = path.join(dir, 'mc.sock');
  const d = await startDaemon({ args: ['-S', '-s', sock], env: saslEnv, waitUnix: sock });
  try {
    await saslGate(() => RawClient.connectTo({ path: sock }));
  } finally {
    await d.stop();
  }
});

test('-S with UDP is refused at start-up, as memcached does', async () => {
  const r = await runToExit(['-S', '-U', '11311', '-p', '0', '-l', '127.0.0.1', ...(process.getuid?.() === 0 ? ['-u', 'root'] : [])], saslEnv);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /Cannot enable UDP while using binary SASL authentication/);
});

async function asciiGate(connect: () => Promise<RawClient>): Promise<void> {
  let c = await connect();
  // Before auth: every command refused; a set whose data is not a `user pass` token stores nothing.
  assert.equal(await c.request('get k\r\n'), 'CLIENT_ERROR unauthenticated\r\n');
  c.send('set k 0 0 1\r\nx\r\n');
  assert.match(await c.line(), /^CLIENT_ERROR /);
  // A wrong password and a set in the same packet: the set is read as another auth attempt.
  c.send(`set a 0 0 11\r\nalice wrong\r\nset k 0 0 1\r\nv\r\nget k\r\n`);
  const got = (await c.drain(300)).toString('latin1');
  assert.ok(!got.includes('VALUE'), got);
  assert.ok(got.startsWith('CLIENT_ERROR'), got);
  c.close();
  // The right one, then commands in the same packet: processed in order.
  c = await connect();
  const token = `alice ${PASSWORD}`;
  c.send(`set a 0 0 ${token.length}\r\n${token}\r\nget k\r\nset k2 0 0 2\r\nok\r\nget k2\r\n`);
  assert.equal(await c.line(), 'STORED');
  assert.equal(await c.line(), 'END', 'k was never stored');
  assert.equal(await c.line(), 'STORED');
  assert.equal(await c.request(''), 'VALUE k2 0 2\r\nok\r\nEND\r\n');
  c.close();
}

test('-Y over TCP and the unix socket: nothing reaches the store before authentication', async () => {
  const d = await startDaemon({ args: ['-Y', authFile, '-vvv'] });
  try {
    await asciiGate(() => RawClient.connect(d.port));
    const log = d.stderr();
    assert.ok(!log.includes(PASSWORD), 'the password is not in the -vvv output');
    assert.match(log, /authentication failed for user "alice" from tcp:127\.0\.0\.1:\d+/);
  } finally {
    await d.stop();
  }
  const sock = path.join(dir, 'mcy.sock');
  const du = await startDaemon({ args: ['-Y', authFile, '-s', sock], waitUnix: sock });
  try {
    await asciiGate(() => RawClient.connectTo({ path: sock }));
  } finally {
    await du.stop();
  }
});
