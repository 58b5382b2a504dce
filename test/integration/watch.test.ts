// `watch`: the log streams of memcached 1.6.18, compared line by line with Debian's memcached
// (the same transcript to both, -t 1 so memcached logs in one order), plus what cannot be
// compared byte for byte (evictions, a watcher that never reads, the log_* stats, -W).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDaemon, MEMCACHED_BIN, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { req } from '../support/binary-packets.js';
import { Opcode } from '../../src/protocol/binary/header.js';
import { rssKb } from '../support/proc.js';
import { sleep } from '../support/wait.js';
import { makeTempDir } from '../support/temp-dir.js';

const daemons: Daemon[] = [];
const clients: RawClient[] = [];

after(async () => {
  for (const c of clients) c.close();
  await Promise.all(daemons.map((d) => d.stop()));
});

async function start(memcached: boolean, args: string[] = []): Promise<Daemon> {
  const d = await startDaemon({ memcached, args: ['-t', '1', ...args] });
  daemons.push(d);
  return d;
}

async function connect(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

async function watcher(port: number, what: string): Promise<RawClient> {
  const w = await connect(port);
  w.send(`watch ${what}\r\n`.replace('watch \r', 'watch\r'));
  assert.equal(await w.line(), 'OK');
  return w;
}

async function stats(port: number): Promise<Map<string, string>> {
  const c = await connect(port);
  const st = await c.stats();
  c.close();
  return st;
}

const haveMemcached = fs.existsSync(MEMCACHED_BIN);

/** A binary GET of key (opcode 0x00). */
function binaryGet(key: string): Buffer {
  return req(Opcode.Get, { key, opaque: 0 });
}

/**
 * Runs the transcript against one server and returns the watcher's lines with what differs by
 * nature made comparable: ts= checked and blanked, cfd= named by the conn_new that opened it
 * (memcached reuses fds, we do not), rport= checked against the client's own port.
 */
async function transcriptLines(d: Daemon): Promise<string[]> {
  const w = await watcher(d.port, 'fetchers mutations evictions connevents');
  const ports: number[] = [];
  const c = await connect(d.port);
  ports.push(c.socket.localPort!);
  const steps: Array<[string | Buffer, string]> = [
    ['set foo 0 0 3\r\nbar\r\n', 'STORED'],
    ['get foo\r\n', 'END'],
    ['get missing other\r\n', 'END'],
    ['append foo 0 0 2\r\nxx\r\n', 'STORED'],
    ['prepend foo 0 0 2\r\nyy\r\n', 'STORED'],
    ['add foo 0 100 2\r\nzz\r\n', 'NOT_STORED'],
    ['replace foo 5 100 2\r\nzz\r\n', 'STORED'],
    ['cas foo 0 100 2 999\r\nzz\r\n', 'EXISTS'],
    ['cas nokey 0 0 2 1\r\nzz\r\n', 'NOT_FOUND'],
    ['set n 0 0 1\r\n5\r\n', 'STORED'],
    ['incr n 1\r\n', '6'],
    ['decr nokey 1\r\n', 'NOT_FOUND'],
    ['touch foo 10\r\n', 'TOUCHED'],
    ['gat 0 n foo\r\n', 'END'],
    ['delete foo\r\n', 'DELETED'],
    ['delete foo\r\n', 'NOT_FOUND'],
    ['set k%20\x01~._- 0 0 1\r\n1\r\n', 'STORED'],
    ['get \xff\xfe\r\n', 'END'],
    ['ms mkey 2 T0\r\nab\r\n', 'HD'],
    ['mg mkey v\r\n', 'ab'],
    ['ms mkey 2 MA\r\ncd\r\n', 'HD'],
    ['md mkey\r\n', 'HD'],
    ['ma mkey\r\n', 'NF'],
    ['ma nkey N0 J5\r\n', 'HD'],
    ['ms akey 2 MA\r\nab\r\n', 'NS'],
    ['mg nothere v\r\n', 'EN'],
    ['mn\r\n', 'MN'],
  ];
  for (const [req, last] of steps) await c.request(req, last);
  c.send('quit\r\n');
  assert.equal(await c.closedWithin(2000), true);
  const b = await connect(d.port);
  ports.push(b.socket.localPort!);
  b.send(binaryGet('bk'));
  await b.read(24 + 9); // "Not found"
  b.close();
  await sleep(100); // the server sees this close before the next connection (fixed line order)
  // a protocol error closes with reason=error, a client's close is reason=normal
  const h = await connect(d.port);
  ports.push(h.socket.localPort!);
  h.send('GET / HTTP/1.1\r\n');
  assert.equal(await h.closedWithin(2000), true);
  const e = await connect(d.port);
  ports.push(e.socket.localPort!);
  e.close();

  const lines: string[] = [];
  const names = new Map<string, string>();
  let opened = 0;
  let closes = 0;
  while (closes < 4) {
    let l = await w.line(5000);
    assert.match(l, /^ts=\d+\.\d{1,6} gid=\d+ type=/, l);
    l = l.replace(/^ts=\d+\.\d+/, 'ts=T');
    const cfd = /cfd=(-?\d+)/.exec(l)?.[1] ?? '';
    if (l.includes(' type=conn_new ')) names.set(cfd, 'C' + String(++opened));
    if (l.includes(' type=conn_close ')) closes++;
    const rport = /rport=(\d+)/.exec(l)?.[1];
    if (rport !== undefined) {
      assert.equal(Number(rport), ports[Number(names.get(cfd)!.slice(1)) - 1], l + ' ' + JSON.stringify(lines));
      l = l.replace(/rport=\d+/, 'rport=P');
    }
    lines.push(l.replace(/cfd=-?\d+/, 'cfd=' + (names.get(cfd) ?? '?')));
  }
  w.close();
  return lines;
}

test('watch lines match memcached 1.6.18 byte for byte (but times, fds and ports)', { skip: !haveMemcached && 'no /usr/bin/memcached' }, async () => {
  const ours = await transcriptLines(await start(false));
  const theirs = await transcriptLines(await start(true));
  assert.deepEqual(ours, theirs);
  // The transcript covers each kind of line and every status it can produce.
  const text = ours.join('\n');
  for (const want of ['type=conn_new', 'reason=normal', 'reason=error', 'status=not_stored', 'status=exists', 'cmd=prepend', 'key=k%2520%01~._-', 'key=%FF%FE']) {
    assert.ok(text.includes(want), want);
  }
});

test('lookups of flushed and expired items are reported as memcached reports them', { skip: !haveMemcached && 'no /usr/bin/memcached' }, async () => {
  const results: string[][] = [];
  for (const memcached of [false, true]) {
    const d = await start(memcached);
    const c = await connect(d.port);
    const w = await watcher(d.port, 'fetchers');
    // one packet: the LRU maintainers (theirs and ours) may reclaim a flushed item meanwhile
    await c.request('set f 0 0 1\r\n1\r\nflush_all\r\nget f\r\n', 'END');
    await c.request('set x 0 -1 1\r\n1\r\nget x\r\n', 'END');
    const got: string[] = [];
    for (let i = 0; i < 4; i++) got.push((await w.line(5000)).replace(/^ts=\S+ gid=\d+ /, '').replace(/cfd=\d+/, 'cfd=C'));
    results.push(got);
  }
  assert.deepEqual(results[0], results[1]);
  assert.deepEqual(results[0], [
    'type=item_get key=f status=not_found clsid=0 cfd=C size=0',
    'type=item_get key=f status=flushed clsid=0 cfd=C size=0',
    'type=item_get key=x status=not_found clsid=0 cfd=C size=0',
    'type=item_get key=x status=expired clsid=0 cfd=C size=0',
  ]);
});

test('watch arguments: none means fetchers, unknown ones are ERROR, noreply silences, -W refuses', { skip: !haveMemcached && 'no /usr/bin/memcached' }, async () => {
  const transcripts: string[][] = [];
  for (const memcached of [false, true]) {
    const d = await start(memcached);
    const out: string[] = [];
    const c = await connect(d.port);
    for (const req of ['watch bogus\r\n', 'watch fetchers bogus\r\n', 'watch noreply\r\n', 'watch fetchers noreply\r\n', 'watch rawcmds sysevents proxyreqs proxyevents proxyuser x\r\n']) {
      c.send(req);
      out.push((await c.drain(300)).toString('latin1'));
    }
    out.push(await c.request('version\r\n', 'VERSION 1.6.18'));
    out.push(await c.request('version\r\nwatch\r\n', 'ERROR cannot pipeline other commands before watch'));
    // bare `watch` = fetchers only: a set shows its lookup, not its store
    const w = await watcher(d.port, '');
    await c.request('set a 0 0 1\r\n1\r\n', 'STORED');
    await c.request('get a\r\n', 'END');
    out.push((await w.line(5000)).replace(/^ts=\S+ gid=\d+ /, '').replace(/cfd=\d+/, 'cfd=C'));
    out.push((await w.line(5000)).replace(/^ts=\S+ gid=\d+ /, '').replace(/cfd=\d+/, 'cfd=C'));
    // what the watching connection sends is read and ignored
    w.send('version\r\nget a\r\n');
    out.push((await w.drain(300)).toString('latin1'));
    // a get's reply does not count as pipelined: the connection becomes a watcher after it
    const g = await connect(d.port);
    g.send('get nokey\r\nwatch\r\n');
    out.push(await g.line(), await g.line());
    await c.request('get b\r\n');
    out.push((await g.line(5000)).replace(/^ts=\S+ gid=\d+ /, '').replace(/cfd=\d+/, 'cfd=C'));
    const off = await start(memcached, ['-W']);
    const c2 = await connect(off.port);
    out.push(await c2.request('watch mutations\r\n', 'x'));
    out.push(await c2.request('version\r\n', 'VERSION 1.6.18'));
    transcripts.push(out);
  }
  assert.deepEqual(transcripts[0], transcripts[1]);
  assert.deepEqual(transcripts[0]!.slice(0, 5), ['ERROR\r\n', 'ERROR\r\n', '', '', 'ERROR\r\n']);
  assert.deepEqual(transcripts[0]!.slice(10, 13), ['END', 'OK', 'type=item_get key=b status=not_found clsid=0 cfd=C size=0']);
  assert.equal(transcripts[0]![13], 'CLIENT_ERROR watch commands not allowed\r\n');
});

test('at most 20 watchers, as memcached: the next one gets WATCHER_TOO_MANY', { skip: !haveMemcached && 'no /usr/bin/memcached' }, async () => {
  for (const memcached of [false, true]) {
    const d = await start(memcached);
    const ws: RawClient[] = [];
    for (let i = 0; i < 20; i++) ws.push(await watcher(d.port, 'mutations'));
    const extra = await connect(d.port);
    assert.equal(await extra.request('watch\r\n', 'WATCHER_TOO_MANY log watcher limit reached'), 'WATCHER_TOO_MANY log watcher limit reached\r\n');
    // the refused connection still takes commands
    assert.equal(await extra.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    for (const w of ws) w.close();
  }
});

test('unix socket connections are transport=local rip=unix rport=0, as memcached prints them', { skip: !haveMemcached && 'no /usr/bin/memcached' }, async () => {
  const got: string[][] = [];
  for (const memcached of [false, true]) {
    const dir = makeTempDir('mcts-watch-');
    const sock = path.join(dir, 'mc.sock');
    const d = await startDaemon({ memcached, args: ['-t', '1', '-s', sock], waitUnix: sock });
    daemons.push(d);
    const w = await RawClient.connectTo({ path: sock });
    clients.push(w);
    w.send('watch connevents\r\n');
    assert.equal(await w.line(), 'OK');
    const c = await RawClient.connectTo({ path: sock });
    await c.request('version\r\n', 'VERSION 1.6.18');
    c.send('quit\r\n');
    await c.closedWithin(2000);
    const lines = [await w.line(5000), await w.line(5000)].map((l) => l.replace(/^ts=\S+ gid=\d+ /, '').replace(/cfd=\d+/, 'cfd=C'));
    got.push(lines);
    w.close();
  }
  assert.deepEqual(got[0], got[1]);
  assert.deepEqual(got[0], ['type=conn_new rip=unix rport=0 transport=local cfd=C', 'type=conn_close rip=unix rport=0 transport=local reason=normal cfd=C']);
});

test('evictions: type=eviction lines with the evicted key, fetch, ttl, la, clsid and size', async () => {
  const d = await start(false, ['-m', '2']);
  const c = await connect(d.port);
  const w = await watcher(d.port, 'evictions');
  const value = 'v'.repeat(1000);
  let req = '';
  for (let i = 0; i < 4000; i++) req += `set ev${i} 0 0 ${value.length} noreply\r\n${value}\r\n`;
  await c.request(req + 'version\r\n', 'VERSION 1.6.18');
  const l = await w.line(5000);
  assert.match(l, /^ts=\d+\.\d+ gid=\d+ type=eviction key=ev\d+ fetch=no ttl=-1 la=\d+ clsid=\d+ size=1000$/);
  const st = await stats(d.port);
  assert.ok(Number(st.get('evictions')) > 0);
  // a watcher of evictions alone hears nothing of the stores
  await c.request('set quiet 0 0 1\r\n1\r\n', 'STORED');
  const rest = (await w.drain(300)).toString('latin1');
  assert.ok(!rest.includes('item_store') && !rest.includes('item_get'), rest);
});

test('too large and out-of-memory stores are logged as memcached logs them', async () => {
  const d = await start(false);
  const c = await connect(d.port);
  const w = await watcher(d.port, 'mutations');
  c.send('set big 0 0 2000000\r\n');
  c.send(Buffer.alloc(2000002, 'x'));
  assert.equal(await c.line(), 'SERVER_ERROR object too large for cache');
  // memcached's text path shifts its arguments there: its fd lands in clsid=
  assert.match(await w.line(5000), /^ts=\S+ gid=\d+ type=item_store key=big status=too_large cmd=set ttl=0 clsid=\d+ cfd=\d+ size=0$/);
});

test('log_* stats: watchers tracked, lines written, sent and skipped', async () => {
  const d = await start(false);
  let st = await stats(d.port);
  assert.equal(st.get('log_watchers'), '0');
  const w1 = await watcher(d.port, 'fetchers');
  const w2 = await watcher(d.port, 'mutations');
  st = await stats(d.port);
  assert.equal(st.get('log_watchers'), '2');
  const c = await connect(d.port);
  await c.request('get a b c\r\n');
  for (let i = 0; i < 3; i++) await w1.line(5000);
  st = await stats(d.port);
  assert.equal(st.get('log_worker_written'), '3');
  assert.equal(st.get('log_watcher_sent'), '3');
  assert.equal(st.get('log_worker_dropped'), '0');
  w1.close();
  w2.close();
  for (let i = 0; i < 100 && st.get('log_watchers') !== '0'; i++) {
    await sleep(20);
    st = await stats(d.port);
  }
  assert.equal(st.get('log_watchers'), '0');
  // nobody watching: nothing is recorded
  await c.request('get a\r\n');
  assert.equal((await stats(d.port)).get('log_worker_written'), '3');
});

test('a pipelined burst beyond the worker buffer is dropped and counted (log_worker_dropped)', async () => {
  // 48 KiB, the least memcached 1.6.18 takes (it checks the value as a slab size too)
  const d = await start(false, ['-o', 'worker_logbuf_size=48']);
  const w = await watcher(d.port, 'fetchers');
  const c = await connect(d.port);
  // about 900 entries fit: 2000 lookups in one request overflow it
  const keys = Array.from({ length: 2000 }, (_, i) => 'k' + i).join(' ');
  await c.request(`get ${keys}\r\n`);
  const st = await stats(d.port);
  const written = Number(st.get('log_worker_written'));
  const dropped = Number(st.get('log_worker_dropped'));
  assert.equal(written + dropped, 2000);
  assert.ok(dropped > 0 && written > 0, `written ${written} dropped ${dropped}`);
  let lines = 0;
  while (lines < written) {
    await w.line(5000);
    lines++;
  }
});

test('a watcher that never reads: bounded memory, skipped= lines, other clients stay fast', async () => {
  const d = await start(false, ['-o', 'watcher_logbuf_size=64']);
  const w = await watcher(d.port, 'fetchers mutations');
  w.socket.pause(); // reads nothing: the kernel's buffers fill, then the server's
  const c = await connect(d.port);
  const other = await connect(d.port);
  const key = 'k'.repeat(240); // ~330-byte lines: 100k sets log ~60 MB
  const rssBefore = rssKb(d.proc.pid!);
  const batch = 1000;
  let slowest = 0;
  const t0 = Date.now();
  for (let i = 0; i < 100_000; i += batch) {
    let req = '';
    for (let j = 0; j < batch; j++) req += `set ${key} 0 0 1 noreply\r\n${j % 10}\r\n`;
    await c.request(req + 'mn\r\n', 'MN');
    if (i % 10_000 === 0) {
      const s = Date.now();
      await other.request('version\r\n', 'VERSION 1.6.18');
      slowest = Math.max(slowest, Date.now() - s);
    }
  }
  const elapsed = Date.now() - t0;
  const rssAfter = rssKb(d.proc.pid!);
  const st = await stats(d.port);
  assert.ok(Number(st.get('log_watcher_skipped')) > 0, 'lines were skipped');
  // the log held back neither the sets nor another client: milliseconds, not seconds
  assert.ok(slowest < 1000, `another client waited ${slowest} ms`);
  assert.ok(elapsed < 60_000, `100k sets took ${elapsed} ms`);
  // ~60 MB of lines went by; the server kept at most its two 64 KiB buffers of them
  assert.ok(rssAfter - rssBefore < 30 * 1024, `RSS grew ${rssAfter - rssBefore} kB`);
  // reading again: what fitted, then a skipped= line before the next line that fits
  w.socket.resume();
  let sawSkipped = false;
  for (let i = 0; i < 400_000 && !sawSkipped; i++) {
    const l = await w.line(5000);
    if (l.startsWith('skipped=')) {
      assert.match(l, /^skipped=\d+$/);
      sawSkipped = true;
    } else if (i % 100 === 0) {
      await other.request('get x\r\n'); // new lines make room for the skipped= notice
    }
  }
  assert.ok(sawSkipped);
  await other.request('get after\r\n');
  let next = await w.line(5000);
  while (!next.includes('key=after')) next = await w.line(5000);
  assert.match(next, /^ts=\d+\.\d+ gid=\d+ type=item_get key=after status=not_found clsid=0 cfd=\d+ size=0$/);
});

test('what a watcher sends is read and dropped: megabytes of it change nothing', async () => {
  const d = await start(false);
  const w = await watcher(d.port, 'fetchers');
  const rssBefore = rssKb(d.proc.pid!);
  const junk = Buffer.alloc(1024 * 1024, 'get x\r\n');
  for (let i = 0; i < 8; i++) w.send(junk);
  const c = await connect(d.port);
  await sleep(200);
  assert.equal(await c.request('get seen\r\n'), 'END\r\n');
  assert.match(await w.line(5000), /type=item_get key=seen status=not_found/);
  assert.ok(rssKb(d.proc.pid!) - rssBefore < 30 * 1024);
  // its own lookups were never run
  assert.equal((await stats(d.port)).get('get_misses'), '1');
});

test('idle_timeout closes are reason=idle_timeout; the watcher itself is never kicked', { skip: !haveMemcached && 'no /usr/bin/memcached' }, async () => {
  const got: string[][] = [];
  for (const memcached of [false, true]) {
    const d = await start(memcached, ['-o', 'idle_timeout=1']);
    const w = await watcher(d.port, 'connevents');
    const c = await connect(d.port);
    assert.equal(await c.closedWithin(6000), true);
    const lines = [await w.line(5000), await w.line(5000)].map((l) => l.replace(/^ts=\S+ gid=\d+ /, '').replace(/cfd=\d+/, 'cfd=C').replace(/rport=\d+/, 'rport=P'));
    // the watcher outlived several idle periods and still streams
    await sleep(1500);
    const c2 = await connect(d.port);
    lines.push((await w.line(5000)).replace(/^ts=\S+ gid=\d+ /, '').replace(/cfd=\d+/, 'cfd=C').replace(/rport=\d+/, 'rport=P'));
    c2.close();
    got.push(lines);
  }
  assert.deepEqual(got[0], got[1]);
  assert.deepEqual(got[0], [
    'type=conn_new rip=127.0.0.1 rport=P transport=tcp cfd=C',
    'type=conn_close rip=127.0.0.1 rport=P transport=tcp reason=idle_timeout cfd=C',
    'type=conn_new rip=127.0.0.1 rport=P transport=tcp cfd=C',
  ]);
});
