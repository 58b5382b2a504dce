// A worker_thread for store-memory.test.ts (not a test file itself): attaches a Cache to the
// store memory main made, reads the key main set, stores one of its own, and reports both.
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
}

const { buffers, overrides } = workerData as { buffers: StoreBuffers; overrides: Partial<Settings> };
const settings = makeSettings(overrides);
const store = new Cache(settings, new ManualClock(), new RuntimeSettings(settings), StoreMemory.attach(buffers));
const seen = get(store, 'from-main');
const storeResult = set(store, 'from-worker', 'w'.repeat(5000));
const report: WorkerReport = { seen, storeResult, cas: getView(store, 'from-worker')?.cas ?? 0 };
store.close();
parentPort!.postMessage(report);
