import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AllocError, DeleteResult, DeltaResult, GetOpt, StoreMode, StoreResult, newItemView } from '../../../src/store/store.js';
import { get, getView, itemStats, makeStore, MIB, set, slabStats } from './helpers.js';

const NOW = 1_700_000_000;

test('set/get/flags and cas grows on every store', () => {
  const { store } = makeStore();
  assert.equal(set(store, 'foo', 'hello', { flags: 7 }), StoreResult.Stored);
  const c1 = store.lastCas;
  const v = getView(store, 'foo');
  assert.ok(v);
  assert.equal(v.flags, 7);
  assert.equal(v.cas, c1);
  assert.equal(get(store, 'foo'), 'hello');
  assert.equal(set(store, 'foo', 'x'), StoreResult.Stored);
  assert.ok(store.lastCas > c1);
  assert.equal(get(store, 'foo'), 'x');
  assert.equal(get(store, 'nope'), null);
  const s = store.stats();
  assert.equal(s.curr_items, 1);
  assert.equal(s.total_items, 2);
  assert.equal(s.cmd_set, 2);
  assert.equal(s.get_hits, 3);
  assert.equal(s.get_misses, 1);
  // memcached ITEM_ntotal: 48 + 3 + 1 + 1 + 2 + 8
  assert.equal(s.bytes, 63);
  store.close();
});

test('-C: cas is 0 everywhere', () => {
  const { store } = makeStore({ casEnabled: false });
  set(store, 'a', '1');
  assert.equal(store.lastCas, 0);
  assert.equal(getView(store, 'a')?.cas, 0);
  store.close();
});

test('add / replace / cas modes', () => {
  const { store } = makeStore();
  assert.equal(set(store, 'k', 'v', { mode: StoreMode.Replace }), StoreResult.NotStored);
  assert.equal(set(store, 'k', 'v', { mode: StoreMode.Add }), StoreResult.Stored);
  assert.equal(set(store, 'k', 'w', { mode: StoreMode.Add }), StoreResult.NotStored);
  assert.equal(set(store, 'k', 'w', { mode: StoreMode.Replace }), StoreResult.Stored);
  const cas = store.lastCas;
  assert.equal(set(store, 'k', 'z', { mode: StoreMode.Cas, cas: cas + 100 }), StoreResult.Exists);
  assert.equal(set(store, 'k', 'z', { mode: StoreMode.Cas, cas }), StoreResult.Stored);
  assert.equal(set(store, 'missing', 'z', { mode: StoreMode.Cas, cas }), StoreResult.NotFound);
  assert.equal(get(store, 'k'), 'z');
  const s = store.stats();
  assert.equal(s.cas_hits, 1);
  assert.equal(s.cas_badval, 1);
  assert.equal(s.cas_misses, 1);
  store.close();
});

test('append / prepend keep flags and exptime, bump cas, and may change class', () => {
  const { store } = makeStore();
  set(store, 'k', 'mid', { flags: 42, exptime: 100 });
  const cas1 = store.lastCas;
  assert.equal(set(store, 'k', '>>', { mode: StoreMode.Append, flags: 1, exptime: 5 }), StoreResult.Stored);
  assert.ok(store.lastCas > cas1);
  assert.equal(set(store, 'k', '<<', { mode: StoreMode.Prepend }), StoreResult.Stored);
  const v = getView(store, 'k');
  assert.equal(v?.flags, 42);
  assert.equal(v?.exptime, store.realTime(100));
  assert.equal(get(store, 'k'), '<<mid>>');
  assert.equal(v?.slabClass, 1);
  // append stale cas refused
  assert.equal(set(store, 'k', 'x', { mode: StoreMode.Append, cas: 1 }), StoreResult.Exists);
  // grow into another class
  assert.equal(set(store, 'k', 'y'.repeat(500), { mode: StoreMode.Append }), StoreResult.Stored);
  const v2 = getView(store, 'k');
  assert.ok(v2 !== null && v2.slabClass > 1);
  assert.equal(get(store, 'k'), '<<mid>>' + 'y'.repeat(500));
  assert.equal(set(store, 'none', 'x', { mode: StoreMode.Append }), StoreResult.NotStored);
  const slabs = slabStats(store);
  assert.equal(slabs.get('1:used_chunks'), '0');
  assert.equal(store.stats().curr_items, 1);
  store.close();
});

