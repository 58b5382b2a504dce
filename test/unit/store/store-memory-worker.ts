// A worker_thread for store-memory.test.ts (not a test file itself): attaches a Cache to the
// store memory main made, reads the key main set, stores one of its own, and reports both; it
// also reads the shared clock and writes a shared run-time setting.
import { parentPort, workerData } from 'node:worker_threads';
import { RuntimeSettings } from '../../../src/config/runtime-settings.js';
import { makeSettings, type Settings } from '../../../src/config/settings.js';
import { Cache } from '../../../src/store/cache.js';
import { ManualClock } from '../../../src/store/clock.js';
import { StoreMemory, type StoreBuffers } from '../../../src/store/store-memory.js';
import { get, getView, set } from './helpers.js';

export interface WorkerReport {
  readonly seen: string | null;
  readonly storeResult: number;
  readonly cas: number;
  readonly processStarted: number;
  readonly memLimitBytes: number;
}

const { buffers, runtimeBuffer, overrides } = workerData as {
  buffers: StoreBuffers; runtimeBuffer: SharedArrayBuffer; overrides: Partial<Settings>;
};
const runtime = new RuntimeSettings(runtimeBuffer);
// a clock 1000 s ahead of main's: the store's clock had started, so it keeps main's start
const store = new Cache(makeSettings(overrides), new ManualClock(1_700_001_000), runtime, StoreMemory.attach(buffers));
const seen = get(store, 'from-main');
const storeResult = set(store, 'from-worker', 'w'.repeat(5000));
const report: WorkerReport = {
  seen, storeResult, cas: getView(store, 'from-worker')?.cas ?? 0, processStarted: store.processStarted, memLimitBytes: runtime.memLimitBytes,
};
runtime.lruCrawlerSleepUs = 1234;
store.close();
parentPort!.postMessage(report);
