// In-process throughput of the store's hot verbs: set (allocate + writeValue + link) and get
// (get + copyValue), with no sockets. Keys are pre-encoded into one Buffer, so the loops allocate
// nothing themselves; GC counts are printed to show the store does not allocate either.
//
//   node dist/test/bench/store-micro.js [path/to/cache.js ...]
//
// With several module paths (e.g. a saved copy of an older build and the current one) the
// cases run interleaved, round after round, so machine noise hits every build alike.
// Prints ops/s (median of the rounds, wall time) and CPU ns per op (median; process CPU time, so
// a loaded machine's stolen time does not count) per case and build.
import { PerformanceObserver } from 'node:perf_hooks';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { RuntimeSettings } from '../../src/config/runtime-settings.js';
import { makeSettings, type Settings } from '../../src/config/settings.js';
import { ManualClock } from '../../src/store/clock.js';
import { GetOpt, newItemView, StoreMode, type Store } from '../../src/store/store.js';
import { sleep } from '../support/wait.js';

type CreateStore = (settings: Settings, clock?: ManualClock) => Store;

const MIB = 1024 * 1024;
const KEY_LEN = 30;
const VALUE_LEN = 100;
const KEYS = 200_000;
const ROUNDS = Number(process.env['ROUNDS'] ?? 7);

const keys = Buffer.alloc(KEYS * KEY_LEN);
for (let i = 0; i < KEYS; i++) {
  const s = 'key:' + String(i).padStart(KEY_LEN - 4, '0');
  keys.write(s, i * KEY_LEN, 'latin1');
}
const value = Buffer.alloc(VALUE_LEN, 0x76);
const out = Buffer.alloc(64 * 1024);
const view = newItemView();

let gcCount = 0;
new PerformanceObserver((list) => {
  gcCount += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

function setRange(store: Store, from: number, to: number, keySpace: number): void {
  for (let i = from; i < to; i++) {
    const k = (i % keySpace) * KEY_LEN;
    const ref = store.allocate(keys, k, KEY_LEN, 0, 0, VALUE_LEN);
    if (ref < 0) throw new Error('allocate failed');
    store.writeValue(ref, 0, value, 0, VALUE_LEN);
    store.link(ref, StoreMode.Set, 0);
  }
}

function getRange(store: Store, n: number, keySpace: number, stride: number): number {
  let hits = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    k = (k + stride) % keySpace;
    if (store.get(keys, k * KEY_LEN, KEY_LEN, view, GetOpt.None, 0)) {
      store.copyValue(view.ref, 0, out, 0, view.valueLen);
      hits++;
    }
  }
  return hits;
}

interface Case {
  name: string;
  ops: number;
  /** Builds the store state (untimed), then returns the timed body. */
  prepare(create: CreateStore): { store: Store; run(): void };
}

const STRIDE = 7919; // a prime: visits keys in a scattered order, every key once per KEYS gets

const CASES: Case[] = [
  {
    name: 'set (new keys, no eviction)',
    ops: KEYS,
    prepare(create) {
      const store = create(makeSettings({ memLimitBytes: 256 * MIB, lruCrawler: false }), new ManualClock());
      return { store, run: () => setRange(store, 0, KEYS, KEYS) };
    },
  },
  {
    name: 'set (overwrite)',
    ops: KEYS,
    prepare(create) {
      const store = create(makeSettings({ memLimitBytes: 256 * MIB, lruCrawler: false }), new ManualClock());
      setRange(store, 0, KEYS, KEYS);
      return { store, run: () => setRange(store, 0, KEYS, KEYS) };
    },
  },
  {
    name: 'set (evicting, -m 8)',
    ops: KEYS,
    prepare(create) {
      const store = create(makeSettings({ memLimitBytes: 8 * MIB, lruCrawler: false }), new ManualClock());
      setRange(store, 0, KEYS, KEYS);
      return { store, run: () => setRange(store, 0, KEYS, KEYS) };
    },
  },
  {
    name: 'get (hits, 100 B copied)',
    ops: 2 * KEYS,
    prepare(create) {
      const store = create(makeSettings({ memLimitBytes: 256 * MIB, lruCrawler: false }), new ManualClock());
      setRange(store, 0, KEYS, KEYS);
      getRange(store, KEYS, KEYS, STRIDE); // every item fetched once: the next hits mark active
      return {
        store,
        run: () => {
          if (getRange(store, 2 * KEYS, KEYS, STRIDE) !== 2 * KEYS) throw new Error('misses');
        },
      };
    },
  },
  {
    name: 'get (misses)',
    ops: 2 * KEYS,
    prepare(create) {
      const store = create(makeSettings({ memLimitBytes: 256 * MIB, lruCrawler: false }), new ManualClock());
      setRange(store, 0, KEYS / 2, KEYS / 2);
      return {
        store,
        run: () => {
          // keys KEYS/2.. were never stored
          let k = 0;
          for (let i = 0; i < 2 * KEYS; i++) {
            k = (k + STRIDE) % (KEYS / 2);
            store.get(keys, (KEYS / 2 + k) * KEY_LEN, KEY_LEN, view, GetOpt.None, 0);
          }
        },
      };
    },
  },
];

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1] ?? 0;
}