test('expiry: relative, 30-day boundary, absolute, negative', () => {
  const { store, clock } = makeStore();
  set(store, 'rel', 'v', { exptime: 10 });
  set(store, 'day30', 'v', { exptime: 2592000 });
  set(store, 'abs-past', 'v', { exptime: 2592001 }); // absolute 1970 time: already expired
  set(store, 'abs-future', 'v', { exptime: NOW + 100 });
  set(store, 'neg', 'v', { exptime: -1 });
  set(store, 'never', 'v', { exptime: 0 });
  assert.equal(get(store, 'neg'), null);
  assert.equal(get(store, 'abs-past'), null);
  assert.equal(get(store, 'rel'), 'v');
  clock.advance(9);
  assert.equal(get(store, 'rel'), 'v');
  clock.advance(1);
  assert.equal(get(store, 'rel'), null);
  clock.advance(89);
  assert.equal(get(store, 'abs-future'), 'v');
  clock.advance(1);
  assert.equal(get(store, 'abs-future'), null);
  assert.equal(get(store, 'day30'), 'v');
  clock.advance(2592000 - 100 - 1);
  assert.equal(get(store, 'day30'), 'v');
  clock.advance(1);
  assert.equal(get(store, 'day30'), null);
  assert.equal(get(store, 'never'), 'v');
  const s = store.stats();
  assert.equal(s.get_expired, 5);
  assert.equal(s.curr_items, 1);
  store.close();
});

test('touch and gat count touch_*, not get_*', () => {
  const { store, clock } = makeStore();
  set(store, 'k', 'v', { exptime: 5 });
  const k = Buffer.from('k');
  assert.equal(store.touch(k, 0, 1, 100), true);
  assert.equal(store.touch(Buffer.from('x'), 0, 1, 100), false);
  const view = newItemView();
  assert.equal(store.get(k, 0, 1, view, GetOpt.Touch | GetOpt.CountAsTouch, 200), true);
  assert.equal(store.get(Buffer.from('x'), 0, 1, view, GetOpt.Touch | GetOpt.CountAsTouch, 200), false);
  clock.advance(150);
  assert.equal(get(store, 'k'), 'v');
  const s = store.stats();
  assert.equal(s.touch_hits, 2);
  assert.equal(s.touch_misses, 2);
  assert.equal(s.get_hits, 1);
  assert.equal(s.get_misses, 0);
  clock.advance(50);
  assert.equal(get(store, 'k'), null);
  store.close();
});

test('flush_all now and with delay (memcached oldest_live/oldest_cas rules)', () => {
  const { store, clock } = makeStore();
  set(store, 'a', '1');
  clock.advance(5);
  set(store, 'b', '2');
  store.flushAll(0);
  assert.equal(get(store, 'a'), null);
  assert.equal(get(store, 'b'), null); // same second, older cas
  set(store, 'c', '3'); // stored after the flush: visible
  assert.equal(get(store, 'c'), '3');
  assert.equal(store.stats().get_flushed, 2);
  clock.advance(10);
  store.flushAll(10); // oldest_live = now + 9
  clock.advance(8);
  assert.equal(get(store, 'c'), '3');
  set(store, 'd', '4');
  clock.advance(1);
  assert.equal(get(store, 'c'), null);
  assert.equal(get(store, 'd'), null);
  clock.advance(1);
  set(store, 'e', '5');
  assert.equal(get(store, 'e'), '5');
  store.close();
});

test('flush_all with -C hides items stored in the same second (memcached quirk)', () => {
  const { store, clock } = makeStore({ casEnabled: false });
  set(store, 'a', '1');
  store.flushAll(0);
  set(store, 'b', '2');
  assert.equal(get(store, 'a'), null);
  assert.equal(get(store, 'b'), null);
  clock.advance(1);
  set(store, 'c', '3');
  assert.equal(get(store, 'c'), '3');
  store.close();
});

