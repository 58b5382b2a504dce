// Issue #14 C. SASL: the admin's scenario: started as root with `-u nobody`, a sasldb written by the
// real saslpasswd2 (root:root 0640). The daemon reads its password files as the -u user, so a
// file that user cannot read authenticates nobody (with a message that names the file and the
// chown/chmod to run), and a deleted user or a changed password never keeps working. Each step
// runs against Debian's memcached 1.6.18 too: the verdicts must be the same. -Y: a file the -u
// user cannot read stops the start as in memcached, and a reload that fails drops the users.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, runToExit, MEMCACHED_BIN, type Daemon } from '../support/daemon.js';
import { freePort } from '../support/ports.js';
import { RawClient } from '../support/client.js';
import { haveTool } from '../support/tools.js';
import { SASLPASSWD2, saslpasswd2Delete, saslpasswd2Set } from '../unit/auth/sasl-tools.js';
import { Opcode } from '../../src/protocol/binary/header.js';
import { req } from '../support/binary-packets.js';
import { sleep } from '../support/wait.js';

const NOBODY_UID = 65534;

let probes = 0;

/**
 * SASL_AUTH PLAIN on a fresh connection: the status (0 = authenticated, 0x20 = refused). Each
 * probe comes from its own 127.0.0.x so that the failure throttle (auth-throttle.ts) never
 * delays a reply: this test is about verdicts, not about guessing.
 */
async function authStatus(port: number, user: string, pass: string): Promise<number> {
  const c = await RawClient.connectTo({ port, host: '127.0.0.1', localAddress: `127.0.${1 + Math.floor(++probes / 250)}.${2 + (probes % 250)}` });
  try {
    c.send(req(Opcode.SaslAuth, { key: 'PLAIN', value: `\0${user}\0${pass}` }));
    const h = await c.read(24);
    await c.read(h.readUInt32BE(8));
    return h.readUInt16BE(6);
  } finally {
    c.close();
  }
}

/** `stats memcachedts` over binary, after authenticating. */
async function extraStats(port: number, user: string, pass: string): Promise<Map<string, string>> {
  const c = await RawClient.connect(port);
  try {
    c.send(req(Opcode.SaslAuth, { key: 'PLAIN', value: `\0${user}\0${pass}` }));
    const h = await c.read(24);
    await c.read(h.readUInt32BE(8));
    assert.equal(h.readUInt16BE(6), 0, 'authenticated for stats');
    c.send(req(Opcode.Stat, { key: 'memcachedts' }));
    const stats = new Map<string, string>();
    for (;;) {
      const sh = await c.read(24);
      const keyLen = sh.readUInt16BE(2);
      const body = await c.read(sh.readUInt32BE(8));
      if (keyLen === 0) break;
      stats.set(body.toString('latin1', 0, keyLen), body.toString('latin1', keyLen));
    }
    return stats;
  } finally {
    c.close();
  }
}

/** Polls until ok() or ms pass (what happened is asserted afterwards, from the log). */
async function until(ms: number, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok() && Date.now() < deadline) await sleep(25);
}

type Step = { name: string; verdicts: number[] };

/**
 * The scenario against one server; returns what each step answered for
 * [alice old, alice new, bob]. `hup` sends SIGHUP and waits until it was handled.
 */
async function scenario(d: Daemon, db: string, tool: string, hup: () => Promise<void>): Promise<Step[]> {
  const steps: Step[] = [];
  const probe = async (name: string): Promise<void> => {
    steps.push({
      name,
      verdicts: [await authStatus(d.port, 'alice', 'alice-old'), await authStatus(d.port, 'alice', 'alice-new'), await authStatus(d.port, 'bob', 'bob-pw')],
    });
  };
  await probe('root:root 0640 at start');
  chownSync(db, NOBODY_UID, statSync(db).gid);
  await probe('after chown nobody');
  saslpasswd2Delete(tool, db, 'bob');
  saslpasswd2Set(tool, db, 'alice', 'alice-new');
  await hup();
  await probe('bob deleted, alice changed, SIGHUP');
  chownSync(db, 0, 0);
  saslpasswd2Set(tool, db, 'bob', 'bob-pw');
  await hup();
  await probe('root:root again, bob back, SIGHUP');
  return steps;
}

