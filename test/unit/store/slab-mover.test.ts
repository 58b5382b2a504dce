// Page moves (memcached's slab rebalancer): pages go to the global pool and come back out of it,
// live items in a moving page are rescued into free chunks of their class (head chunks count as
// slab_reassign_rescues, chained items' continuation chunks as slab_reassign_chunk_rescues),
// items with no free chunk to go to are slab_reassign_evictions_nomem, expired ones are dropped,
// and an item a reply still sends holds the move until it is let go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GetOpt, StoreResult } from '../../../src/store/store.js';
import { get, getView, makeStore, MIB, set, slabStats } from './helpers.js';
import { SeededRandom } from '../../support/random.js';

const PAGE = MIB;

/** Values of a fixed size for key i, distinct per key so a misplaced chunk shows. */
function valueOf(i: number, size: number): string {
  const tag = `<${i}>`;
  return tag + String.fromCharCode(0x41 + (i % 26)).repeat(size - tag.length);
}

function del(store: ReturnType<typeof makeStore>['store'], key: string): void {
  store.delete(Buffer.from(key), 0, key.length, 0);
}

test('a page sent to the global pool: rescues keep every live item; total_malloced stays; the next class takes it', () => {
  const { store } = makeStore({ memLimitBytes: 16 * MIB });
  const size = 1000; // class 9 here (1184-byte chunks, 885 a page)
  const n = 3000; // 4 pages
  for (let i = 0; i < n; i++) assert.equal(set(store, `k${i}`, valueOf(i, size)), StoreResult.Stored);
  const cls = (getView(store, 'k0', GetOpt.NoBump)!.slabClass);
  const pages = Number(slabStats(store).get(`${cls}:total_pages`));
  assert.equal(pages, 4);
  for (let i = 0; i < n; i += 2) del(store, `k${i}`);
  const mallocedBefore = slabStats(store).get('total_malloced');

  assert.equal(store.slabsReassign(cls, 0), 'OK');
  const st = store.stats();
  assert.equal(st.slab_global_page_pool, 1);
  assert.equal(st.slabs_moved, 1);
  assert.equal(st.slab_reassign_running, 0);
  assert.ok(st.slab_reassign_rescues > 0, `rescues ${st.slab_reassign_rescues}`);
  assert.equal(st.slab_reassign_evictions_nomem, 0);
  assert.equal(st.curr_items, n / 2);
  assert.equal(Number(slabStats(store).get(`${cls}:total_pages`)), pages - 1);
  assert.equal(slabStats(store).get('total_malloced'), mallocedBefore, 'the pool page is still allocated');
  for (let i = 1; i < n; i += 2) assert.equal(get(store, `k${i}`), valueOf(i, size), `k${i} after its rescue`);

  // a class with no page takes the pool page before allocating a new one
  const pagesAllocated = store.pagesAllocated;
  assert.equal(set(store, 'small', 'x'), StoreResult.Stored);
  assert.equal(store.stats().slab_global_page_pool, 0);
  assert.equal(store.pagesAllocated, pagesAllocated);
  assert.equal(get(store, 'small'), 'x');
  // the rescued items are still in the index and the LRU: deletes and evictions find them
  for (let i = 1; i < n; i += 2) del(store, `k${i}`);
  assert.equal(store.stats().curr_items, 1);
  store.close();
});

test('a page with more live items than free chunks elsewhere: rescues until they run out, then evictions_nomem', () => {
  const { store } = makeStore({ memLimitBytes: 16 * MIB });
  const size = 1000;
  const per = 885;
  // exactly 2 full pages of the class, then 50 free chunks in each
  for (let i = 0; i < per * 2; i++) set(store, `k${i}`, valueOf(i, size));
  const cls = getView(store, 'k0', GetOpt.NoBump)!.slabClass;
  for (let i = 0; i < 50; i++) {
    del(store, `k${i}`);
    del(store, `k${per + i}`);
  }
  assert.equal(store.slabsReassign(cls, 1), 'OK');
  const st = store.stats();
  assert.equal(st.slab_reassign_rescues, 50);
  assert.equal(st.slab_reassign_evictions_nomem, per - 100);
  assert.equal(st.evictions, 0, 'not counted as evictions');
  assert.equal(st.curr_items, per);
  let hits = 0;
  for (let i = 0; i < per * 2; i++) {
    const v = get(store, `k${i}`);
    if (v !== null) {
      assert.equal(v, valueOf(i, size));
      hits++;
    }
  }
  assert.equal(hits, per);
  assert.equal(slabStats(store).get('1:total_pages'), '1');
  assert.equal(slabStats(store).get(`${cls}:free_chunks`), '0');
  store.close();
});