async function main(): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const args = process.argv.slice(2);
  const modules = args.length > 0 ? args.map((a) => path.resolve(a)) : [path.join(here, '../../src/store/cache.js')];
  const builds: { name: string; create: CreateStore }[] = [];
  for (const m of modules) {
    // The Cache class: older builds take (settings, clock) and make their own run-time
    // settings when given none, so passing them works for every build.
    const mod = (await import(pathToFileURL(m).href)) as {
      Cache: new (settings: Settings, clock: ManualClock, runtime: RuntimeSettings) => Store;
    };
    builds.push({
      name: m,
      create: (settings, clock) => new mod.Cache(settings, clock ?? new ManualClock(), new RuntimeSettings(settings)),
    });
  }
  const results = new Map<string, number[]>();
  const gcs = new Map<string, number>();
  const cpuNs = new Map<string, number[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of CASES) {
      for (const b of builds) {
        const { store, run } = c.prepare(b.create);
        await sleep(5); // gc entries from preparing are reported now
        const gc0 = gcCount;
        const cpu0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        run();
        const ns = Number(process.hrtime.bigint() - t0);
        const cpu = process.cpuUsage(cpu0);
        await new Promise((r) => setImmediate(r)); // let the gc observer report
        const key = `${c.name}\u0000${b.name}`;
        const list = results.get(key) ?? [];
        list.push((c.ops * 1e9) / ns);
        results.set(key, list);
        const cpuList = cpuNs.get(key) ?? [];
        cpuList.push(((cpu.user + cpu.system) * 1000) / c.ops);
        cpuNs.set(key, cpuList);
        gcs.set(key, (gcs.get(key) ?? 0) + gcCount - gc0);
        store.close();
      }
    }
  }
  console.log(`store micro-benchmark: ${ROUNDS} rounds, ${KEYS} keys of ${KEY_LEN} B, values ${VALUE_LEN} B (median ops/s)`);
  for (const c of CASES) {
    const base = median(results.get(`${c.name}\u0000${builds[0]!.name}`) ?? []);
    for (const b of builds) {
      const key = `${c.name}\u0000${b.name}`;
      const m = median(results.get(key) ?? []);
      const ratio = b === builds[0] ? '' : `  x${(m / base).toFixed(3)}`;
      const cpu = median(cpuNs.get(key) ?? []).toFixed(0).padStart(5);
      console.log(`${c.name.padEnd(28)} ${(m / 1e6).toFixed(2).padStart(6)} M/s  ${cpu} cpu ns/op  gc ${String(gcs.get(key)).padStart(3)}  ${b.name}${ratio}`);
    }
  }
}

await main();