test('delete, with and without cas', () => {
  const { store } = makeStore();
  set(store, 'k', 'v');
  const cas = store.lastCas;
  const k = Buffer.from('k');
  assert.equal(store.delete(k, 0, 1, cas + 1), DeleteResult.Exists);
  assert.equal(store.delete(k, 0, 1, cas), DeleteResult.Deleted);
  assert.equal(store.delete(k, 0, 1, 0), DeleteResult.NotFound);
  const s = store.stats();
  assert.equal(s.delete_hits, 1);
  assert.equal(s.delete_misses, 1);
  store.close();
});

test('incr/decr: uint64 wrap, floor at 0, in-place padding, growth, non-numeric, vivify', () => {
  const { store } = makeStore();
  const n = Buffer.from('n');
  set(store, 'n', '100');
  assert.equal(store.delta(n, 0, 1, false, 95n, 0, 0n, null, null), DeltaResult.Ok);
  assert.equal(store.deltaValue, 5n);
  assert.equal(get(store, 'n'), '5  ');
  assert.equal(store.delta(n, 0, 1, false, 10n, 0, 0n, null, null), DeltaResult.Ok);
  assert.equal(store.deltaValue, 0n);
  assert.equal(store.delta(n, 0, 1, true, 123456n, 0, 0n, null, null), DeltaResult.Ok);
  assert.equal(get(store, 'n'), '123456');
  set(store, 'n', '18446744073709551615');
  assert.equal(store.delta(n, 0, 1, true, 1n, 0, 0n, null, null), DeltaResult.Ok);
  assert.equal(store.deltaValue, 0n);
  assert.equal(get(store, 'n'), '0                   ');
  set(store, 'n', '18446744073709551616');
  assert.equal(store.delta(n, 0, 1, true, 1n, 0, 0n, null, null), DeltaResult.NonNumeric);
  set(store, 'n', 'abc');
  assert.equal(store.delta(n, 0, 1, true, 1n, 0, 0n, null, null), DeltaResult.NonNumeric);
  set(store, 'n', '-5');
  assert.equal(store.delta(n, 0, 1, true, 1n, 0, 0n, null, null), DeltaResult.NonNumeric);
  set(store, 'n', '12 ');
  assert.equal(store.delta(n, 0, 1, true, 1n, 0, 0n, null, null), DeltaResult.Ok);
  assert.equal(store.deltaValue, 13n);
  const cas = store.lastCas;
  assert.equal(store.delta(n, 0, 1, true, 1n, cas + 1, 0n, null, null), DeltaResult.Exists);
  const m = Buffer.from('m');
  assert.equal(store.delta(m, 0, 1, true, 1n, 0, 0n, null, null), DeltaResult.NotFound);
  const view = newItemView();
  assert.equal(store.delta(m, 0, 1, true, 1n, 0, 10n, 0, view), DeltaResult.Ok);
  assert.equal(store.deltaValue, 10n);
  assert.equal(get(store, 'm'), '10');
  assert.equal(view.valueLen, 2);
  const s = store.stats();
  assert.equal(s.incr_misses, 1);
  assert.ok(s.incr_hits >= 3);
  assert.equal(s.decr_hits, 2);
  store.close();
});

