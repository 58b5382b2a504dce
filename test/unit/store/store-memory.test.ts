import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { RuntimeSettings } from '../../../src/config/runtime-settings.js';
import { makeSettings } from '../../../src/config/settings.js';
import { Cache } from '../../../src/store/cache.js';
import { ManualClock } from '../../../src/store/clock.js';
import { StoreMemory } from '../../../src/store/store-memory.js';
import { StoreResult } from '../../../src/store/store.js';
import { get, getView, itemStats, set, slabStats } from './helpers.js';
import type { WorkerReport } from './store-memory-worker.js';

const overrides = { lruCrawler: false, hashPowerInit: 4 };
const settings = makeSettings(overrides);

function cacheOver(memory: StoreMemory): Cache {
  return new Cache(settings, new ManualClock(), new RuntimeSettings(settings), memory);
}

test('a second Cache over the same StoreMemory sees the first one\'s items, pages, LRUs and CAS counter', () => {
  const first = new Cache(settings, new ManualClock(), new RuntimeSettings(settings));
  // 100 keys over 16 buckets: the table doubles (twice) while the second Cache looks on
  for (let i = 0; i < 100; i++) assert.equal(set(first, `k${i}`, `v${i}`), StoreResult.Stored);
  const second = cacheOver(first.memory);
  for (let i = 0; i < 100; i++) assert.equal(get(second, `k${i}`), `v${i}`);
  first.finishExpansion();
  for (let i = 0; i < 100; i++) assert.equal(get(second, `k${i}`), `v${i}`);

  // a value of another slab class: the second Cache carves a new page, the first follows it
  const casBefore = getView(first, 'k99')!.cas;
  assert.equal(set(second, 'big', 'b'.repeat(5000)), StoreResult.Stored);
  assert.equal(get(first, 'big'), 'b'.repeat(5000));
  assert.equal(getView(first, 'big')!.cas, casBefore + 1);
  assert.equal(slabStats(first).get('total_malloced'), slabStats(second).get('total_malloced'));
  assert.equal(itemStats(first).get('items:1:number'), '100');
  assert.equal(itemStats(second).get('items:1:number'), '100');

  // a delete through one is a miss through the other
  const k0 = Buffer.from('k0', 'latin1');
  second.delete(k0, 0, k0.length, 0);
  assert.equal(get(first, 'k0'), null);
  first.close();
  second.close();
});

test('a worker_thread attaches to the SharedArrayBuffers from workerData: it reads main\'s item, main reads its item', async () => {
  const runtime = new RuntimeSettings(settings);
  const store = new Cache(settings, new ManualClock(1_700_000_000), runtime);
  assert.equal(set(store, 'from-main', 'hello from main'), StoreResult.Stored);
  const casOfMain = getView(store, 'from-main')!.cas;
  const worker = new Worker(new URL('./store-memory-worker.js', import.meta.url), {
    workerData: { buffers: store.memory.buffers, runtimeBuffer: runtime.buffer, overrides },
  });
  const timeout = setTimeout(() => void worker.terminate(), 10_000);
  try {
    const [report] = (await once(worker, 'message')) as [WorkerReport];
    assert.equal(report.seen, 'hello from main');
    assert.equal(report.storeResult, StoreResult.Stored);
    assert.equal(report.cas, casOfMain + 1);
    assert.equal(get(store, 'from-worker'), 'w'.repeat(5000));
    assert.equal(getView(store, 'from-worker')!.cas, report.cas);
    assert.equal(report.processStarted, store.processStarted);
    assert.equal(report.memLimitBytes, settings.memLimitBytes);
    assert.equal(runtime.lruCrawlerSleepUs, 1234);
  } finally {
    clearTimeout(timeout);
    await worker.terminate();
    store.close();
  }
});

test('a Cache without the background jobs: stats summed over both threads, metadump and cachedump from it, its crawl run by the other', () => {
  const two = makeSettings({ ...overrides, threads: 2, lruCrawler: true });
  const runtime = new RuntimeSettings(two);
  const background = new Cache(two, new ManualClock(), runtime, undefined, { runsBackgroundJobs: true, threadIndex: 0 });
  const worker = new Cache(two, new ManualClock(), runtime, background.memory, { runsBackgroundJobs: false, threadIndex: 1 });
  for (let i = 0; i < 10; i++) set(background, `b${i}`, 'x');
  for (let i = 0; i < 5; i++) set(worker, `w${i}`, 'y');
  const k = Buffer.from('b0', 'latin1');
  worker.delete(k, 0, k.length, 0);
  for (const store of [background, worker]) {
    const st = store.stats();
    assert.equal(st.curr_items, 14);
    assert.equal(st.total_items, 15);
    assert.equal(st.cmd_set, 15);
    assert.equal(st.delete_hits, 1);
  }

  const lines: string[] = [];
  assert.equal(worker.metadump('all', (l) => lines.push(l)), '');
  assert.equal(lines.length, 14);
  const dumped: number[] = [];
  worker.cachedump(1, 0, (ref) => dumped.push(ref));
  assert.equal(dumped.length, 14);

  // a crawl asked in the worker is carried out by the Cache that runs the background jobs
  assert.equal(worker.lruCrawlerCommand(['crawl', 'all']), 'OK');
  assert.equal(worker.stats().lru_crawler_running, 1);
  worker.crawlSlice(performance.now() + 1000);
  assert.equal(worker.stats().lru_crawler_running, 1, 'the worker Cache crawls nothing itself');
  background.crawlSlice(performance.now() + 1000);
  assert.equal(worker.stats().lru_crawler_running, 0);
  assert.equal(worker.stats().crawler_items_checked, 14);
  assert.equal(worker.stats().lru_crawler_starts, 1);
  worker.close();
  background.close();
});
