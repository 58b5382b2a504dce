// A connection that authenticates again (issue #14 G). memcached 1.6.18 with Cyrus refuses an
// AUTH after a successful exchange ("attempting server step after doneflag"), which leaves the
// connection unauthenticated and clears that state, so the AUTH after it works. The sequences
// below were recorded from Debian's memcached with a sasldb made by saslpasswd2; they run
// against memcachedts and, when installed, against memcached itself. With -Y, an authenticated
// connection's second `set` is an ordinary set, in both.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, MEMCACHED_BIN } from '../support/daemon.js';
import { run } from '../support/tools.js';
import { Opcode } from '../../src/protocol/binary/header.js';
import { req } from '../support/binary-packets.js';
import { connect, oneReply, plainAuth } from '../hostile/auth-load.js';
import { RawClient } from '../support/client.js';
import { makeTempDir } from '../support/temp-dir.js';

const SASLPASSWD2 = '/usr/sbin/saslpasswd2';
let dir = '';
let env: NodeJS.ProcessEnv = {};

before(async () => {
  dir = makeTempDir('memcachedts-reauth-');
  fs.chmodSync(dir, 0o755); // memcached drops to nobody
  if (!fs.existsSync(SASLPASSWD2)) return;
  const db = path.join(dir, 'sasldb');
  for (const [user, pw] of [['alice', 'secret1'], ['bob', 'secret2']] as const) {
    const r = await run(SASLPASSWD2, ['-p', '-a', 'memcached', '-c', '-f', db, user], { input: pw, timeoutMs: 10_000 });
    assert.equal(r.code, 0, r.stderr);
  }
  fs.chmodSync(db, 0o644);
  fs.writeFileSync(path.join(dir, 'memcached.conf'), `mech_list: plain\nsasldb_path: ${db}\n`);
  env = { SASL_CONF_PATH: dir };
});

type Step = 'alice' | 'bob' | 'wrong' | 'empty' | 'stepAlice' | 'stepWrong' | 'list' | 'nomech' | 'get';
const packet: Record<Step, Buffer> = {
  alice: plainAuth('alice', 'secret1'),
  bob: plainAuth('bob', 'secret2'),
  wrong: plainAuth('alice', 'nope'),
  empty: req(Opcode.SaslAuth, { key: 'PLAIN', value: '' }),
  stepAlice: req(Opcode.SaslStep, { key: 'PLAIN', value: '\0alice\0secret1' }),
  stepWrong: req(Opcode.SaslStep, { key: 'PLAIN', value: '\0alice\0nope' }),
  list: req(Opcode.SaslListMechs),
  nomech: req(Opcode.SaslAuth, { key: 'FOO', value: '\0alice\0secret1' }),
  get: req(Opcode.Get, { key: 'k' }),
};

// Each sequence on a fresh connection, with the statuses memcached 1.6.18 answers
// (0 ok, 0x20 auth error, 0x21 continue, 1 not found).
const SEQUENCES: Array<[string, Step[], number[]]> = [
  ['as another user', ['alice', 'bob', 'get'], [0, 0x20, 0x20]],
  ['as the same user', ['alice', 'alice', 'get'], [0, 0x20, 0x20]],
  ['a third AUTH works again', ['alice', 'alice', 'alice', 'get'], [0, 0x20, 0, 1]],
  ['wrong password after success', ['alice', 'wrong', 'wrong', 'get'], [0, 0x20, 0x20, 0x20]],
  ['LIST_MECHS in between does not reset it', ['alice', 'list', 'alice', 'get'], [0, 0, 0x20, 0x20]],
  ['an unknown mechanism resets it', ['alice', 'nomech', 'alice', 'get'], [0, 0x20, 0, 1]],
  ['STEP after success fails, then AUTH fails and resets', ['alice', 'stepAlice', 'alice', 'alice'], [0, 0x20, 0x20, 0]],
  ['AUTH without data after success: CONTINUE, then STEP fails', ['alice', 'empty', 'stepAlice', 'alice'], [0, 0x21, 0x20, 0x20]],
  ['a failed STEP may be retried', ['empty', 'stepWrong', 'stepAlice', 'get'], [0x21, 0x20, 0, 1]],
  ['a failed AUTH then the right one', ['wrong', 'alice', 'get'], [0x20, 0, 1]],
];

async function statuses(port: number, steps: Step[]): Promise<number[]> {
  const s = await connect(port);
  const out: number[] = [];
  for (const step of steps) {
    const r = await oneReply(s, packet[step], 8000);
    out.push(r === null ? -1 : r.readUInt16BE(6));
  }
  s.destroy();
  return out;
}

for (const memcached of [false, true]) {
  const who = memcached ? 'memcached 1.6.18' : 'memcachedts';
  test(`-S: authenticating again on one connection (${who})`, async (t) => {
    if (!fs.existsSync(SASLPASSWD2)) return t.skip('saslpasswd2 (sasl2-bin) not installed');
    if (memcached && !fs.existsSync(MEMCACHED_BIN)) return t.skip('memcached not installed');
    const d = await startDaemon({ memcached, args: ['-S', ...(memcached ? ['-u', 'nobody'] : [])], env });
    try {
      for (const [name, steps, want] of SEQUENCES) {
        assert.deepEqual(await statuses(d.port, steps), want, name);
      }
    } finally {
      await d.stop();
    }
  });

  test(`-Y: a second "auth" set on an authenticated connection is an ordinary set (${who})`, async (t) => {
    if (memcached && !fs.existsSync(MEMCACHED_BIN)) return t.skip('memcached not installed');
    const authFile = path.join(dir, 'ascii-auth');
    fs.writeFileSync(authFile, 'alice:secret1\nbob:secret2\n');
    fs.chmodSync(authFile, 0o644);
    const d = await startDaemon({ memcached, args: ['-Y', authFile, ...(memcached ? ['-u', 'nobody'] : [])] });
    try {
      const c = await RawClient.connect(d.port);
      c.send('set a 0 0 13\r\nalice secret1\r\n');
      assert.equal((await c.read(8, 5000)).toString(), 'STORED\r\n');
      c.send('set x 0 0 11\r\nbob secret2\r\nset y 0 0 9\r\nbob wrong\r\nget x y\r\n');
      const want = 'STORED\r\nSTORED\r\nVALUE x 0 11\r\nbob secret2\r\nVALUE y 0 9\r\nbob wrong\r\nEND\r\n';
      assert.equal((await c.read(want.length, 5000)).toString(), want);
      c.close();
    } finally {
      await d.stop();
    }
  });
}
