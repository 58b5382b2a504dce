// A worker_thread of threads-stress.test.ts (not a test file itself): attaches a Cache to the
// store memory main made and runs random verbs on the hot keys for a bounded time, checking
// every value it reads (test/hostile/stress-values.ts), then reports what it did.
import { parentPort, workerData } from 'node:worker_threads';
import { RuntimeSettings } from '../../../src/config/runtime-settings.js';
import { makeSettings, type Settings } from '../../../src/config/settings.js';
import { Cache } from '../../../src/store/cache.js';
import { systemClock } from '../../../src/store/clock.js';
import { StoreMemory, type StoreBuffers } from '../../../src/store/store-memory.js';
import { DeltaResult, GetOpt, newItemView, StoreMode, StoreResult } from '../../../src/store/store.js';
import { SeededRandom } from '../../support/random.js';
import { baseFlags, checkValue, makePiece, PieceKind } from '../../hostile/stress-values.js';

export interface StressJob {
  readonly buffers: StoreBuffers;
  readonly runtimeBuffer: SharedArrayBuffer;
  readonly overrides: Partial<Settings>;
  readonly threadIndex: number;
  readonly hotKeys: number;
  readonly counterKeys: number;
  readonly runMs: number;
}

export interface StressReport {
  readonly ops: number;
  readonly reads: number;
  /** Why values read were not ones clients wrote (the first few). */
  readonly badValues: string[];
  /** The cas of every successful store, incr included. */
  readonly casTokens: number[];
  /** What this worker added to each counter key. */
  readonly incrSums: number[];
}

/** Values stop growing by append/prepend past this many bytes (a set starts them over). */
const VALUE_MAX = 24_000;
const OPS_PER_TURN = 200;

const job = workerData as StressJob;
const settings = makeSettings(job.overrides);
const store = new Cache(settings, systemClock, new RuntimeSettings(job.runtimeBuffer), StoreMemory.attach(job.buffers),
  { runsBackgroundJobs: false, threadIndex: job.threadIndex });
const random = new SeededRandom(0x5eed + job.threadIndex);
const view = newItemView();
const writer = job.threadIndex + 1;
let seq = 0;
let reads = 0;
const badValues: string[] = [];
const casTokens: number[] = [];
const incrSums = new Array<number>(job.counterKeys).fill(0);

function keyBuf(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** get: the value (checked) or null; view holds the item. */
function read(key: string): string | null {
  const k = keyBuf(key);
  if (!store.get(k, 0, k.length, view, GetOpt.None, 0)) return null;
  const out = Buffer.alloc(view.valueLen);
  store.copyValue(view.ref, 0, out, 0, view.valueLen);
  reads++;
  const value = out.toString('latin1');
  const bad = checkValue(key, value, view.flags);
  if (bad !== null && badValues.length < 5) badValues.push(`${key}: ${bad} (${value.length} bytes)`);
  return value;
}

function store1(key: string, value: string, flags: number, mode: StoreMode, cas: number, exptime: number): void {
  const k = keyBuf(key);
  const v = Buffer.from(value, 'latin1');
  const ref = store.allocate(k, 0, k.length, flags, exptime, v.length);
  if (ref < 0) return;
  store.writeValue(ref, 0, v, 0, v.length);
  if (store.link(ref, mode, cas) === StoreResult.Stored) casTokens.push(store.lastCas);
}

function piece(key: string, kind: PieceKind): string {
  // sizes over several slab classes, a few chained (past the largest chunk)
  const len = random.int(8) === 0 ? 2000 + random.int(14_000) : 20 + random.int(600);
  return makePiece(key, writer, ++seq, kind, len, random);
}

function oneOp(): void {
  const op = random.int(100);
  if (op < 8) {
    const c = random.int(job.counterKeys);
    const by = 1 + random.int(5);
    const k = keyBuf(`counter${c}`);
    if (store.delta(k, 0, k.length, true, BigInt(by), 0, 0n, null, null) === DeltaResult.Ok) {
      incrSums[c]! += by;
      casTokens.push(store.lastCas);
    }
    return;
  }
  const key = `hot${random.int(job.hotKeys)}`;
  const exptime = random.int(20) === 0 ? 1 : 0;
  if (op < 45) {
    read(key);
  } else if (op < 62) {
    const s = seq + 1;
    store1(key, piece(key, PieceKind.Base), baseFlags(writer, s), StoreMode.Set, 0, exptime);
  } else if (op < 67) {
    const s = seq + 1;
    store1(key, piece(key, PieceKind.Base), baseFlags(writer, s), StoreMode.Add, 0, exptime);
  } else if (op < 77) {
    const value = read(key);
    if (value === null) return;
    const s = seq + 1;
    store1(key, piece(key, PieceKind.Base), baseFlags(writer, s), StoreMode.Cas, view.cas, exptime);
  } else if (op < 85) {
    const value = read(key);
    if (value === null || value.length > VALUE_MAX) return;
    const isAppend = random.int(2) === 0;
    store1(key, piece(key, isAppend ? PieceKind.Append : PieceKind.Prepend), 0, isAppend ? StoreMode.Append : StoreMode.Prepend, 0, 0);
  } else if (op < 90) {
    const k = keyBuf(key);
    store.delete(k, 0, k.length, 0);
  } else if (op < 95) {
    const k = keyBuf(key);
    store.touch(k, 0, k.length, random.int(4) === 0 ? 1 : 0);
  } else {
    // incr of a hot key: not a number, so nothing changes
    const k = keyBuf(key);
    const result = store.delta(k, 0, k.length, true, 1n, 0, 0n, null, null);
    if (result === DeltaResult.Ok && badValues.length < 5) badValues.push(`${key}: incr of a non-numeric value succeeded`);
  }
}

async function run(): Promise<void> {
  const deadline = performance.now() + job.runMs;
  let ops = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < OPS_PER_TURN; i++) oneOp();
    ops += OPS_PER_TURN;
    // let the reader reference of the last get go, as a server between batches
    await new Promise((resolve) => setImmediate(resolve));
  }
  store.close();
  const report: StressReport = { ops, reads, badValues, casTokens, incrSums };
  parentPort!.postMessage(report);
}

void run();
