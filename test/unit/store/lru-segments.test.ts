// The segmented LRU (HOT/WARM/COLD) driven by hand through the maintainer's wake-ups, and the
// flat LRU's stats shape (-o no_lru_maintainer). Shapes checked against memcached 1.6.18.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreResult } from '../../../src/store/store.js';
import { get, itemStats, makeStore, MIB, set } from './helpers.js';

function n(m: Map<string, string>, name: string): number {
  const v = m.get(`items:4:${name}`);
  assert.ok(v !== undefined, name);
  return Number(v);
}

test('maintainer: HOT drains to COLD by size, active HOT items go to WARM, a COLD hit moves to WARM', () => {
  const { store } = makeStore();
  const value = 'v'.repeat(100);
  for (let i = 0; i < 1000; i++) set(store, `key${i}`, value);
  for (let r = 0; r < 2; r++) for (let i = 0; i < 100; i++) get(store, `key${i}`);
  let m = itemStats(store);
  assert.equal(n(m, 'number_hot'), 1000);
  assert.equal(n(m, 'hits_to_hot'), 200);
  for (let i = 0; i < 5; i++) store.runLruMaintainer();
  m = itemStats(store);
  assert.equal(n(m, 'number'), 1000);
  assert.equal(n(m, 'number_warm'), 100, 'the active items');
  assert.equal(n(m, 'moves_to_warm'), 100);
  // HOT stays within 20% of the class's bytes (no time passed: no age-based moves)
  const hot = n(m, 'number_hot');
  assert.ok(hot > 0 && hot <= 200, `hot ${hot}`);
  assert.equal(n(m, 'number_cold'), 1000 - 100 - hot);
  assert.equal(n(m, 'moves_to_cold'), 900 - hot);
  assert.ok(store.stats().lru_maintainer_juggles >= 5);
  // the oldest item is in COLD now: first hit marks it fetched, the second moves it to WARM
  get(store, 'key100');
  get(store, 'key100');
  m = itemStats(store);
  assert.equal(n(m, 'hits_to_cold'), 2);
  assert.equal(n(m, 'number_warm'), 101);
  assert.equal(n(m, 'moves_to_warm'), 101);
  store.close();
});

test('maintainer: items age out of HOT and WARM relative to the COLD tail', () => {
  const { store, clock } = makeStore();
  for (let i = 0; i < 10; i++) set(store, `a${i}`, 'x'.repeat(100));
  store.runLruMaintainer(); // size rule: most go to COLD
  clock.advance(10);
  for (let i = 0; i < 10; i++) set(store, `b${i}`, 'x'.repeat(100));
  get(store, 'b0');
  get(store, 'b0'); // active in HOT
  clock.advance(5);
  for (let i = 0; i < 3; i++) store.runLruMaintainer();
  const m = itemStats(store);
  assert.equal(n(m, 'number_hot'), 0, 'hot_max_factor 0.2 of a 15 s old COLD tail is 3 s');
  assert.equal(n(m, 'number_warm'), 1);
  assert.equal(n(m, 'age_warm'), 5);
  assert.equal(n(m, 'age'), 15);
  store.close();
});

test('evictions come from the COLD tail; WARM items survive a full cache', () => {
  const { store } = makeStore({ memLimitBytes: 8 * MIB });
  const value = 'v'.repeat(100);
  // WARM may hold 40% of the class's bytes: give the class some items first
  for (let j = 0; j < 100; j++) set(store, `first${j}`, value);
  set(store, 'keep', value);
  get(store, 'keep');
  get(store, 'keep');
  store.runLruMaintainer();
  let i = 0;
  while (store.stats().evictions < 1000) {
    assert.equal(set(store, `k${i++}`, value), StoreResult.Stored);
    if ((i & 1023) === 0) store.runLruMaintainer();
    assert.ok(i < 1_000_000);
  }
  assert.equal(get(store, 'keep'), value);
  assert.equal(get(store, 'k0'), null);
  const m = itemStats(store);
  assert.equal(n(m, 'evicted'), 1000);
  assert.equal(n(m, 'evicted_active'), 0);
  assert.ok(n(m, 'direct_reclaims') > 0);
  assert.equal(n(m, 'number_warm'), 1);
  store.close();
});

test('flat LRU (no_lru_maintainer): memcached\'s shorter stats items, everything counted as COLD', () => {
  const { store } = makeStore({ lruSegmented: false });
  set(store, 'foo', 'bar');
  get(store, 'foo');
  const keys = [...itemStats(store).keys()].map((k) => k.split(':')[2]);
  assert.deepEqual(keys, ['number', 'age', 'mem_requested', 'evicted', 'evicted_nonzero', 'evicted_time',
    'outofmemory', 'tailrepairs', 'reclaimed', 'expired_unfetched', 'evicted_unfetched', 'crawler_reclaimed',
    'crawler_items_checked', 'lrutail_reflocked']);
  assert.equal(store.runLruMaintainer() > 0, true);
  assert.equal(store.stats().moves_to_cold, 0, 'no segments to move between');
  assert.equal(store.stats().get_hits, 1);
  store.close();
});
