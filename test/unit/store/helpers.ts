// Small drivers for store unit tests (not a test file itself).
import { RuntimeSettings } from '../../../src/config/runtime-settings.js';
import { makeSettings, type Settings } from '../../../src/config/settings.js';
import { Cache } from '../../../src/store/cache.js';
import { ManualClock } from '../../../src/store/clock.js';
import { newItemView, StoreMode, type StoreResult } from '../../../src/store/store.js';

export const MIB = 1024 * 1024;

export interface Fixture {
  store: Cache;
  clock: ManualClock;
}

export function makeStore(overrides: Partial<Settings> = {}): Fixture {
  const clock = new ManualClock(1_700_000_000);
  // one Cache, as at -t 1 (the default -t 4 would make the store expect other threads' busy items)
  const settings = makeSettings({ lruCrawler: false, threads: 1, ...overrides });
  const store = new Cache(settings, clock, new RuntimeSettings(settings));
  return { store, clock };
}

export function set(store: Cache, key: string | Buffer, value: string | Buffer, opts: {
  flags?: number; exptime?: number; mode?: StoreMode; cas?: number;
} = {}): StoreResult | number {
  const k = typeof key === 'string' ? Buffer.from(key, 'latin1') : key;
  const v = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const ref = store.allocate(k, 0, k.length, opts.flags ?? 0, opts.exptime ?? 0, v.length);
  if (ref < 0) return ref;
  store.writeValue(ref, 0, v, 0, v.length);
  return store.link(ref, opts.mode ?? StoreMode.Set, opts.cas ?? 0);
}

const view = newItemView();

/** The value as latin1, or null on a miss. */
export function get(store: Cache, key: string, opts = 0): string | null {
  const k = Buffer.from(key, 'latin1');
  if (!store.get(k, 0, k.length, view, opts, 0)) return null;
  const out = Buffer.alloc(view.valueLen);
  store.copyValue(view.ref, 0, out, 0, view.valueLen);
  return out.toString('latin1');
}

export function getView(store: Cache, key: string, opts = 0): typeof view | null {
  const k = Buffer.from(key, 'latin1');
  if (!store.get(k, 0, k.length, view, opts, 0)) return null;
  return { ...view };
}

export function slabStats(store: Cache): Map<string, string> {
  const m = new Map<string, string>();
  store.emitSlabs((n, v) => m.set(n, String(v)));
  return m;
}

export function itemStats(store: Cache): Map<string, string> {
  const m = new Map<string, string>();
  store.emitItems((n, v) => m.set(n, String(v)));
  return m;
}
