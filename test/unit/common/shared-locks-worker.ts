// A worker_threads body for shared-locks.test.ts: counts itself in at W_READY, then increments
// a pair of plain (non-atomic) counters under a lock, checking on every entry that the pair
// agrees (a torn pair means two threads were inside at once). The test holds every lock until
// all workers are in, so each worker's first attempt finds its lock taken and waits: the
// threads do meet at the locks however the machine schedules them.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { lock, StripedLocks, tryLock, unlock } from '../../../src/common/shared-locks.js';

export interface LockWorkerData {
  readonly shared: SharedArrayBuffer;
  /** 'mutex': the lock word at W_LOCK; 'striped': a StripedLocks table at W_STRIPES. */
  readonly mode: 'mutex' | 'striped';
  readonly iterations: number;
  readonly seed: number;
}

/** Word indexes in the shared Int32Array. */
export const W_READY = 0;
export const W_LOCK = 1;
export const W_TORN = 2;
export const W_CONTENDED = 3;
/** Counter pairs: 2 words per pair, one pair per stripe (the mutex uses pair 0). */
export const W_PAIRS = 4;
export const STRIPES = 4;
export const W_STRIPES = W_PAIRS + 2 * STRIPES;
export const SHARED_WORDS = W_STRIPES + STRIPES;

/** The worker body: the test file imports the layout above from the main thread. */
function run(data: LockWorkerData): void {
  const words = new Int32Array(data.shared);
  const stripes = new StripedLocks(words, W_STRIPES, STRIPES);

  Atomics.add(words, W_READY, 1);
  let torn = 0;
  let contended = 0;
  let x = data.seed >>> 0 || 1;
  for (let i = 0; i < data.iterations; i++) {
    let pair = W_PAIRS;
    let hv = 0;
    if (data.mode === 'mutex') {
      if (!tryLock(words, W_LOCK)) {
        contended++;
        lock(words, W_LOCK);
      }
    } else {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      hv = x >>> 0;
      pair = W_PAIRS + 2 * (stripes.stripeOf(hv) - W_STRIPES);
      if (!stripes.tryLock(hv)) {
        contended++;
        stripes.lock(hv);
      }
    }
    const a = words[pair]!;
    if (a !== words[pair + 1]) torn++;
    words[pair] = a + 1;
    words[pair + 1] = a + 1;
    if (data.mode === 'mutex') unlock(words, W_LOCK);
    else stripes.unlock(hv);
  }
  Atomics.add(words, W_TORN, torn);
  Atomics.add(words, W_CONTENDED, contended);
  parentPort!.postMessage('done');
}

if (!isMainThread) run(workerData as LockWorkerData);
