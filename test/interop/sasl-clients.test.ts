// SASL PLAIN from real binary-protocol clients: memjs (npm) and pylibmc (libmemcached), with
// each password source an admin may use: a saslpasswd2 database, memcachedts-passwd's file,
// and memcached's MEMCACHED_SASL_PWDB plain file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import memjs from 'memjs';
import { PROJECT_ROOT, startDaemon } from '../support/daemon.js';
import { DEBIAN_PYTHON, PYLIBMC_SASL_SCRIPT, haveTool, run } from '../support/tools.js';

const USER = 'sammy';
const PASSWORD = 'correct horse battery';

type Source = 'sasldb' | 'memcachedts-passwd' | 'pwdb';

async function saslEnv(t: import('node:test').TestContext, source: Source): Promise<{ env: Record<string, string>; dir: string } | null> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcts-sasl-'));
  const db = path.join(dir, 'users');
  const env: Record<string, string> = { SASL_CONF_PATH: dir };
  if (source === 'sasldb') {
    if (!haveTool(t, '/usr/sbin/saslpasswd2', 'saslpasswd2 (sasl2-bin)')) return null;
    const r = await run('/usr/sbin/saslpasswd2', ['-p', '-a', 'memcached', '-c', '-f', db, USER], { input: PASSWORD });
    assert.equal(r.code, 0, r.stderr);
  } else if (source === 'memcachedts-passwd') {
    const r = await run(process.execPath, [path.join(PROJECT_ROOT, 'bin/memcachedts-passwd.js'), '-f', db, 'add', USER], { input: PASSWORD + '\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(fs.readFileSync(db, 'utf8'), new RegExp(PASSWORD), 'no plaintext in our file');
  } else {
    fs.writeFileSync(db, `other:x\n${USER}:${PASSWORD}\n`);
    env['MEMCACHED_SASL_PWDB'] = db;
  }
  fs.chmodSync(db, 0o644);
  fs.writeFileSync(path.join(dir, 'memcached.conf'), `mech_list: plain\nsasldb_path: ${source === 'pwdb' ? path.join(dir, 'none') : db}\n`);
  return { env, dir };
}

for (const source of ['sasldb', 'memcachedts-passwd', 'pwdb'] as const) {
  test(`memjs authenticates with SASL PLAIN (${source})`, async (t) => {
    const setup = await saslEnv(t, source);
    if (setup === null) return;
    const d = await startDaemon({ args: ['-S'], env: setup.env });
    const good = memjs.Client.create(`127.0.0.1:${d.port}`, { username: USER, password: PASSWORD, retries: 0, timeout: 5, logger: { log: () => {} } });
    const bad = memjs.Client.create(`127.0.0.1:${d.port}`, { username: USER, password: 'wrong', retries: 0, timeout: 5, logger: { log: () => {} } });
    try {
      assert.equal(await good.set('k', 'v', {}), true);
      assert.equal((await good.get('k')).value?.toString(), 'v');
      await assert.rejects(bad.get('k'));
    } finally {
      good.close();
      bad.close();
      await d.stop();
      fs.rmSync(setup.dir, { recursive: true, force: true });
    }
  });
}

test('pylibmc authenticates with SASL PLAIN (sasldb), and a wrong password is refused', async (t) => {
  if (!haveTool(t, DEBIAN_PYTHON)) return;
  if ((await run(DEBIAN_PYTHON, ['-c', 'import pylibmc'])).code !== 0) {
    if (process.env.CI === 'true') throw new Error('python3-pylibmc missing');
    t.skip('python3-pylibmc not installed');
    return;
  }
  const setup = await saslEnv(t, 'sasldb');
  if (setup === null) return;
  const d = await startDaemon({ args: ['-S', '-vvv'], env: setup.env });
  try {
    const ok = await run(DEBIAN_PYTHON, ['-c', PYLIBMC_SASL_SCRIPT, String(d.port), USER, PASSWORD]);
    assert.equal(ok.stdout.trim(), 'hello', ok.stderr);
    const bad = await run(DEBIAN_PYTHON, ['-c', PYLIBMC_SASL_SCRIPT, String(d.port), USER, 'wrong']);
    assert.match(bad.stdout, /^ERR /);
    assert.doesNotMatch(d.stderr(), new RegExp(PASSWORD), 'no password in -vvv output');
  } finally {
    await d.stop();
    fs.rmSync(setup.dir, { recursive: true, force: true });
  }
});