test('chained items: continuation chunks are chunk rescues, head chunks rescues; values intact', () => {
  // slab_chunk_max 4096: values above ~4 KiB chain across 4096-byte chunks of the largest class
  const { store } = makeStore({ memLimitBytes: 16 * MIB, slabChunkMax: 4096 });
  const size = 11000;
  const n = 300; // 3 chunks each: 900 chunks, 4 pages of 256
  for (let i = 0; i < n; i++) assert.equal(set(store, `n${i}`, valueOf(i, size)), StoreResult.Stored);
  const largest = getView(store, 'n0', GetOpt.NoBump)!.slabClass;
  assert.equal(slabStats(store).get(`${largest}:total_pages`), '4');
  for (let i = 0; i < n; i += 3) del(store, `n${i}`);
  for (let move = 0; move < 2; move++) assert.equal(store.slabsReassign(largest, 0), 'OK');
  const st = store.stats();
  assert.equal(st.slab_global_page_pool, 2);
  assert.ok(st.slab_reassign_chunk_rescues > 0, `chunk rescues ${st.slab_reassign_chunk_rescues}`);
  assert.ok(st.slab_reassign_rescues > 0, `rescues ${st.slab_reassign_rescues}`);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const v = get(store, `n${i}`);
    if (v === null) continue;
    assert.equal(v, valueOf(i, size), `n${i} after chunk moves`);
    hits++;
  }
  assert.equal(hits, st.curr_items);
  assert.equal(hits + st.slab_reassign_evictions_nomem, n - Math.ceil(n / 3));
  store.close();
});

test('expired items in a moving page are dropped, not rescued', () => {
  const { store, clock } = makeStore({ memLimitBytes: 16 * MIB });
  for (let i = 0; i < 2000; i++) set(store, `e${i}`, valueOf(i, 1000), { exptime: 5 });
  const cls = getView(store, 'e0', GetOpt.NoBump)!.slabClass;
  clock.advance(10);
  assert.equal(store.slabsReassign(cls, 0), 'OK');
  const st = store.stats();
  assert.equal(st.slab_reassign_rescues, 0);
  assert.equal(st.slab_reassign_evictions_nomem, 0);
  assert.equal(st.slab_global_page_pool, 1);
  store.close();
});

test('an item a reply still sends holds the move; BUSY meanwhile; it finishes once unpinned', () => {
  const { store } = makeStore({ memLimitBytes: 16 * MIB });
  for (let i = 0; i < 1000; i++) set(store, `p${i}`, valueOf(i, 1000));
  const cls = getView(store, 'p0', GetOpt.NoBump)!.slabClass;
  // pin every item so whichever page is picked holds one
  const refs: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const ref = getView(store, `p${i}`, GetOpt.NoBump)!.ref;
    store.pin(ref);
    refs.push(ref);
  }
  assert.equal(store.slabsReassign(cls, 0), 'OK');
  assert.equal(store.stats().slab_reassign_running, 1);
  assert.equal(store.slabsReassign(cls, 0), 'BUSY currently processing reassign request');
  store.maintain();
  assert.equal(store.stats().slab_reassign_running, 1);
  assert.ok(store.stats().slab_reassign_busy_items > 0);
  for (const ref of refs) store.unpin(ref);
  store.maintain();
  const st = store.stats();
  assert.equal(st.slab_reassign_running, 0);
  assert.equal(st.slab_global_page_pool, 1);
  for (let i = 0; i < 1000; i++) {
    const v = get(store, `p${i}`);
    if (v !== null) assert.equal(v, valueOf(i, 1000));
  }
  store.close();
});