function makeSetup(): { dir: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mcts-failclosed-'));
  chmodSync(dir, 0o755); // nobody may search it; the file's own mode decides
  const db = join(dir, 'sasldb2');
  writeFileSync(join(dir, 'memcached.conf'), `mech_list: plain\nsasldb_path: ${db}\n`);
  return { dir, db };
}

test('a sasldb the -u user cannot read authenticates nobody; a revoked or changed password stops working, as in memcached', async (t) => {
  if (!haveTool(t, SASLPASSWD2, 'saslpasswd2 (sasl2-bin)') || !haveTool(t, MEMCACHED_BIN, 'memcached') || !needRoot(t)) return;
  const results: Record<'ours' | 'memcached', Step[]> = { ours: [], memcached: [] };
  let oursStderr = '';
  let stats = new Map<string, string>();
  for (const which of ['memcached', 'ours'] as const) {
    const { dir, db } = makeSetup();
    saslpasswd2Set(SASLPASSWD2, db, 'alice', 'alice-old');
    saslpasswd2Set(SASLPASSWD2, db, 'bob', 'bob-pw');
    assert.equal(statSync(db).mode & 0o777, 0o640, 'saslpasswd2 makes the file 0640');
    const d = await startDaemon({ args: ['-S', '-u', 'nobody'], env: { SASL_CONF_PATH: dir }, memcached: which === 'memcached' });
    try {
      let hups = 0;
      const hup = async (): Promise<void> => {
        d.proc.kill('SIGHUP');
        hups++;
        if (which === 'ours') await until(3000, () => d.stderr().split('Reloaded authentication data').length - 1 >= hups);
        else await sleep(100);
      };
      try {
        results[which] = await scenario(d, db, SASLPASSWD2, hup);
      } catch (e) {
        throw new Error(`${which}: ${String(e)}\n${d.stderr()}`);
      }
      if (which === 'ours') {
        chownSync(db, NOBODY_UID, 0);
        stats = await extraStats(d.port, 'alice', 'alice-new');
        oursStderr = d.stderr();
      }
    } finally {
      await d.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const OK = 0;
  const REFUSED = 0x20;
  assert.deepEqual(results.memcached, [
    { name: 'root:root 0640 at start', verdicts: [REFUSED, REFUSED, REFUSED] },
    { name: 'after chown nobody', verdicts: [OK, REFUSED, OK] },
    { name: 'bob deleted, alice changed, SIGHUP', verdicts: [REFUSED, OK, REFUSED] },
    { name: 'root:root again, bob back, SIGHUP', verdicts: [REFUSED, REFUSED, REFUSED] },
  ]);
  assert.deepEqual(results.ours, results.memcached, oursStderr);

  // The start-up message names the file, the reason and the fix; each failure is said once.
  const db = /(\S+sasldb2): permission denied: nobody \(uid 65534\) cannot read it; run: chown nobody: (\S+) && chmod 640 (\S+); no one can authenticate/.exec(oursStderr);
  assert.ok(db !== null, oursStderr);
  assert.equal(db[2], db[1]);
  assert.equal(oursStderr.split('no one can authenticate with this file').length - 1, 2, 'said at start and once after ownership went back to root');
  assert.match(oursStderr, /Reloaded authentication data \(SIGHUP\): \S+sasldb2: 1 user\n/);
  assert.match(oursStderr, /Reloaded authentication data \(SIGHUP\): \S+sasldb2: failed: permission denied/);
  assert.ok(!oursStderr.includes('alice-old') && !oursStderr.includes('alice-new') && !oursStderr.includes('bob-pw'), 'no password in the log');
  assert.equal(stats.get('auth_source_errors'), '2');
  assert.equal(stats.get('auth_sources_failing'), '0');
});

function needRoot(t: import('node:test').TestContext): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env['CI'] === 'true') assert.fail('this test needs root (it starts the daemon with -u nobody)');
  t.skip('needs root');
  return false;
}

