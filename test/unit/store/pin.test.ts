// Pinned items (zero-copy replies of large values): the bytes of a pinned item's value view
// stay put through deletes, overwrites and evictions until the last unpin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GetOpt, newItemView } from '../../../src/store/store.js';
import { get, makeStore, MIB, set } from './helpers.js';

const SIZE = 100 * 1024;
// Lookups that leave LRU positions alone, so only pinning decides what is evicted.
const NO_BUMP = GetOpt.NoBump | GetOpt.NoFetchMark;

function value(fill: number): Buffer {
  return Buffer.alloc(SIZE, fill);
}

function lookup(store: ReturnType<typeof makeStore>['store'], key: string): number {
  const view = newItemView();
  const k = Buffer.from(key, 'latin1');
  assert.ok(store.get(k, 0, k.length, view, NO_BUMP, 0), `${key} is there`);
  return view.ref;
}

test('a pinned value view survives delete and chunk churn; unpin frees it', () => {
  const { store } = makeStore({ memLimitBytes: 8 * MIB });
  try {
    set(store, 'big', value(0x41));
    const ref = lookup(store, 'big');
    const view = store.valueSlice(ref, true);
    assert.ok(view !== null);
    assert.equal(view.length, SIZE + 2);
    store.pin(ref);
    store.delete(Buffer.from('big'), 0, 3, 0);
    assert.equal(get(store, 'big'), null);
    // Churn the same slab class well past the memory limit: evictions and chunk reuse.
    for (let i = 0; i < 300; i++) set(store, 'k' + i, value(0x30 + (i % 10)));
    assert.ok(view.subarray(0, SIZE).every((b) => b === 0x41), 'pinned bytes untouched');
    assert.equal(view.toString('latin1', SIZE), '\r\n');
    store.unpin(ref);
    // Freed now: more stores reuse the chunk sooner or later.
    let reused = false;
    for (let i = 0; i < 300 && !reused; i++) {
      set(store, 'm' + i, value(0x61));
      reused = view[0] === 0x61;
    }
    assert.ok(reused, 'the chunk was freed at unpin');
  } finally {
    store.close();
  }
});

test('a pinned linked item is not evicted; unpinned it is', () => {
  const { store } = makeStore({ memLimitBytes: 8 * MIB });
  try {
    set(store, 'keep', value(0x42));
    const ref = lookup(store, 'keep');
    store.pin(ref);
    store.pin(ref); // two replies in flight
    for (let i = 0; i < 300; i++) set(store, 'k' + i, value(0x30));
    assert.equal(get(store, 'keep', NO_BUMP), value(0x42).toString('latin1'));
    store.unpin(ref);
    store.unpin(ref);
    store.unpin(ref); // an extra unpin is harmless
    let gone = false;
    for (let i = 0; i < 300 && !gone; i++) {
      set(store, 'n' + i, value(0x31));
      gone = get(store, 'keep', NO_BUMP) === null;
    }
    assert.ok(gone, 'evictable again once unpinned');
  } finally {
    store.close();
  }
});

test('chained values have no single view', () => {
  const { store } = makeStore({ memLimitBytes: 16 * MIB, itemSizeMax: 2 * MIB });
  try {
    set(store, 'huge', Buffer.alloc(700 * 1024, 0x43));
    assert.equal(store.valueSlice(lookup(store, 'huge'), true), null);
  } finally {
    store.close();
  }
});