test('reassign from the pool and back, with memcached replies', () => {
  const { store } = makeStore({ memLimitBytes: 16 * MIB });
  assert.equal(store.slabsReassign(0, 5), 'NOSPARE source class has no spare pages');
  assert.equal(store.slabsReassign(-1, 5), 'BADCLASS invalid src or dst class id');
  for (let i = 0; i < 25000; i++) set(store, `k${i}`, 'v');
  for (let i = 0; i < 25000; i++) del(store, `k${i}`);
  assert.equal(store.slabsReassign(1, 0), 'OK');
  assert.equal(store.slabsReassign(1, 0), 'OK');
  assert.equal(store.stats().slab_global_page_pool, 2);
  assert.equal(store.slabsReassign(0, 5), 'OK');
  assert.equal(store.stats().slab_global_page_pool, 1);
  assert.equal(slabStats(store).get('5:total_pages'), '1');
  assert.equal(store.stats().slabs_moved, 3);
  store.close();
});

test('automove 1 sends a class\'s free pages to the pool within seconds; another class reuses them without evicting', () => {
  const { store, clock } = makeStore({ memLimitBytes: 8 * MIB, slabAutomoveWindow: 3 });
  let n = 0;
  while (store.pagesAllocated < 8 || store.stats().evictions === 0) set(store, `s${n}`, valueOf(n, 1000)), n++;
  for (let i = 0; i < n; i++) del(store, `s${i}`);
  let turns = 0;
  for (; turns < 40 && store.stats().slab_global_page_pool < 5; turns++) {
    clock.advance(1);
    // the maintainer comes back at once after a page went to the pool
    while (store.maintain()) { /* again */ }
  }
  assert.ok(store.stats().slab_global_page_pool >= 5, `pool ${store.stats().slab_global_page_pool}`);
  assert.ok(turns < 10, `${turns} seconds`);
  const ev = store.stats().evictions;
  for (let i = 0; i < 2000; i++) assert.equal(set(store, `b${i}`, valueOf(i, 2000)), StoreResult.Stored);
  assert.equal(store.stats().evictions, ev);
  assert.equal(store.pagesAllocated, 8);
  assert.equal(slabStats(store).get('total_malloced'), String(8 * PAGE));
  store.close();
});

test('churn with page moves in every direction: a value found is always the value stored', () => {
  const { store, clock } = makeStore({ memLimitBytes: 24 * MIB, slabChunkMax: 4096 });
  const model = new Map<string, string>();
  const random = new SeededRandom(12345);
  const sizes = [100, 3000, 9000, 20000];
  const largest = 17; // the 4096-byte class with slab_chunk_max 4096
  let moves = 0;
  for (let op = 0; op < 20000; op++) {
    const key = `c${random.int(3000)}`;
    const r = random.int(100);
    if (r < 55) {
      const v = valueOf(op, sizes[random.int(sizes.length)]!);
      if (set(store, key, v) === StoreResult.Stored) model.set(key, v);
    } else if (r < 70) {
      del(store, key);
      model.delete(key);
    } else if (r < 90) {
      const v = get(store, key);
      if (v !== null) assert.equal(v, model.get(key), `${key} at op ${op}`);
    } else {
      // the largest class and the pool are the ones with pages to spare
      const src = [0, largest, random.int(largest + 1)][random.int(3)]!;
      const dst = random.int(largest + 1);
      if (store.slabsReassign(src, dst) === 'OK') moves++;
      if (random.int(10) === 0) {
        clock.advance(1);
        store.maintain();
      }
    }
  }
  assert.ok(moves > 30, `${moves} moves`);
  let found = 0;
  for (const [key, v] of model) {
    const got = get(store, key);
    if (got !== null) {
      assert.equal(got, v, key);
      found++;
    }
  }
  assert.equal(store.stats().curr_items, found);
  const st = store.stats();
  assert.ok(st.slab_reassign_rescues > 0 && st.slab_reassign_chunk_rescues > 0);
  store.close();
});
