// SASL CRAM-MD5 over raw binary packets, to Debian's memcached 1.6.18 (Cyrus SASL) and to us,
// with the same SASL config (`mech_list: plain cram-md5`) and the same sasldb from saslpasswd2:
// every reply (status and body; a challenge compared by its shape) must be the same. Then a
// real client: pylibmc (libmemcached + Cyrus's client) picks CRAM-MD5 when it comes first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { startDaemon, MEMCACHED_BIN, type Daemon } from '../support/daemon.js';
import { startPair, stopPair, type Pair } from '../support/pair.js';
import { RawClient } from '../support/client.js';
import { DEBIAN_PYTHON, PYLIBMC_SASL_SCRIPT, haveTool, run } from '../support/tools.js';
import { SASLPASSWD2, saslpasswd2Set } from '../unit/auth/sasl-tools.js';
import { Opcode } from '../../src/protocol/binary/header.js';
import { req } from '../support/binary-packets.js';
import { makeTempDir } from '../support/temp-dir.js';

let dir = '';
let pair: Pair | null = null;

function writeConf(mechList: string): void {
  fs.writeFileSync(path.join(dir, 'memcached.conf'), `mech_list: ${mechList}\nsasldb_path: ${path.join(dir, 'sasldb2')}\n`);
}

before(async () => {
  if (!fs.existsSync(MEMCACHED_BIN) || !fs.existsSync(SASLPASSWD2)) return; // each test reports it
  dir = makeTempDir('mcts-cram-', '/tmp');
  fs.chmodSync(dir, 0o755);
  const db = path.join(dir, 'sasldb2');
  saslpasswd2Set(SASLPASSWD2, db, 'alice', 's3cret');
  saslpasswd2Set(SASLPASSWD2, db, 'bob', 'r3alm', 'other.realm');
  fs.chmodSync(db, 0o644);
  writeConf('plain cram-md5');
  const env = { SASL_CONF_PATH: dir };
  pair = await startPair({ args: ['-S'], env });
});

after(async () => {
  await stopPair(pair);
});

let probes = 0;

/** A connection from its own 127.0.x.y, so that our failure throttle never delays a reply. */
function connect(port: number): Promise<RawClient> {
  probes++;
  return RawClient.connectTo({ port, host: '127.0.0.1', localAddress: `127.0.${10 + Math.floor(probes / 250)}.${2 + (probes % 250)}` });
}

type Reply = { status: number; body: string };

async function call(c: RawClient, opcode: number, key = '', value: string | Buffer = ''): Promise<Reply> {
  c.send(req(opcode, { key, value }));
  const h = await c.read(24);
  const body = await c.read(h.readUInt32BE(8));
  return { status: h.readUInt16BE(6), body: body.toString('latin1') };
}

const digest = (password: string, challenge: string): string => createHmac('md5', password).update(challenge, 'latin1').digest('hex');

/** One scripted exchange: what the server answered, challenges replaced by their shape. */
type Script = (c: RawClient) => Promise<Reply[]>;