test('chained large items at -I and one byte over', () => {
  for (const itemMax of [1 * MIB, 2 * MIB]) {
    const { store } = makeStore({ itemSizeMax: itemMax, memLimitBytes: 16 * MIB });
    const key = 'big';
    const maxValue = itemMax - (48 + 8 + key.length + 1 + 2);
    const value = Buffer.alloc(maxValue);
    for (let i = 0; i < value.length; i++) value[i] = (i * 31 + (i >> 9)) & 0xff;
    assert.equal(set(store, key, value), StoreResult.Stored);
    const k = Buffer.from(key);
    const view = newItemView();
    assert.ok(store.get(k, 0, k.length, view, 0, 0));
    assert.equal(view.valueLen, maxValue);
    const out = Buffer.alloc(maxValue);
    // read back in odd-sized pieces, as a socket writer would
    for (let off = 0; off < maxValue; off += 70001) store.copyValue(view.ref, off, out, off, Math.min(70001, maxValue - off));
    assert.ok(out.equals(value));
    assert.equal(store.allocate(k, 0, k.length, 0, 0, maxValue + 1), AllocError.TooLarge);
    // append to a chained item, up to the limit and past it
    assert.equal(set(store, key, Buffer.alloc(maxValue - 10, 0x61), { mode: StoreMode.Set }), StoreResult.Stored);
    assert.equal(set(store, key, 'tail', { mode: StoreMode.Append }), StoreResult.Stored);
    assert.equal(set(store, key, 'head', { mode: StoreMode.Prepend }), StoreResult.Stored);
    assert.equal(set(store, key, 'x'.repeat(3), { mode: StoreMode.Append }), StoreResult.NotStored);
    const got = get(store, key);
    assert.equal(got?.length, maxValue - 2);
    assert.equal(got?.slice(0, 6), 'headaa');
    assert.equal(got?.slice(-6), 'aatail');
    const k2 = Buffer.from('k2');
    assert.equal(store.delete(k, 0, k.length, 0), DeleteResult.Deleted);
    assert.equal(set(store, k2, 'x'), StoreResult.Stored);
    assert.equal(slabStats(store).get('39:used_chunks'), '0');
    assert.equal(store.stats().curr_items, 1);
    store.close();
  }
});

test('eviction order: least recently used first; items hit twice get a second chance', () => {
  const { store } = makeStore({ memLimitBytes: 8 * MIB });
  const value = 'v'.repeat(100);
  let i = 0;
  // fill until the first eviction
  while (store.stats().evictions === 0) {
    assert.equal(set(store, `key${i}`, value), StoreResult.Stored);
    i++;
    if (i === 2) {
      // make key1 active: fetched twice
      get(store, 'key1');
      get(store, 'key1');
    }
    assert.ok(i < 200000);
  }
  assert.equal(get(store, 'key0'), null, 'oldest evicted first');
  assert.equal(get(store, 'key1'), value, 'active item survived');
  assert.equal(get(store, 'key2'), value);
  set(store, `key${i++}`, value);
  assert.equal(get(store, 'key2'), null, 'then the next oldest');
  const s = store.stats();
  assert.equal(s.evictions, 2);
  assert.equal(s.evicted_unfetched, 1); // key2 had been fetched
  assert.equal(itemStats(store).get('items:4:evicted'), '2');
  assert.ok(store.pagesAllocated <= 8);
  store.close();
});

test('expired items are reclaimed before anything is evicted', () => {
  const { store, clock } = makeStore({ memLimitBytes: 8 * MIB });
  const value = 'v'.repeat(100);
  let i = 0;
  for (; i < 5; i++) set(store, `old${i}`, value, { exptime: 5 });
  while (store.stats().curr_items === i) {
    set(store, `key${i}`, value);
    i++;
    if (i > 200000) break;
  }
  // a page is full now; next sets go through the tail
  const before = store.stats();
  clock.advance(10);
  set(store, 'new1', value);
  const s = store.stats();
  assert.equal(s.evictions, before.evictions);
  assert.equal(s.reclaimed - before.reclaimed, 1);
  assert.equal(s.expired_unfetched - before.expired_unfetched, 1);
  store.close();
});

test('-M: out of memory instead of evicting', () => {
  const { store } = makeStore({ memLimitBytes: 8 * MIB, evictionsDisabled: true });
  const value = 'v'.repeat(1000);
  let last: number = StoreResult.Stored;
  let n = 0;
  for (; n < 100000 && last === StoreResult.Stored; n++) last = set(store, `key${n}`, value);
  assert.equal(last, AllocError.NoMemory);
  assert.equal(get(store, 'key0'), value);
  assert.equal(store.stats().evictions, 0);
  store.close();
});

