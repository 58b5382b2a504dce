// The watch log without sockets: line formats (memcached's logger.c formats), what a watcher
// gets (flags, gids), the bounded buffers (skipped=, worker drops) and what the store is told.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchLog, WatchFlag, WATCHER_LIMIT, CloseReason, ConnTransport, Watcher, type WatchSink } from '../../../src/log/watch.js';
import { LookupOutcome, StoreEvents, StoreMode, StoreResult, type Store, type StoreListener } from '../../../src/store/store.js';
import { sleep } from '../../support/wait.js';

/** A store stand-in that records what the log asks of it. */
function fakeStore(): { store: Store; listener: () => StoreListener | null; events: () => number } {
  let listener: StoreListener | null = null;
  let events: Int32Array | null = null;
  const store = {
    setListener(l: StoreListener | null, e: Int32Array): void {
      listener = l;
      events = e;
    },
  } as unknown as Store;
  // The log stays the listener; the word says which events it wants now.
  const wanted = (): number => events?.[0] ?? 0;
  return { store, listener: () => (wanted() === 0 ? null : listener), events: wanted };
}

/** A socket stand-in: collects what is written; `stuck` makes it hold bytes like a full socket. */
class FakeSink implements WatchSink {
  written = '';
  held = 0;
  stuck = false;
  get queuedBytes(): number {
    return this.held;
  }
  writeWatch(buf: Buffer): void {
    this.written += buf.toString('latin1');
    if (this.stuck) this.held += buf.length;
  }
  lines(): string[] {
    return this.written.split('\n').filter((l) => l !== '');
  }
}

const key = (s: string): Buffer => Buffer.from(s, 'latin1');

function mustAdd(log: WatchLog, sink: WatchSink, flags: number): Watcher {
  const w = log.add(sink, flags);
  assert.ok(w instanceof Watcher, String(w));
  return w;
}
const strip = (l: string): string => l.replace(/^ts=\d+\.\d+ gid=\d+ /, '');

test('each line in memcached\'s format; OK first; ts is seconds.microseconds unpadded', async () => {
  const { store } = fakeStore();
  const log = new WatchLog(store, 256 * 1024, 64 * 1024);
  const sink = new FakeSink();
  log.add(sink, WatchFlag.Fetchers | WatchFlag.Mutations | WatchFlag.Evictions | WatchFlag.ConnEvents);
  log.cfd = 31;
  log.itemGet(LookupOutcome.Found, key('xfoox'), 1, 3, 10, 4);
  log.itemGet(LookupOutcome.Expired, key('k'), 0, 1, 0, 0);
  log.itemStore(StoreResult.NoMemory, StoreMode.Prepend, key('k'), 0, 1, 0, 0, -1);
  log.itemStore(StoreResult.Stored, StoreMode.CasStale, key('k'), 0, 1, 5, 4294967230, 2);
  log.eviction(key('ev'), 0, 2, 100, true, -1, 7, 3);
  log.eviction(key('ev'), 0, 2, 0, false, 3000000000, 0, 3);
  log.connNew(40, ConnTransport.Tcp, '::1', 5000);
  log.connClose(40, ConnTransport.Local, 'unix', 0, CloseReason.IdleTimeout);
  await sleep(20);
  const lines = sink.written.split('\n');
  assert.equal(lines[0], 'OK\r');
  for (const l of lines.slice(1, -1)) assert.match(l, /^ts=\d{10}\.(0|[1-9]\d{0,5}) gid=\d+ type=/);
  assert.deepEqual(lines.slice(1, -1).map(strip), [
    'type=item_get key=foo status=found clsid=4 cfd=31 size=10',
    'type=item_get key=k status=expired clsid=0 cfd=31 size=0',
    // refused before allocation: memcached's shifted arguments put the fd in the class slot
    'type=item_store key=k status=no_memory cmd=prepend ttl=0 clsid=31 cfd=31 size=0',
    'type=item_store key=k status=stored cmd=cas ttl=4294967230 clsid=2 cfd=31 size=5',
    'type=eviction key=ev fetch=yes ttl=-1 la=7 clsid=3 size=100',
    'type=eviction key=ev fetch=no ttl=3000000000 la=0 clsid=3 size=0',
    'type=conn_new rip=::1 rport=5000 transport=tcp cfd=40',
    'type=conn_close rip=unix rport=0 transport=local reason=idle_timeout cfd=40',
  ]);
  assert.equal(lines.at(-1), '');
  // gids: one for the watcher, then one per entry, in order
  const gids = lines.slice(1, -1).map((l) => Number(/gid=(\d+)/.exec(l)![1]));
  assert.deepEqual(gids, [2, 3, 4, 5, 6, 7, 8, 9]);
});

test('keys are uri-encoded as memcached does: only letters, digits and -._~ stay', async () => {
  const { store } = fakeStore();
  const log = new WatchLog(store, 256 * 1024, 64 * 1024);
  const sink = new FakeSink();
  log.add(sink, WatchFlag.Fetchers);
  const all = Buffer.alloc(250);
  for (let i = 0; i < 250; i++) all[i] = i + 6;
  log.itemGet(LookupOutcome.NotFound, all, 0, 250, 0, 0);
  log.itemGet(LookupOutcome.NotFound, key("!*'() %+/:"), 0, 10, 0, 0);
  await sleep(20);
  const [a, b] = sink.lines().slice(1).map((l) => /key=(\S*)/.exec(l)![1]!);
  let want = '';
  for (const c of all) {
    const ch = String.fromCharCode(c);
    want += /[A-Za-z0-9\-._~]/.test(ch) ? ch : '%' + c.toString(16).toUpperCase().padStart(2, '0');
  }
  assert.equal(a, want);
  assert.equal(b, '%21%2A%27%28%29%20%25%2B%2F%3A');
});

