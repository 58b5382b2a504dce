// -e PATH, the warm restart (issue #18 part 1), on the real daemon: a graceful stop (SIGUSR1,
// `shutdown graceful`) saves the cache, the next start with compatible settings has every live
// item back (value, flags, cas, LRU order, hash table size), expiry counts the downtime, the
// metadata is used once, and bad or mismatched metadata behaves as memcached's (checked side by
// side with Debian's memcached where it prints something).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startDaemon, runToExit, PROJECT_ROOT, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { sleep } from '../support/wait.js';

const STOP_WAIT_MS = 20_000;

function tempDir(): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  return mkdtempSync(path.join(base, 'mcts-restart-'));
}

/** Resolves with the exit code once the daemon ends (SIGKILL after STOP_WAIT_MS). */
function exitOf(d: Daemon): Promise<number | string> {
  if (d.proc.exitCode !== null || d.proc.signalCode !== null) return Promise.resolve(d.proc.exitCode ?? d.proc.signalCode ?? -1);
  return new Promise((resolve) => {
    const t = setTimeout(() => d.proc.kill('SIGKILL'), STOP_WAIT_MS);
    d.proc.once('exit', (code, sig) => {
      clearTimeout(t);
      resolve(code ?? sig ?? -1);
    });
  });
}

async function gracefulStop(d: Daemon): Promise<number | string> {
  const exit = exitOf(d);
  d.proc.kill('SIGUSR1');
  return exit;
}

function start(file: string, extra: string[] = [], memcached = false): Promise<Daemon> {
  return startDaemon({ args: ['-e', file, '-m', '64', ...extra], memcached });
}

async function stat(c: RawClient, group: string, name: string): Promise<string | undefined> {
  return (await c.stats(group)).get(name);
}


/** The items stored before the stop: small ones, one page-sized, chunked large ones. */
const ITEMS: Array<{ key: string; flags: number; ttl: number; size: number }> = [
  { key: 'tiny', flags: 0, ttl: 0, size: 1 },
  { key: 'empty', flags: 7, ttl: 0, size: 0 },
  { key: 'hundred', flags: 4294967295, ttl: 0, size: 100 },
  { key: 'ttl-long', flags: 12, ttl: 600, size: 20 },
  { key: 'k10k', flags: 3, ttl: 0, size: 10 * 1024 },
  { key: 'k600k', flags: 0, ttl: 0, size: 600 * 1024 },
  { key: 'chunked-1m', flags: 9, ttl: 0, size: 1024 * 1024 + 17 },
  { key: 'chunked-big', flags: 1, ttl: 3600, size: 1900 * 1024 },
];

function valueOf(key: string, size: number): string {
  let s = '';
  while (s.length < size) s += key + ':' + s.length + ';';
  return s.slice(0, size);
}