test('-m is never exceeded, whatever the mix of sizes', () => {
  const { store } = makeStore({ memLimitBytes: 8 * MIB, itemSizeMax: 2 * MIB });
  let seed = 1;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const sizes = [10, 100, 1000, 5000, 30000, 200000, 700000, 1500000];
  for (let i = 0; i < 3000; i++) {
    const len = sizes[rnd() % sizes.length]! + (rnd() % 50);
    const r = set(store, `k${rnd() % 500}`, Buffer.alloc(len, 0x61));
    assert.ok(r === StoreResult.Stored || r === AllocError.NoMemory, `result ${r}`);
    assert.ok(store.pagesAllocated * MIB <= 8 * MIB);
  }
  const slabs = slabStats(store);
  assert.ok(Number(slabs.get('total_malloced')) <= 8 * MIB);
  store.close();
});

test('fill/overwrite/delete loop returns to the same page usage', () => {
  const { store } = makeStore({ memLimitBytes: 64 * MIB });
  const value = Buffer.alloc(300, 0x62);
  let pagesAfterFirst = -1;
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 20000; i++) set(store, `key${i}`, value);
    for (let i = 0; i < 20000; i++) set(store, `key${i}`, value.subarray(0, 100 + (i % 200)));
    for (let i = 0; i < 20000; i++) store.delete(Buffer.from(`key${i}`), 0, `key${i}`.length, 0);
    const s = store.stats();
    assert.equal(s.curr_items, 0);
    assert.equal(s.bytes, 0);
    const slabs = slabStats(store);
    for (const [name, v] of slabs) if (name.endsWith(':used_chunks')) assert.equal(v, '0', name);
    if (pagesAfterFirst < 0) pagesAfterFirst = store.pagesAllocated;
    else assert.equal(store.pagesAllocated, pagesAfterFirst);
  }
  store.close();
});

test('hash table doubles past 1.5 load, incrementally, and every key stays findable', () => {
  const { store } = makeStore({ memLimitBytes: 64 * MIB, hashPowerInit: 12 });
  const n = 20000;
  let sawExpanding = false;
  for (let i = 0; i < n; i++) {
    set(store, `key:${i}`, 'v');
    if (store.stats().hash_is_expanding === 1) {
      sawExpanding = true;
      // lookups work mid-expansion
      assert.equal(get(store, `key:${i >> 1}`), 'v');
    }
  }
  assert.ok(sawExpanding);
  store.finishExpansion();
  const s = store.stats();
  assert.ok(s.hash_power_level >= 14, `power ${s.hash_power_level}`);
  for (let i = 0; i < n; i++) assert.equal(get(store, `key:${i}`), 'v');
  for (let i = 0; i < n; i += 2) store.delete(Buffer.from(`key:${i}`), 0, `key:${i}`.length, 0);
  for (let i = 0; i < n; i++) assert.equal(get(store, `key:${i}`), i % 2 === 0 ? null : 'v');
  store.close();
});

test('stats items / slabs / sizes shapes', () => {
  const { store } = makeStore({ trackSizes: true });
  set(store, 'foo', 'bar');
  const items = [...itemStats(store).keys()];
  assert.equal(items[0], 'items:1:number');
  assert.equal(items.length, 28);
  assert.equal(items[items.length - 1], 'items:1:hits_to_temp');
  const slabs = [...slabStats(store).keys()];
  assert.deepEqual(slabs.slice(0, 3), ['1:chunk_size', '1:chunks_per_page', '1:total_pages']);
  assert.deepEqual(slabs.slice(-2), ['active_slabs', 'total_malloced']);
  const sizes: string[] = [];
  store.emitSizes((n, v) => sizes.push(`${n} ${v}`));
  assert.deepEqual(sizes, ['96 1']); // ntotal 65 -> bucket 3 (96)
  store.close();
  const { store: s2 } = makeStore();
  const st: string[] = [];
  s2.emitSizes((n, v) => st.push(`${n} ${v}`));
  assert.deepEqual(st, ['sizes_status disabled']);
  s2.close();
});

test('cachedump lists keys, value lengths and unix exptimes', () => {
  const { store } = makeStore();
  set(store, 'a', '12345', { exptime: 100 });
  set(store, 'b', '1');
  const rows: string[] = [];
  const buf = Buffer.alloc(250);
  store.cachedump(1, 0, (ref, keyLen, valueLen, exp) => {
    store.copyKey(ref, buf, 0);
    rows.push(`ITEM ${buf.toString('latin1', 0, keyLen)} [${valueLen} b; ${exp} s]`);
  });
  assert.deepEqual(rows, ['ITEM b [1 b; 0 s]', `ITEM a [5 b; ${NOW + 100} s]`]);
  store.close();
});

