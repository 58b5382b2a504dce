// Four worker_threads, each with a Cache over one StoreMemory, run random get/set/add/cas/incr/
// append/prepend/delete/touch on hot keys while main's Cache runs the background jobs
// (maintainer, crawler, page moves asked every few ms): a few hundred keys with -m small enough
// to evict, and a few thousand from hash power 6 so the table doubles under the workers. Then:
// no thread threw, every value read was whole and written by some thread, incr totals are
// exact, no two stores got one CAS value, and every chunk is free or in a reachable item.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { RuntimeSettings } from '../../../src/config/runtime-settings.js';
import { makeSettings } from '../../../src/config/settings.js';
import { Cache } from '../../../src/store/cache.js';
import { systemClock } from '../../../src/store/clock.js';
import { StoreResult } from '../../../src/store/store.js';
import { get, MIB, set } from './helpers.js';
import type { StressJob, StressReport } from './threads-stress-worker.js';

const THREADS = 4;
const COUNTER_KEYS = 8;
const RUN_MS = 3000;

interface StressShape {
  readonly hotKeys: number;
  readonly memLimitBytes: number;
  /** The run must have evicted (-m small against the hot set). */
  readonly mustEvict: boolean;
  /** The hash power the table must have doubled to by the end (it starts at 6). */
  readonly minHashPower: number;
}

test('4 threads on one store, evicting: values whole, incr exact, cas unique, chunks accounted for', async (t) => {
  await runStress(t, { hotKeys: 200, memLimitBytes: 8 * MIB, mustEvict: true, minHashPower: 7 });
});

// Many doublings of the hash table while four threads look up and link: a thread whose views
// predated the end of an expansion once linked items into the abandoned table (lost items,
// chains through freed chunks, a hang, about 1 run in 10 under load before the fix).
test('4 threads on one store, the hash table doubling under them: nothing lost, no chunk astray', async (t) => {
  await runStress(t, { hotKeys: 3000, memLimitBytes: 16 * MIB, mustEvict: false, minHashPower: 10 });
});

async function runStress(t: TestContext, shape: StressShape): Promise<void> {
  const overrides = { memLimitBytes: shape.memLimitBytes, growthFactor: 2, threads: THREADS, lruCrawler: true, hashPowerInit: 6 };
  const settings = makeSettings(overrides);
  const runtime = new RuntimeSettings(settings);
  const main = new Cache(settings, systemClock, runtime, undefined, { runsBackgroundJobs: true, threadIndex: THREADS, threads: THREADS });
  for (let c = 0; c < COUNTER_KEYS; c++) assert.equal(set(main, `counter${c}`, '0'), StoreResult.Stored);
  const workers: Worker[] = [];
  for (let t = 0; t < THREADS; t++) {
    const job: StressJob = {
      buffers: main.memory.buffers, runtimeBuffer: runtime.buffer, overrides, threadIndex: t, hotKeys: shape.hotKeys,
      counterKeys: COUNTER_KEYS, runMs: RUN_MS,
    };
    workers.push(new Worker(new URL('./threads-stress-worker.js', import.meta.url), { workerData: job }));
  }
  // page moves while the workers run: the mover's try-locks against their verbs
  let moves = 0;
  const mover = setInterval(() => {
    if (main.slabsReassign(-1, 0) === 'OK') moves++;
    main.maintain();
  }, 5);
  const timeout = setTimeout(() => {
    for (const w of workers) void w.terminate();
  }, RUN_MS + 20_000);
  let reports: StressReport[];
  try {
    reports = await Promise.all(workers.map(async (w) => {
      const [report] = (await Promise.race([
        once(w, 'message'),
        once(w, 'error').then(([err]) => {
          throw err as Error;
        }),
        once(w, 'exit').then(([code]) => {
          throw new Error(`a worker exited (${String(code)}) without a report`);
        }),
      ])) as [StressReport];
      return report;
    }));
  } finally {
    clearInterval(mover);
    clearTimeout(timeout);
    // a failed worker leaves the others running: they must not keep the test process alive
    for (const w of workers) void w.terminate();
  }
  // let a page move under way finish (its busy items are free now)
  for (let i = 0; i < 100 && main.stats().slab_reassign_running === 1; i++) main.maintain();

  const ops = reports.reduce((n, r) => n + r.ops, 0);
  const stats = main.stats();
  assert.ok(ops > 10_000, `only ${ops} operations`);
  if (shape.mustEvict) assert.ok(stats.evictions > 0, 'the store never evicted: -m too large for the test');
  assert.ok(stats.hash_power_level >= shape.minHashPower, `the hash table stayed at power ${stats.hash_power_level}`);
  assert.deepEqual(reports.flatMap((r) => r.badValues), []);
  for (let c = 0; c < COUNTER_KEYS; c++) {
    const total = reports.reduce((n, r) => n + r.incrSums[c]!, 0);
    assert.equal(Number(get(main, `counter${c}`)), total, `counter${c}`);
  }
  const tokens = reports.flatMap((r) => r.casTokens).sort((a, b) => a - b);
  for (let i = 1; i < tokens.length; i++) assert.notEqual(tokens[i], tokens[i - 1], `cas ${tokens[i]} handed out twice`);
  assert.equal(main.audit(), null);
  t.diagnostic(`${ops} operations, ${reports.reduce((n, r) => n + r.reads, 0)} reads checked, ${tokens.length} stores, ` +
    `${stats.evictions} evictions, ${moves} page moves asked, ${stats.slabs_moved} done, ` +
    `${stats.slab_reassign_evictions_nomem} evictions_nomem, ${stats.get_hits} hits, ${stats.get_misses} misses, ${stats.curr_items} items, hash power ${stats.hash_power_level}`);
  main.close();
}
