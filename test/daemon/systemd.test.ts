// contrib/memcachedts.service must pass `systemd-analyze verify`, keep Debian's hardening
// (except MemoryDenyWriteExecute) and start the daemon through its ExecStart line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, PROJECT_ROOT } from '../support/daemon.js';
import { run } from '../support/tools.js';
import { makeTempDir } from '../support/temp-dir.js';

const UNIT = join(PROJECT_ROOT, 'contrib/memcachedts.service');
const ANALYZE = '/usr/bin/systemd-analyze';

function effectiveLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

test('unit file: Debian hardening lines, no MemoryDenyWriteExecute, our ExecStart', () => {
  const lines = effectiveLines(readFileSync(UNIT, 'utf8'));
  for (const want of [
    'ExecStart=/usr/bin/memcachedts --config-file /etc/memcached.conf',
    'PrivateTmp=true', 'ProtectSystem=full', 'NoNewPrivileges=true', 'PrivateDevices=true',
    'CapabilityBoundingSet=CAP_SETGID CAP_SETUID CAP_SYS_RESOURCE', 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'ProtectKernelModules=true', 'ProtectKernelTunables=true', 'ProtectControlGroups=true', 'RestrictRealtime=true',
    'RestrictNamespaces=true', 'PIDFile=/run/memcached/memcached.pid', 'Restart=always', 'WantedBy=multi-user.target',
  ]) {
    assert.ok(lines.includes(want), want);
  }
  assert.ok(!lines.some((l) => l.startsWith('MemoryDenyWriteExecute')), 'V8 cannot run under MemoryDenyWriteExecute');
  assert.match(readFileSync(UNIT, 'utf8'), /#.*MemoryDenyWriteExecute.*\n/, 'the reason is written down');
  const tmpfiles = effectiveLines(readFileSync(join(PROJECT_ROOT, 'contrib/memcachedts.tmpfiles'), 'utf8'));
  assert.deepEqual(tmpfiles, ['d /run/memcached 0755 memcache memcache -']);
});

test('the sandboxing lets the daemon read TLS certificates from /etc/memcached/', () => {
  const lines = effectiveLines(readFileSync(UNIT, 'utf8'));
  const values = (key: string): string[] => lines.filter((l) => l.startsWith(key + '=')).map((l) => l.slice(key.length + 1));
  // read-only /etc is fine; hiding or emptying it (or /etc/memcached) is not
  for (const v of values('ProtectSystem')) assert.ok(['true', 'full', 'strict', 'yes'].includes(v), `ProtectSystem=${v}`);
  for (const key of ['InaccessiblePaths', 'TemporaryFileSystem', 'BindPaths', 'BindReadOnlyPaths']) {
    for (const v of values(key)) assert.ok(!/(^|\s)-?\/etc(\/memcached)?(\s|:|$)/.test(v), `${key}=${v} hides /etc/memcached`);
  }
  assert.deepEqual(values('ReadOnlyPaths'), ['-/etc/memcached'], 'the certificate folder is named, and may be absent');
});

test('systemd-analyze verify passes', async (t) => {
  if (!existsSync(ANALYZE)) {
    assert.notEqual(process.env['CI'], 'true', 'systemd-analyze is missing under CI=true (apt-get install systemd)');
    t.skip('systemd-analyze not installed');
    return;
  }
  // verify checks that ExecStart's program exists: use the installed one, else this checkout's bin.
  let unit = UNIT;
  if (!existsSync('/usr/bin/memcachedts')) {
    const dir = makeTempDir('mcts-unit-');
    unit = join(dir, 'memcachedts.service');
    writeFileSync(unit, readFileSync(UNIT, 'utf8').replace('ExecStart=/usr/bin/memcachedts ', `ExecStart=${BIN} `));
  }
  const r = await run(ANALYZE, ['verify', unit], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stderr.trim(), '', r.stderr);
});

test("the unit's ExecStart line starts the daemon (under systemd's environment)", async () => {
  const { startDaemon } = await import('../support/daemon.js');
  const { freePort } = await import('../support/ports.js');
  const { RawClient } = await import('../support/client.js');
  const exec = effectiveLines(readFileSync(UNIT, 'utf8')).find((l) => l.startsWith('ExecStart='));
  assert.ok(exec !== undefined);
  const dir = makeTempDir('mcts-exec-');
  const conf = join(dir, 'memcached.conf');
  const port = await freePort();
  // Debian's default conf, with a free port and a user that exists everywhere.
  writeFileSync(conf, `-d\nlogfile ${join(dir, 'memcached.log')}\n-m 64\n-p ${port}\n-u nobody\n-l 127.0.0.1\n`);
  const words = exec.slice('ExecStart='.length).split(' ');
  assert.equal(words[0], '/usr/bin/memcachedts');
  const args = words.slice(1).map((w) => (w === '/etc/memcached.conf' ? conf : w));
  const d = await startDaemon({ args, port, env: { INVOCATION_ID: 'unit-test', JOURNAL_STREAM: '8:1' } });
  try {
    const c = await RawClient.connect(port);
    assert.equal(await c.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    c.close();
  } finally {
    assert.equal(await d.stop(), 0);
  }
});
