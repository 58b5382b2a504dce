// memcachedts-tool against the real daemon, and Debian's memcached-tool against memcachedts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, withDaemon, PROJECT_ROOT, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { run } from '../support/tools.js';

const TOOL = join(PROJECT_ROOT, 'bin/memcachedts-tool.js');
const DEBIAN_TOOL = '/usr/share/memcached/scripts/memcached-tool';

/** fn with a daemon (as nobody) holding alpha (3 bytes, flags 5) and beta (2000 bytes). */
function withItems(fn: (d: Daemon) => Promise<void>): Promise<void> {
  return withDaemon({ args: ['-u', 'nobody'] }, async (d) => {
    const c = await RawClient.connect(d.port);
    assert.equal(await c.request('set alpha 5 0 3\r\nabc\r\n', 'STORED'), 'STORED\r\n');
    assert.equal(await c.request(`set beta 0 0 2000\r\n${'x'.repeat(2000)}\r\n`, 'STORED'), 'STORED\r\n');
    c.close();
    await fn(d);
  });
}

test('memcachedts-tool display, stats, settings, dump', async () => {
  await withItems(async (d) => {
    const addr = `127.0.0.1:${d.port}`;
    const display = await run(process.execPath, [TOOL, addr, 'display'], { timeoutMs: 15_000 });
    assert.equal(display.code, 0, display.stderr);
    assert.match(display.stdout, /Class\s+Chunk/);
    assert.match(display.stdout, /Items: 2 /);
    const stats = await run(process.execPath, [TOOL, addr, 'stats'], { timeoutMs: 15_000 });
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /curr_items\s+2/);
    const settings = await run(process.execPath, [TOOL, addr, 'settings'], { timeoutMs: 15_000 });
    assert.equal(settings.code, 0, settings.stderr);
    assert.match(settings.stdout, /maxbytes\s+67108864/);
    const dump = await run(process.execPath, [TOOL, addr, 'dump'], { timeoutMs: 15_000 });
    assert.equal(dump.code, 0, dump.stderr);
    assert.match(dump.stdout, /add alpha 5 0 3\r\nabc\r\n/);
    assert.match(dump.stdout, /add beta 0 0 2000\r\nx{2000}\r\n/);
  });
});

test('memcachedts-tool usage errors', async () => {
  const r = await run(process.execPath, [TOOL], { timeoutMs: 15_000 });
  assert.equal(r.code, 64);
  assert.match(r.stderr, /^Usage: memcachedts-tool/);
  const bad = await run(process.execPath, [TOOL, '127.0.0.1:1', 'nonsense'], { timeoutMs: 15_000 });
  assert.equal(bad.code, 64);
});

test('memcachedts-tool --help goes to stdout with exit 0 (so `| less` shows it)', async () => {
  for (const flag of ['--help', '-h']) {
    const r = await run(process.execPath, [TOOL, flag], { timeoutMs: 15_000 });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: memcachedts-tool/);
    assert.equal(r.stderr, '');
  }
});

test('memcachedts-tool against a -S server says that it requires SASL, in seconds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memcachedts-tool-sasl-'));
  writeFileSync(join(dir, 'memcached.conf'), 'mech_list: plain\n');
  writeFileSync(join(dir, 'pwdb'), 'alice:secret\n');
  const env = { SASL_CONF_PATH: dir, MEMCACHED_SASL_PWDB: join(dir, 'pwdb') };
  // Debian's memcached behaves the same (text is ignored before auth): the tool says so for both.
  for (const memcached of [false, true]) {
    const d = await startDaemon({ args: ['-S', '-u', 'nobody'], env, memcached });
    try {
      const started = Date.now();
      const r = await run(process.execPath, [TOOL, `127.0.0.1:${d.port}`, 'stats'], { timeoutMs: 15_000 });
      assert.equal(r.code, 77, r.stderr);
      assert.match(r.stderr, /requires SASL authentication \(-S; it offers [A-Z0-9 -]*PLAIN/);
      assert.ok(Date.now() - started < 8000, 'answered before the 10 s timeout');
    } finally {
      await d.stop();
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

test("Debian's memcached-tool works against memcachedts", async (t) => {
  if (!existsSync(DEBIAN_TOOL) || !existsSync('/usr/bin/perl')) {
    assert.notEqual(process.env['CI'], 'true', 'memcached-tool missing under CI=true');
    t.skip('memcached-tool not installed');
    return;
  }
  await withItems(async (d) => {
    const addr = `127.0.0.1:${d.port}`;
    const display = await run('/usr/bin/perl', [DEBIAN_TOOL, addr, 'display'], { timeoutMs: 15_000 });
    assert.equal(display.code, 0, display.stderr);
    assert.match(display.stdout, /#\s+Item_Size\s+Max_age/);
    assert.match(display.stdout, /^\s+1\s+96B\s/m);
    const stats = await run('/usr/bin/perl', [DEBIAN_TOOL, addr, 'stats'], { timeoutMs: 15_000 });
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /curr_items\s+2/);
    const dump = await run('/usr/bin/perl', [DEBIAN_TOOL, addr, 'dump'], { timeoutMs: 15_000 });
    assert.equal(dump.code, 0, dump.stderr);
    assert.match(dump.stdout, /add alpha 5 0 3\r\nabc\r\n/);
  });
});