const SCRIPTS: Record<string, Script> = {
  'list mechs': async (c) => [await call(c, Opcode.SaslListMechs)],
  'right digest, then a GET, then a second STEP': async (c) => {
    const ch = await call(c, Opcode.SaslAuth, 'CRAM-MD5');
    return [ch, await call(c, Opcode.SaslStep, 'CRAM-MD5', `alice ${digest('s3cret', ch.body)}`), await call(c, Opcode.Get, 'nokey'), await call(c, Opcode.SaslStep, 'CRAM-MD5', `alice ${digest('s3cret', ch.body)}`)];
  },
  'wrong password': async (c) => {
    const ch = await call(c, Opcode.SaslAuth, 'CRAM-MD5');
    return [ch, await call(c, Opcode.SaslStep, 'CRAM-MD5', `alice ${digest('wrong', ch.body)}`)];
  },
  'upper-case hex': async (c) => {
    const ch = await call(c, Opcode.SaslAuth, 'CRAM-MD5');
    return [ch, await call(c, Opcode.SaslStep, 'CRAM-MD5', `alice ${digest('s3cret', ch.body).toUpperCase()}`)];
  },
  'bytes after the digest': async (c) => {
    const ch = await call(c, Opcode.SaslAuth, 'CRAM-MD5');
    return [ch, await call(c, Opcode.SaslStep, 'CRAM-MD5', `alice ${digest('s3cret', ch.body)}zz`)];
  },
  'digest one digit short': async (c) => {
    const ch = await call(c, Opcode.SaslAuth, 'CRAM-MD5');
    return [ch, await call(c, Opcode.SaslStep, 'CRAM-MD5', `alice ${digest('s3cret', ch.body).slice(0, 31)}`)];
  },
  'no space': async (c) => [await call(c, Opcode.SaslAuth, 'CRAM-MD5'), await call(c, Opcode.SaslStep, 'CRAM-MD5', 'alice')],
  'empty step': async (c) => [await call(c, Opcode.SaslAuth, 'CRAM-MD5'), await call(c, Opcode.SaslStep, 'CRAM-MD5', '')],
  'user@realm': async (c) => {
    const ch = await call(c, Opcode.SaslAuth, 'CRAM-MD5');
    return [ch, await call(c, Opcode.SaslStep, 'CRAM-MD5', `bob@other.realm ${digest('r3alm', ch.body)}`)];
  },
  'unknown user': async (c) => {
    const ch = await call(c, Opcode.SaslAuth, 'CRAM-MD5');
    return [ch, await call(c, Opcode.SaslStep, 'CRAM-MD5', `carol ${digest('x', ch.body)}`)];
  },
  'spaces around the user': async (c) => {
    const ch = await call(c, Opcode.SaslAuth, 'CRAM-MD5');
    return [ch, await call(c, Opcode.SaslStep, 'CRAM-MD5', ` alice  ${digest('s3cret', ch.body)}`)];
  },
  'initial data in SASL_AUTH': async (c) => [await call(c, Opcode.SaslAuth, 'CRAM-MD5', 'alice 0123')],
  'STEP names PLAIN': async (c) => {
    const ch = await call(c, Opcode.SaslAuth, 'CRAM-MD5');
    return [ch, await call(c, Opcode.SaslStep, 'PLAIN', `alice ${digest('s3cret', ch.body)}`)];
  },
  'a second AUTH replaces the challenge': async (c) => {
    const first = await call(c, Opcode.SaslAuth, 'CRAM-MD5');
    const second = await call(c, Opcode.SaslAuth, 'cram-md5');
    return [first, second, await call(c, Opcode.SaslStep, 'CRAM-MD5', `alice ${digest('s3cret', first.body)}`)];
  },
  'a PLAIN message in the STEP': async (c) => [await call(c, Opcode.SaslAuth, 'CRAM-MD5'), await call(c, Opcode.SaslStep, 'CRAM-MD5', '\0alice\0s3cret')],
  'a request while the challenge is open': async (c) => [await call(c, Opcode.SaslAuth, 'CRAM-MD5'), await call(c, Opcode.Get, 'k')],
  'a second STEP after a wrong answer, carrying a good PLAIN message': async (c) => {
    const ch = await call(c, Opcode.SaslAuth, 'CRAM-MD5');
    return [ch, await call(c, Opcode.SaslStep, 'CRAM-MD5', `alice ${digest('wrong', ch.body)}`), await call(c, Opcode.SaslStep, 'PLAIN', '\0alice\0s3cret'), await call(c, Opcode.Get, 'k')];
  },
  'a second STEP after a wrong answer, carrying the right digest': async (c) => {
    const ch = await call(c, Opcode.SaslAuth, 'CRAM-MD5');
    return [ch, await call(c, Opcode.SaslStep, 'CRAM-MD5', `alice ${digest('wrong', ch.body)}`), await call(c, Opcode.SaslStep, 'CRAM-MD5', `alice ${digest('s3cret', ch.body)}`)];
  },
  'AUTH CRAM-MD5 after a successful PLAIN, then again': async (c) => [
    await call(c, Opcode.SaslAuth, 'PLAIN', '\0alice\0s3cret'),
    await call(c, Opcode.SaslAuth, 'CRAM-MD5'),
    await call(c, Opcode.SaslAuth, 'CRAM-MD5'),
  ],
  'AUTH PLAIN in the middle of a CRAM-MD5 exchange': async (c) => [await call(c, Opcode.SaslAuth, 'CRAM-MD5'), await call(c, Opcode.SaslAuth, 'PLAIN', '\0alice\0s3cret')],
};

