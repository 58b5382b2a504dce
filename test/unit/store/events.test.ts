// The item events the store reports to a listener (watchers): where memcached's items.c logs
// them, with the arguments its lines print, and nothing when nobody listens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AllocError, GetOpt, LookupOutcome, StoreEvents, StoreMode, StoreResult, type StoreListener } from '../../../src/store/store.js';
import { get, makeStore, MIB, set } from './helpers.js';

class Recorder implements StoreListener {
  readonly events: string[] = [];
  itemGet(outcome: LookupOutcome, key: Buffer, keyStart: number, keyLen: number, valueLen: number, slabClass: number): void {
    this.events.push(`get ${key.toString('latin1', keyStart, keyStart + keyLen)} ${outcome} ${valueLen} ${slabClass}`);
  }
  itemStore(result: StoreResult, mode: StoreMode, key: Buffer, keyStart: number, keyLen: number, valueLen: number, ttlSec: number, slabClass: number): void {
    this.events.push(`store ${key.toString('latin1', keyStart, keyStart + keyLen)} ${result} ${mode} ${valueLen} ${ttlSec} ${slabClass}`);
  }
  eviction(key: Buffer, keyStart: number, keyLen: number, valueLen: number, isFetched: boolean, ttlSec: number, idleSec: number, slabClass: number): void {
    this.events.push(`evict ${key.toString('latin1', keyStart, keyStart + keyLen)} ${valueLen} ${isFetched} ${ttlSec} ${idleSec} ${slabClass}`);
  }
}

const ALL = StoreEvents.ItemGet | StoreEvents.ItemStore | StoreEvents.Eviction;

test('lookups and stores are reported where memcached logs them', () => {
  const { store, clock } = makeStore();
  const r = new Recorder();
  store.setListener(r, Int32Array.of(ALL));
  set(store, 'a', 'xyz', { exptime: 100 });
  get(store, 'a');
  set(store, 'a', 'q', { mode: StoreMode.Add });
  set(store, 'a', 'pp', { mode: StoreMode.Append });
  set(store, 'b', 'q', { mode: StoreMode.Cas, cas: 5 });
  const k = Buffer.from('a');
  store.touch(k, 0, 1, 0);
  store.delete(k, 0, 1, 0);
  set(store, 'e', '1', { exptime: 5 });
  clock.advance(10);
  get(store, 'e');
  assert.deepEqual(r.events, [
    // a store looks the key up first (do_store_item's do_item_get)
    `get a ${LookupOutcome.NotFound} 0 0`,
    `store a ${StoreResult.Stored} ${StoreMode.Set} 3 100 1`,
    `get a ${LookupOutcome.Found} 3 1`,
    `get a ${LookupOutcome.Found} 3 1`,
    `store a ${StoreResult.NotStored} ${StoreMode.Add} 1 0 1`,
    `get a ${LookupOutcome.Found} 3 1`,
    // a successful append reports the merged item, with the old one's exptime
    `store a ${StoreResult.Stored} ${StoreMode.Append} 5 100 1`,
    `get b ${LookupOutcome.NotFound} 0 0`,
    `store b ${StoreResult.NotFound} ${StoreMode.Cas} 1 0 1`,
    `get a ${LookupOutcome.Found} 5 1`,
    `get a ${LookupOutcome.Found} 5 1`,
    `get e ${LookupOutcome.NotFound} 0 0`,
    `store e ${StoreResult.Stored} ${StoreMode.Set} 1 5 1`,
    `get e ${LookupOutcome.Expired} 0 0`,
  ]);
  store.close();
});

test('an exptime already past is reported as memcached\'s uint32 arithmetic prints it', () => {
  const { store } = makeStore();
  const r = new Recorder();
  store.setListener(r, Int32Array.of(StoreEvents.ItemStore));
  set(store, 'x', '1', { exptime: -1 });
  const ttl = Number(r.events[0]!.split(' ')[5]);
  assert.ok(ttl > 4294967000 && ttl < 4294967296, String(ttl));
  store.close();
});

test('incr on a missing key that creates it: two lookups and an add, as memcached', () => {
  const { store } = makeStore();
  const r = new Recorder();
  store.setListener(r, Int32Array.of(ALL));
  const k = Buffer.from('n');
  store.delta(k, 0, 1, true, 1n, 0, 7n, 0, null);
  assert.deepEqual(r.events, [`get n ${LookupOutcome.NotFound} 0 0`, `get n ${LookupOutcome.NotFound} 0 0`, `store n ${StoreResult.Stored} ${StoreMode.Add} 1 0 1`]);
  store.close();
});

test('refused allocations, re-lookups marked NoWatch, and unwatched kinds', () => {
  const { store } = makeStore();
  const r = new Recorder();
  store.setListener(r, Int32Array.of(StoreEvents.ItemStore));
  const k = Buffer.from('big');
  store.noteAllocFailure(AllocError.TooLarge, k, 0, 3, false, StoreMode.Replace);
  get(store, 'big');
  assert.deepEqual(r.events, [`store big ${StoreResult.TooLarge} ${StoreMode.Replace} 0 0 -1`]);
  store.setListener(r, Int32Array.of(StoreEvents.ItemGet));
  get(store, 'big', GetOpt.NoWatch);
  assert.equal(r.events.length, 1);
  store.setListener(null, Int32Array.of(ALL));
  set(store, 'z', '1');
  get(store, 'z');
  assert.equal(r.events.length, 1);
  store.close();
});

test('evictions from an LRU tail are reported with fetched, ttl, idle time and class', () => {
  const { store, clock } = makeStore({ memLimitBytes: 2 * MIB });
  const r = new Recorder();
  store.setListener(r, Int32Array.of(StoreEvents.Eviction));
  const value = 'v'.repeat(1000);
  set(store, 'first', value, { exptime: 500 });
  get(store, 'first');
  clock.advance(3);
  for (let i = 0; i < 4000 && r.events.length === 0; i++) set(store, 'k' + i, value);
  assert.ok(r.events.length > 0);
  const [kind, , len, fetched, ttl, idle, cls] = r.events[0]!.split(' ');
  assert.equal(kind, 'evict');
  assert.equal(len, '1000');
  assert.ok(fetched === 'true' || fetched === 'false');
  assert.ok(Number(ttl) === -1 || Number(ttl) > 0);
  assert.ok(Number(idle) >= 0 && Number(cls) > 0);
  assert.ok(r.events.some((e) => e.startsWith('evict first 1000 true 497 3 ')), r.events.slice(0, 3).join('\n'));
  store.close();
});