test('lru_crawler replies and reclaims expired items', () => {
  const { store, clock } = makeStore({ lruCrawler: true });
  assert.equal(store.lruCrawlerCommand(['crawl', '99']), 'BADCLASS invalid class id');
  // memcached 1.6.18 answers OK even when the classes hold no items.
  assert.equal(store.lruCrawlerCommand(['crawl', 'all']), 'OK');
  store.crawlSlice(performance.now() + 1000);
  for (let i = 0; i < 100; i++) set(store, `k${i}`, 'v', { exptime: i < 50 ? 5 : 0 });
  clock.advance(6);
  assert.equal(store.lruCrawlerCommand(['crawl', '99']), 'BADCLASS invalid class id');
  assert.equal(store.lruCrawlerCommand(['crawl', '1,2']), 'OK');
  assert.equal(store.lruCrawlerCommand(['crawl', 'all']), 'BUSY currently processing crawler request');
  store.crawlSlice(performance.now() + 1000);
  const s = store.stats();
  assert.equal(s.crawler_reclaimed, 50);
  assert.equal(s.curr_items, 50);
  assert.equal(s.lru_crawler_starts, 2);
  assert.equal(store.lruCrawlerCommand(['sleep', '2000000']), 'CLIENT_ERROR sleep must be one second or less');
  assert.equal(store.lruCrawlerCommand(['sleep', 'x']), 'CLIENT_ERROR bad command line format');
  assert.equal(store.lruCrawlerCommand(['tocrawl', '10']), 'OK');
  assert.equal(store.lruCrawlerCommand(['disable']), 'OK');
  assert.equal(store.lruCrawlerCommand(['crawl', 'all']), 'CLIENT_ERROR lru crawler disabled');
  assert.equal(store.lruCrawlerCommand(['enable']), 'OK');
  assert.equal(store.lruCrawlerCommand(['bogus']), 'ERROR');
  store.close();
});

test('slabs reassign replies and page moves', () => {
  const { store } = makeStore({ memLimitBytes: 16 * MIB });
  assert.equal(store.slabsReassign(1, 1), 'SAME src and dst class are identical');
  assert.equal(store.slabsReassign(1, 99), 'BADCLASS invalid src or dst class id');
  assert.equal(store.slabsReassign(1, 2), 'NOSPARE source class has no spare pages');
  for (let i = 0; i < 25000; i++) set(store, `k${i}`, 'v');
  assert.equal(slabStats(store).get('1:total_pages'), '3');
  assert.equal(store.slabsReassign(1, 5), 'OK');
  const slabs = slabStats(store);
  assert.equal(slabs.get('1:total_pages'), '2');
  assert.equal(slabs.get('5:total_pages'), '1');
  assert.equal(store.stats().slabs_moved, 1);
  store.close();
});

test('cache_memlimit: below 8 MiB refused; lowering it caps page allocation', () => {
  const { store } = makeStore({ memLimitBytes: 64 * MIB });
  assert.equal(store.setMemLimit(7 * MIB), false);
  assert.equal(store.setMemLimit(8 * MIB), true);
  for (let i = 0; i < 100000; i++) set(store, `k${i}`, 'v'.repeat(100));
  assert.ok(store.pagesAllocated <= 8);
  assert.equal(store.stats().limit_maxbytes, 8 * MIB);
  store.close();
});

test('noteAllocFailure counts and unlinks the old item for set', () => {
  const { store } = makeStore();
  set(store, 'k', 'v');
  const k = Buffer.from('k');
  store.noteAllocFailure(AllocError.TooLarge, k, 0, 1, true, StoreMode.Set);
  assert.equal(get(store, 'k'), null);
  store.noteAllocFailure(AllocError.NoMemory, k, 0, 1, false, StoreMode.Add);
  const s = store.stats();
  assert.equal(s.store_too_large, 1);
  assert.equal(s.store_no_memory, 1);
  store.close();
});