test('SIGUSR1 saves the cache; the next start has every item back with its flags, cas and LRU order', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'cache');
  // a flat LRU (no maintainer moving items between segments as time passes): the order is exact
  const flags = ['-I', '2m', '-o', 'no_lru_maintainer'];
  let d = await start(file, flags);
  try {
    const c = await RawClient.connect(d.port);
    assert.equal(await stat(c, 'settings', 'memory_file'), file);
    for (const it of ITEMS) {
      assert.equal(await c.request(`set ${it.key} ${it.flags} ${it.ttl} ${it.size}\r\n${valueOf(it.key, it.size)}\r\n`, 'STORED', 10_000), 'STORED\r\n');
    }
    // 500 small items, then a few touched again: the LRU order is not insertion order
    let batch = '';
    for (let i = 0; i < 500; i++) batch += `set small${i} ${i} 0 3\r\nv${String(i % 100).padStart(2, '0')}\r\n`;
    c.send(batch);
    for (let i = 0; i < 500; i++) assert.equal(await c.line(5000), 'STORED');
    for (const i of [3, 250, 17]) assert.match(await c.request(`get small${i}\r\n`), /^VALUE/);
    // one that expires while the server is down
    assert.equal(await c.request('set short 0 2 5\r\nshort\r\n', 'STORED'), 'STORED\r\n');
    const storedShortAt = Date.now();
    // one deleted before the stop stays deleted
    assert.equal(await c.request('delete small5\r\n', 'DELETED'), 'DELETED\r\n');

    const keys = [...ITEMS.map((i) => i.key), 'small0', 'small3', 'small17', 'small250', 'small499'];
    const before = await c.request(`gets ${keys.join(' ')}\r\n`, 'END', 10_000);
    const dumpBefore = await c.request('stats cachedump 1 0\r\n');
    const itemsBefore = Number(await stat(c, '', 'curr_items'));
    const casBefore = [...before.matchAll(/^VALUE \S+ \d+ \d+ (\d+)\r$/gm)].map((m) => Number(m[1]));
    c.close();

    assert.equal(await gracefulStop(d), 0);
    assert.match(d.stderr(), /Gracefully stopping/);
    assert.ok(existsSync(file) && existsSync(file + '.meta'), 'PATH and PATH.meta written');
    assert.match(readFileSync(file + '.meta', 'latin1'), /^Tmain\nKslab_config 1\.25\nKmaxbytes 67108864\n/);

    const waited = 2600 - (Date.now() - storedShortAt);
    if (waited > 0) await sleep(waited);
    d = await start(file, flags);
    assert.ok(!existsSync(file + '.meta'), 'the metadata is used once');
    assert.ok(!existsSync(file), 'the data file goes once read');
    const r = await RawClient.connect(d.port);
    const dumpAfter = await r.request('stats cachedump 1 0\r\n');
    // the expired one may be listed until something reclaims it, as in memcached
    const withoutShort = (dump: string): string => dump.replace(/^ITEM short .*\r\n/m, '');
    assert.equal(withoutShort(dumpAfter), withoutShort(dumpBefore), 'same items in the same LRU order');
    assert.equal(await r.request(`gets ${keys.join(' ')}\r\n`, 'END', 10_000), before);
    assert.equal(await r.request('get short small5\r\n'), 'END\r\n', 'expired during the downtime; deleted before it');
    assert.equal(Number(await stat(r, '', 'curr_items')), itemsBefore - 1);
    // new items get cas values above every restored one
    assert.equal(await r.request('set fresh 0 0 1\r\nf\r\n', 'STORED'), 'STORED\r\n');
    const fresh = /^VALUE fresh 0 1 (\d+)\r$/m.exec(await r.request('gets fresh\r\n'));
    assert.ok(fresh !== null && Number(fresh[1]) > Math.max(...casBefore));
    r.close();
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the hash table comes back at its former size', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'cache');
  let d = await start(file, ['-o', 'hashpower=19']);
  try {
    const c = await RawClient.connect(d.port);
    assert.equal(await c.request('set a 0 0 1\r\na\r\n', 'STORED'), 'STORED\r\n');
    c.close();
    assert.equal(await gracefulStop(d), 0);
    d = await start(file);
    const r = await RawClient.connect(d.port);
    assert.equal(await stat(r, '', 'hash_power_level'), '19');
    assert.equal(await r.request('get a\r\n'), 'VALUE a 0 1\r\na\r\nEND\r\n');
    r.close();
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('`shutdown graceful` (with -A) saves too; SIGTERM and SIGKILL do not, and the next start is cold', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'cache');
  let d = await start(file, ['-A']);
  try {
    let c = await RawClient.connect(d.port);
    assert.equal(await c.request('set a 1 0 1\r\na\r\n', 'STORED'), 'STORED\r\n');
    c.send('shutdown graceful\r\n');
    assert.equal(await exitOf(d), 0);
    assert.ok(existsSync(file + '.meta'));

    // restored, then killed outright: the metadata was consumed, so nothing comes back
    d = await start(file, ['-A']);
    c = await RawClient.connect(d.port);
    assert.equal(await c.request('get a\r\n'), 'VALUE a 1 1\r\na\r\nEND\r\n');
    assert.equal(await c.request('set b 0 0 1\r\nb\r\n', 'STORED'), 'STORED\r\n');
    c.close();
    d.proc.kill('SIGKILL');
    await exitOf(d);
    d = await start(file, ['-A']);
    assert.match(d.stderr(), /\[restart\] no metadata save file, starting with a clean cache/);
    c = await RawClient.connect(d.port);
    assert.equal(await c.request('get a b\r\n'), 'END\r\n');
    assert.equal(await c.request('set c 0 0 1\r\nc\r\n', 'STORED'), 'STORED\r\n');
    c.close();

    // SIGTERM is an ordinary stop: no save
    assert.equal(await d.stop(), 0);
    assert.ok(!existsSync(file + '.meta'));
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cache_memlimit is refused with -e, as memcached refuses it on preallocated memory', async () => {
  const dir = tempDir();
  const d = await start(path.join(dir, 'cache'));
  try {
    const c = await RawClient.connect(d.port);
    c.send('cache_memlimit 100\r\n');
    assert.equal(await c.line(), 'MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust');
    c.close();
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Saves a one-item cache with these flags; returns the file. */
async function savedCache(dir: string, extra: string[], memcached = false): Promise<string> {
  const file = path.join(dir, memcached ? 'mc' : 'ours');
  const d = await start(file, extra, memcached);
  const c = await RawClient.connect(d.port);
  assert.equal(await c.request('set a 0 0 1\r\na\r\n', 'STORED'), 'STORED\r\n');
  c.close();
  assert.equal(await gracefulStop(d), 0);
  return file;
}

/** The [restart] lines of a start's stderr. */
function restartLines(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('[restart]'));
}

test('mismatched settings: the same [restart] lines as memcached, a clean cache, the metadata gone', async () => {
  const dir = tempDir();
  const daemons: Daemon[] = [];
  try {
    const seen: string[][] = [];
    for (const memcached of [false, true]) {
      const file = await savedCache(dir, [], memcached);
      // memcached refuses a start in the same second as the stop (stop_time)
      await sleep(1100);
      const d = await startDaemon({ args: ['-e', file, '-m', '128'], memcached });
      daemons.push(d);
      const c = await RawClient.connect(d.port);
      assert.equal(await c.request('get a\r\n'), 'END\r\n');
      c.close();
      assert.ok(!existsSync(file + '.meta'));
      seen.push(restartLines(d.stderr()));
    }
    assert.deepEqual(seen[0], [
      '[restart] restart incompatible due to setting for [maxbytes] [old value: 67108864]',
      '[restart] missing some metadata lines',
      '[restart] failed to validate metadata, starting with a clean cache',
    ]);
    assert.deepEqual(seen[0], seen[1]);
  } finally {
    for (const d of daemons) await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty metadata file makes the start fail, as memcached aborts (t/restart.t)', async () => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'cache');
    writeFileSync(file + '.meta', '');
    const ours = await runToExit(['-e', file, '-p', '0', '-U', '0', ...(process.getuid?.() === 0 ? ['-u', 'root'] : [])]);
    assert.notEqual(ours.code, 0);
    assert.match(ours.stderr, /\[restart\] Failed to read a tag from metadata file/);
    // a metadata line before any tag: memcached's "corrupt metadata file"
    writeFileSync(file + '.meta', 'Kmaxbytes 67108864\n');
    const corrupt = await runToExit(['-e', file, '-p', '0', '-U', '0', ...(process.getuid?.() === 0 ? ['-u', 'root'] : [])]);
    assert.notEqual(corrupt.code, 0);
    assert.match(corrupt.stderr, /\[restart\] corrupt metadata file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged save (data file cut short, or from another save) starts clean, without a crash', async () => {
  const dir = tempDir();
  const daemons: Daemon[] = [];
  try {
    // cut short: a crash while the data was being written, with an older metadata file left
    const file = await savedCache(dir, []);
    truncateSync(file, statSync(file).size - 4096);
    let d = await start(file);
    daemons.push(d);
    let c = await RawClient.connect(d.port);
    assert.equal(await c.request('get a\r\n'), 'END\r\n');
    assert.equal(await c.request('set b 0 0 1\r\nb\r\n', 'STORED'), 'STORED\r\n');
    c.close();
    assert.match(d.stderr(), /\[restart\] the memory file has the wrong size, starting with a clean cache/);
    assert.ok(!existsSync(file) && !existsSync(file + '.meta'));

    // metadata of one save beside the data of another
    const dirA = path.join(dir, 'a');
    const dirB = path.join(dir, 'b');
    mkdirSync(dirA);
    mkdirSync(dirB);
    const a = await savedCache(dirA, []);
    const b = await savedCache(dirB, []);
    writeFileSync(a, readFileSync(b));
    d = await start(a);
    daemons.push(d);
    c = await RawClient.connect(d.port);
    assert.equal(await c.request('get a\r\n'), 'END\r\n');
    c.close();
    assert.match(d.stderr(), /\[restart\] the memory file belongs to another save, starting with a clean cache/);
  } finally {
    for (const d of daemons) await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the systemd unit's ExecStop saves the cache and returns only once the daemon has exited", async () => {
  const unit = readFileSync(path.join(PROJECT_ROOT, 'contrib/memcachedts.service'), 'utf8');
  const m = /^ExecStop=\+\/bin\/sh -c '(.*)'$/m.exec(unit);
  assert.ok(m !== null, 'ExecStop=+/bin/sh -c ...');
  const dir = tempDir();
  const file = path.join(dir, 'cache');
  let d = await start(file);
  try {
    const c = await RawClient.connect(d.port);
    assert.equal(await c.request('set a 3 0 1\r\na\r\n', 'STORED'), 'STORED\r\n');
    c.close();
    const exited = exitOf(d);
    // async: this process must reap the daemon (systemd does) for `kill -0` to see it gone
    const stop = spawn('/bin/sh', ['-c', m[1]!], { env: { ...process.env, MAINPID: String(d.proc.pid) }, stdio: 'ignore', timeout: STOP_WAIT_MS });
    const status = await new Promise<number | null>((resolve) => stop.once('exit', (code) => resolve(code)));
    assert.equal(status, 0);
    assert.ok(d.proc.exitCode !== null || d.proc.signalCode !== null, 'ExecStop returned before the daemon was gone');
    assert.equal(await exited, 0);
    d = await start(file);
    const r = await RawClient.connect(d.port);
    assert.equal(await r.request('get a\r\n'), 'VALUE a 3 1\r\na\r\nEND\r\n');
    r.close();
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