test('a watcher gets only the kinds it asked for, and nothing logged before it came', async () => {
  const { store } = fakeStore();
  const log = new WatchLog(store, 256 * 1024, 64 * 1024);
  const early = new FakeSink();
  log.add(early, WatchFlag.ConnEvents);
  log.connNew(30, ConnTransport.Tcp, '127.0.0.1', 1); // recorded before `late` exists
  const late = new FakeSink();
  log.add(late, WatchFlag.ConnEvents | WatchFlag.Fetchers);
  log.itemGet(LookupOutcome.NotFound, key('a'), 0, 1, 0, 0);
  log.connClose(30, ConnTransport.Tcp, '127.0.0.1', 1, CloseReason.Normal);
  await sleep(20);
  assert.deepEqual(early.lines().slice(1).map(strip).map((l) => l.split(' ')[0]), ['type=conn_new', 'type=conn_close']);
  assert.deepEqual(late.lines().slice(1).map(strip).map((l) => l.split(' ')[0]), ['type=item_get', 'type=conn_close']);
});

test('the store is told which item events to report, and nothing once nobody watches them', () => {
  const f = fakeStore();
  const log = new WatchLog(f.store, 256 * 1024, 64 * 1024);
  assert.equal(f.listener(), null);
  const a = mustAdd(log, new FakeSink(), WatchFlag.ConnEvents);
  assert.equal(f.listener(), null);
  assert.equal(log.wantsConnEvents, true);
  const b = mustAdd(log, new FakeSink(), WatchFlag.Fetchers | WatchFlag.Evictions);
  assert.equal(f.listener(), log);
  assert.equal(f.events(), StoreEvents.ItemGet | StoreEvents.Eviction);
  const c = mustAdd(log, new FakeSink(), WatchFlag.Mutations);
  assert.equal(f.events(), StoreEvents.ItemGet | StoreEvents.Eviction | StoreEvents.ItemStore);
  log.remove(b);
  assert.equal(f.events(), StoreEvents.ItemStore);
  log.remove(c);
  log.remove(a);
  assert.equal(f.listener(), null);
  assert.equal(log.wantsConnEvents, false);
  assert.equal(log.stats.log_watchers, 0);
});

test(`at most ${WATCHER_LIMIT} watchers; a freed slot can be taken again`, () => {
  const log = new WatchLog(fakeStore().store, 1024, 64 * 1024);
  const ws: Watcher[] = [];
  for (let i = 0; i < WATCHER_LIMIT; i++) ws.push(mustAdd(log, new FakeSink(), WatchFlag.Fetchers));
  assert.equal(log.add(new FakeSink(), WatchFlag.Fetchers), 'too_many');
  log.remove(ws[3]!);
  mustAdd(log, new FakeSink(), WatchFlag.Fetchers);
  assert.equal(log.stats.log_watchers, WATCHER_LIMIT);
});

test('buffers that cannot be had (an absurd -o size): WATCHER_FAILED, nothing registered', () => {
  const f = fakeStore();
  const log = new WatchLog(f.store, Number.MAX_SAFE_INTEGER, 64 * 1024);
  assert.equal(log.add(new FakeSink(), WatchFlag.Fetchers), 'failed');
  assert.equal(log.stats.log_watchers, 0);
  assert.equal(f.listener(), null);
});

test('a watcher whose socket holds its bytes: lines are skipped and counted, then skipped=N', async () => {
  const log = new WatchLog(fakeStore().store, 1024, 64 * 1024);
  const sink = new FakeSink();
  sink.stuck = true;
  const w = mustAdd(log, sink, WatchFlag.Fetchers);
  for (let i = 0; i < 200; i++) log.itemGet(LookupOutcome.NotFound, key('key' + i), 0, String(i).length + 3, 0, 0);
  await sleep(20);
  const sent = log.stats.log_watcher_sent;
  const skipped = log.stats.log_watcher_skipped;
  assert.equal(sent + skipped, 200);
  assert.ok(skipped > 150, `skipped ${skipped}`);
  // at most the buffer's size waits in the server: one full write held by the socket, one staged
  assert.ok(sink.held <= 1024, `held ${sink.held}`);
  // the socket drains: the next line that fits is preceded by the count of lines lost
  sink.held = 0;
  sink.stuck = false;
  w.flush();
  sink.written = '';
  log.itemGet(LookupOutcome.NotFound, key('after'), 0, 5, 0, 0);
  await sleep(20);
  assert.deepEqual(sink.lines().map(strip), [`skipped=${skipped}`, 'type=item_get key=after status=not_found clsid=0 cfd=0 size=0']);
  assert.equal(log.stats.log_watcher_sent, sent + 1);
});

test('entries beyond the worker buffer are dropped and counted; nothing is recorded unwatched', async () => {
  const log = new WatchLog(fakeStore().store, 256 * 1024, 4096);
  log.connNew(1, ConnTransport.Tcp, '1.2.3.4', 1);
  await sleep(20);
  assert.equal(log.stats.log_worker_written, 0);
  const sink = new FakeSink();
  log.add(sink, WatchFlag.ConnEvents);
  for (let i = 0; i < 100; i++) log.connNew(i, ConnTransport.Tcp, '127.0.0.1', i);
  const written = log.stats.log_worker_written;
  assert.ok(written > 0 && written < 100, `written ${written}`);
  assert.equal(log.stats.log_worker_dropped, 100 - written);
  await sleep(20);
  assert.equal(sink.lines().length, 1 + written);
  log.resetStats();
  assert.deepEqual(log.stats, { log_worker_dropped: 0, log_worker_written: 0, log_watcher_skipped: 0, log_watcher_sent: 0, log_watchers: 1 });
});