async function transcript(d: Daemon, script: Script, host: string): Promise<Reply[]> {
  const c = await connect(d.port);
  try {
    const replies = await script(c);
    return replies.map((r) => (r.status === 0x21 ? { status: r.status, body: /^<\d+\.\d+@(.*)>$/.exec(r.body)?.[1] === host ? '<challenge>' : r.body } : r));
  } finally {
    c.close();
  }
}

function ready(t: import('node:test').TestContext): boolean {
  return haveTool(t, MEMCACHED_BIN, 'memcached') && haveTool(t, SASLPASSWD2, 'saslpasswd2 (sasl2-bin)');
}

test('CRAM-MD5 over raw binary packets answers as memcached (Cyrus) does', async (t) => {
  if (!ready(t)) return;
  const { ours, theirs } = pair!;
  const host = hostname();
  const mismatches: string[] = [];
  for (const [name, script] of Object.entries(SCRIPTS)) {
    const a = await transcript(ours, script, host);
    const b = await transcript(theirs, script, host);
    try {
      assert.deepEqual(a, b);
    } catch {
      mismatches.push(`${name}: ours ${JSON.stringify(a)} memcached ${JSON.stringify(b)}`);
    }
  }
  assert.deepEqual(mismatches, []);
  // And what both answered, so that agreeing on something wrong cannot pass.
  const ok = await transcript(ours, SCRIPTS['right digest, then a GET, then a second STEP']!, host);
  assert.deepEqual(ok, [
    { status: 0x21, body: '<challenge>' },
    { status: 0, body: 'Authenticated' },
    { status: 1, body: 'Not found' },
    { status: 0x20, body: 'Auth failure.' },
  ]);
  assert.deepEqual(await transcript(ours, SCRIPTS['list mechs']!, host), [{ status: 0, body: 'PLAIN CRAM-MD5' }]);
  assert.deepEqual(await transcript(ours, SCRIPTS['wrong password']!, host), [
    { status: 0x21, body: '<challenge>' },
    { status: 0x20, body: 'Auth failure.' },
  ]);
});

test('pylibmc (Cyrus client) logs in with CRAM-MD5 when mech_list puts it first; a wrong password is refused', async (t) => {
  if (!ready(t) || !haveTool(t, DEBIAN_PYTHON)) return;
  if ((await run(DEBIAN_PYTHON, ['-c', 'import pylibmc'])).code !== 0) {
    if (process.env['CI'] === 'true') throw new Error('python3-pylibmc missing');
    t.skip('python3-pylibmc not installed');
    return;
  }
  writeConf('cram-md5 plain');
  const d = await startDaemon({ args: ['-S', '-v'], env: { SASL_CONF_PATH: dir } });
  try {
    const good = await run(DEBIAN_PYTHON, ['-c', PYLIBMC_SASL_SCRIPT, String(d.port), 'alice', 's3cret'], { timeoutMs: 20_000 });
    assert.equal(good.stdout.trim(), 'hello', good.stderr);
    const bad = await run(DEBIAN_PYTHON, ['-c', PYLIBMC_SASL_SCRIPT, String(d.port), 'alice', 'wrong'], { timeoutMs: 20_000 });
    assert.match(bad.stdout, /^ERR /);
    const log = d.stderr();
    assert.match(log, /mech: {2}``CRAM-MD5'' with 0 bytes of data\nsasl result code: {2}1\n/);
    assert.match(log, /mech: {2}``CRAM-MD5'' with 38 bytes of data\nsasl result code: {2}0\n/);
    assert.match(log, /SASL \(severity 2\): incorrect digest response\nsasl result code: {2}-13\n/);
    assert.doesNotMatch(log, /PLAIN/);
  } finally {
    await d.stop();
    writeConf('plain cram-md5');
  }
});