test('-Y: a file the -u user cannot read stops the start with memcached\'s message, plus the fix', async (t) => {
  if (!haveTool(t, MEMCACHED_BIN, 'memcached') || !needRoot(t)) return;
  const { dir } = makeSetup();
  try {
    const file = join(dir, 'authfile');
    writeFileSync(file, 'alice:pw\n', { mode: 0o600 });
    const port = String(await freePort());
    const args = ['-Y', file, '-u', 'nobody', '-p', port, '-l', '127.0.0.1'];
    const mc = spawnSync(MEMCACHED_BIN, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
    const theirs = { code: mc.status, stderr: mc.stderr };
    const ours = await runToExit(args);
    assert.equal(theirs.code, 1);
    assert.equal(ours.code, theirs.code);
    const first = `Could not open authfile [${file}] for reading, error Permission denied: Permission denied`;
    assert.equal(theirs.stderr.trim(), first);
    assert.deepEqual(ours.stderr.trim().split('\n'), [first, `${file}: permission denied: nobody (uid 65534) cannot read it; run: chown nobody: ${file} && chmod 640 ${file}`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-Y: a reload that cannot read the file leaves nobody authenticated until it can (memcached keeps the old users)', async (t) => {
  if (!needRoot(t)) return;
  const { dir } = makeSetup();
  const file = join(dir, 'authfile');
  writeFileSync(file, 'alice:pw\nbob:b0b\n', { mode: 0o644 });
  const d = await startDaemon({ args: ['-Y', file, '-u', 'nobody'] });
  const login = async (user: string, pass: string): Promise<string> => {
    const c = await RawClient.connectTo({ port: d.port, host: '127.0.0.1', localAddress: `127.0.${1 + Math.floor(++probes / 250)}.${2 + (probes % 250)}` });
    const token = `${user} ${pass}`;
    c.send(`set auth 0 0 ${token.length}\r\n${token}\r\n`);
    const line = await c.line(3000);
    c.close();
    return line;
  };
  let hups = 0;
  const hup = async (): Promise<void> => {
    d.proc.kill('SIGHUP');
    hups++;
    await until(3000, () => d.stderr().split('Reloaded authentication data').length - 1 >= hups);
  };
  try {
    assert.equal(await login('bob', 'b0b'), 'STORED');
    writeFileSync(file, 'alice:pw\n'); // bob removed...
    chmodSync(file, 0o600); // ...and, as root 0600, out of the daemon's reach
    await hup();
    assert.equal(await login('bob', 'b0b'), 'CLIENT_ERROR authentication failure');
    assert.equal(await login('alice', 'pw'), 'CLIENT_ERROR authentication failure');
    assert.match(d.stderr(), /Reloaded authentication data \(SIGHUP\): \S+authfile: failed: permission denied: nobody \(uid 65534\) cannot read it; run: chown nobody: /);
    chownSync(file, NOBODY_UID, 0);
    await hup();
    assert.equal(await login('alice', 'pw'), 'STORED');
    assert.equal(await login('bob', 'b0b'), 'CLIENT_ERROR authentication failure');
    assert.match(d.stderr(), /Reloaded authentication data \(SIGHUP\): \S+authfile: 1 user\n/);
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a sasldb created after the start is used at once, without SIGHUP, as in memcached (t/binary-sasl.t does this)', async (t) => {
  if (!haveTool(t, SASLPASSWD2, 'saslpasswd2 (sasl2-bin)') || !haveTool(t, MEMCACHED_BIN, 'memcached')) return;
  for (const which of ['memcached', 'ours'] as const) {
    const { dir, db } = makeSetup();
    const d = await startDaemon({ args: ['-S'], env: { SASL_CONF_PATH: dir }, memcached: which === 'memcached' });
    try {
      assert.equal(await authStatus(d.port, 'alice', 'pw'), 0x20, `${which}: no file yet`);
      saslpasswd2Set(SASLPASSWD2, db, 'alice', 'pw');
      chmodSync(db, 0o644);
      assert.equal(await authStatus(d.port, 'alice', 'pw'), 0, `${which}: the new file is read`);
      assert.equal(await authStatus(d.port, 'alice', 'wrong'), 0x20, which);
      if (which === 'ours') {
        assert.match(d.stderr(), /sasldb2: file not found; no one can authenticate with this file until it is fixed\n/);
        assert.match(d.stderr(), /sasldb2: usable now, 1 user\n/);
      }
    } finally {
      await d.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