test('item bits, bumpCas, setExptime, itemTotalSize, CasStale', () => {
  const { store, clock } = makeStore();
  set(store, 'k', 'value', { flags: 1 });
  let v = getView(store, 'k', GetOpt.NoBump);
  assert.ok(v);
  assert.equal(v.itemBits, 0);
  assert.equal(store.itemTotalSize(v.ref), 48 + 1 + 1 + 4 + 7 + 8);
  get(store, 'k');
  v = getView(store, 'k');
  assert.equal(v?.itemBits, 1);
  store.setItemBits(v!.ref, 2 | 4);
  const cas = store.bumpCas(v!.ref);
  store.setExptime(v!.ref, 10);
  v = getView(store, 'k');
  assert.equal(v?.itemBits, 7);
  assert.equal(v?.cas, cas);
  store.clearItemBits(v!.ref, 4);
  assert.equal(getView(store, 'k')?.itemBits, 3);
  // CasStale: a lower cas stores, keeps exptime, marks stale
  assert.equal(set(store, 'k', 'new', { mode: StoreMode.CasStale, cas: cas - 1, exptime: 0 }), StoreResult.Stored);
  v = getView(store, 'k');
  assert.equal(v!.itemBits & 2, 2);
  assert.equal(v!.exptime, store.now() + 10);
  clock.advance(10);
  assert.equal(get(store, 'k'), null);
  store.close();
});

test('lru_crawler metadump lines as memcached prints them', () => {
  const { store } = makeStore({ lruCrawler: true });
  set(store, 'a/b', 'x', { exptime: 100 });
  set(store, 'cnt', '12');
  get(store, 'cnt');
  const lines: string[] = [];
  assert.equal(store.metadump('all', (l) => lines.push(l)), '');
  const la = NOW; // stored at start-up
  assert.deepEqual(lines, [
    `key=a%2Fb exp=${NOW + 100} la=${la} cas=1 fetch=no cls=1 size=63\n`,
    `key=cnt exp=-1 la=${la} cas=2 fetch=yes cls=1 size=64\n`,
  ]);
  assert.equal(store.lruCrawlerCommand(['metadump', 'all']), lines.join('') + 'END\r\n');
  assert.equal(store.metadump('0', () => {}), 'BADCLASS invalid class id');
  assert.equal(store.metadump('5', () => assert.fail('class 5 is empty')), '');
  store.close();
  const { store: s2 } = makeStore({ lruCrawler: true, dumpEnabled: false });
  assert.equal(s2.metadump('all', () => {}), 'ERROR metadump not allowed');
  s2.close();
});

test('a class that starves gets pages: stolen when it has none, automoved when others hoard free ones', () => {
  const { store, clock } = makeStore({ memLimitBytes: 8 * MIB });
  const small = 'v'.repeat(100);
  let n = 0;
  while (store.stats().evictions === 0) set(store, `s${n++}`, small);
  for (let i = 0; i < n; i++) store.delete(Buffer.from(`s${i}`), 0, `s${i}`.length, 0);
  assert.equal(store.pagesAllocated, 8);
  // class of 1000-byte values has no page and memory is full: it takes one
  assert.equal(set(store, 'b0', 'x'.repeat(1000)), StoreResult.Stored);
  let big = 1;
  while (store.stats().evictions === 1) set(store, `b${big++}`, 'x'.repeat(1000));
  const before = Number(slabStats(store).get('4:total_pages'));
  // the automover gives free pages back once its 30-second window has seen no eviction there
  for (let i = 0; i < 40; i++) {
    clock.advance(1);
    store.maintain();
  }
  const after = Number(slabStats(store).get('4:total_pages'));
  assert.ok(after < before, `${after} < ${before}`);
  const evBefore = store.stats().evictions;
  for (let i = 0; i < 500; i++) set(store, `c${i}`, 'x'.repeat(1000));
  assert.equal(store.stats().evictions, evBefore, 'new pages came from the pool');
  assert.ok(store.pagesAllocated <= 8);
  store.close();
});
