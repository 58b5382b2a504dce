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
