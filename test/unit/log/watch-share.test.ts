// Two watch logs over one WatchShare, as two serving threads hold them (here in one thread: a
// BroadcastChannel reaches the other instances of its name in the same thread too): the event
// mask is the union of both threads' watchers, entries recorded by one reach the watchers of
// the other in order, gids and the log_* counters are server-wide.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchLog, WatchFlag, Watcher, type WatchSink } from '../../../src/log/watch.js';
import { WatchShare } from '../../../src/log/watch-share.js';
import { LookupOutcome, StoreEvents, StoreMode, StoreResult, type Store, type StoreListener } from '../../../src/store/store.js';
import { sleep } from '../../support/wait.js';

/** A store stand-in: the event word the log handed it. */
function fakeStore(): { store: Store; events: () => number } {
  let events: Int32Array | null = null;
  const store = {
    setListener(_l: StoreListener | null, e: Int32Array): void {
      events = e;
    },
  } as unknown as Store;
  return { store, events: () => events?.[0] ?? 0 };
}

class FakeSink implements WatchSink {
  written = '';
  readonly queuedBytes = 0;
  writeWatch(buf: Buffer): void {
    this.written += buf.toString('latin1');
  }
  lines(): string[] {
    return this.written.split(/\r?\n/).filter((l) => l !== '' && l !== 'OK');
  }
}

const key = (s: string): Buffer => Buffer.from(s, 'latin1');
const strip = (l: string): string => l.replace(/^ts=\d+\.\d+ gid=\d+ /, '');

/** Two threads' logs over one share. */
function twoThreads(): { a: WatchLog; b: WatchLog; storeA: ReturnType<typeof fakeStore>; storeB: ReturnType<typeof fakeStore> } {
  const buffers = WatchShare.buffersFor(2);
  const storeA = fakeStore();
  const storeB = fakeStore();
  const a = new WatchLog(storeA.store, 256 * 1024, 64 * 1024, new WatchShare(buffers, 1));
  const b = new WatchLog(storeB.store, 256 * 1024, 64 * 1024, new WatchShare(buffers, 2));
  return { a, b, storeA, storeB };
}

type TwoThreads = ReturnType<typeof twoThreads>;

/** Runs body over two threads' logs and closes both, whatever body does. */
async function withTwoThreads(body: (threads: TwoThreads) => Promise<void> | void): Promise<void> {
  const threads = twoThreads();
  try {
    await body(threads);
  } finally {
    threads.a.close();
    threads.b.close();
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(5);
  assert.ok(cond(), what);
}

test('a watcher on one thread: every thread\'s store records what it watches, and nothing after it goes', async () => {
  await withTwoThreads(async ({ a, b, storeA, storeB }) => {
    assert.equal(storeA.events(), 0);
    const w = b.add(new FakeSink(), WatchFlag.Fetchers);
    assert.ok(w instanceof Watcher);
    assert.equal(storeA.events(), StoreEvents.ItemGet, 'the thread without watchers records too');
    assert.equal(storeB.events(), StoreEvents.ItemGet);
    const w2 = a.add(new FakeSink(), WatchFlag.Mutations | WatchFlag.ConnEvents);
    assert.ok(w2 instanceof Watcher);
    assert.equal(storeB.events(), StoreEvents.ItemGet | StoreEvents.ItemStore);
    assert.equal(b.wantsConnEvents, true);
    assert.equal(a.stats.log_watchers, 2);
    assert.equal(b.stats.log_watchers, 2);
    b.remove(w);
    assert.equal(storeA.events(), StoreEvents.ItemStore);
    a.remove(w2);
    assert.equal(storeA.events(), 0);
    assert.equal(storeB.events(), 0);
    assert.equal(b.wantsConnEvents, false);
    assert.equal(b.stats.log_watchers, 0);
  });
});

test('entries recorded on one thread reach a watcher on the other, in order, with server-wide gids and counters', async () => {
  await withTwoThreads(async ({ a, b }) => {
    const sink = new FakeSink();
    assert.ok(b.add(sink, WatchFlag.Fetchers | WatchFlag.Mutations) instanceof Watcher);
    a.cfd = 40;
    a.itemGet(LookupOutcome.NotFound, key('k1'), 0, 2, 0, 0);
    a.itemStore(StoreResult.Stored, StoreMode.Set, key('k1'), 0, 2, 3, 0, 1);
    b.cfd = 41;
    b.itemGet(LookupOutcome.Found, key('k1'), 0, 2, 3, 1);
    a.itemGet(LookupOutcome.Found, key('k2'), 0, 2, 3, 1);
    await until(() => sink.lines().length >= 4, `lines: ${sink.written}`);
    const lines = sink.lines();
    const fromA = lines.map(strip).filter((l) => l.includes('cfd=40'));
    assert.deepEqual(fromA, [
      'type=item_get key=k1 status=not_found clsid=0 cfd=40 size=0',
      'type=item_store key=k1 status=stored cmd=set ttl=0 clsid=1 cfd=40 size=3',
      'type=item_get key=k2 status=found clsid=1 cfd=40 size=3',
    ]);
    assert.ok(lines.map(strip).includes('type=item_get key=k1 status=found clsid=1 cfd=41 size=3'), lines.join('\n'));
    // one gid sequence for the server: the watcher took 1, the four entries 2..5
    const gids = lines.map((l) => Number(/gid=(\d+)/.exec(l)![1])).sort((x, y) => x - y);
    assert.deepEqual(gids, [2, 3, 4, 5]);
    for (const log of [a, b]) {
      assert.equal(log.stats.log_worker_written, 4);
      assert.equal(log.stats.log_watcher_sent, 4);
    }
    a.resetStats();
    assert.equal(b.stats.log_worker_written, 0);
    assert.equal(b.stats.log_watchers, 1, 'a gauge, not reset');
  });
});

test('a thread whose watchers are all local sends nothing to the others', async () => {
  await withTwoThreads(async ({ a, b }) => {
    const sinkA = new FakeSink();
    assert.ok(a.add(sinkA, WatchFlag.Fetchers) instanceof Watcher);
    let received = 0;
    const spy = new BroadcastChannel((b as unknown as { share: WatchShare }).share.channel!);
    spy.onmessage = (): void => {
      received++;
    };
    a.itemGet(LookupOutcome.NotFound, key('k'), 0, 1, 0, 0);
    await until(() => sinkA.lines().length === 1, 'the local line');
    await sleep(20);
    assert.equal(received, 0);
    // once the other thread has a watcher too, a's entries go out
    assert.ok(b.add(new FakeSink(), WatchFlag.Fetchers) instanceof Watcher);
    a.itemGet(LookupOutcome.NotFound, key('k'), 0, 1, 0, 0);
    await until(() => received === 1, 'one message');
    spy.close();
  });
});
