// The figures docs/threads.md cites for the threaded store's building blocks, on this machine:
//   (a) an uncontended lock + unlock pair (shared-locks.ts), a bare Atomics.compareExchange
//       pair and single Atomics operations, in tight loops; and two worker threads taking
//       one lock in turn;
//   (b) the store's hot loop shapes (a sequential pass reading and writing words; a chain walk
//       with dependent loads, as hash-table.ts find()) over a Uint32Array on an ArrayBuffer, a
//       SharedArrayBuffer, and a growable SharedArrayBuffer through a length-tracking view and
//       through a fixed-length view;
//   (d) a Buffer over a SharedArrayBuffer written to a socket (socket.write(), and the direct
//       handle write of net/socket-writer.ts) is sent from the shared memory itself: bytes
//       changed after the call returned, while the kernel had not taken them yet, arrive
//       changed (a copy would have sent the old ones).
// (c), several worker threads accepting on one listening socket, is
// test/integration/threads-accept.test.ts.
//
// Times are CPU time (process.cpuUsage), not wall time: the machine is shared. Each view kind
// runs in its own child process, so no loop sees more than one kind of array (V8 would
// otherwise compile the loop for all of them and slow every one down).
//
//   npx tsc -p . && node dist/test/bench/threads-primitives.js
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { lock, unlock } from '../../src/common/shared-locks.js';
import { SocketWriter } from '../../src/net/socket-writer.js';

const ROUNDS = 5;
const VIEW_KINDS = ['ArrayBuffer', 'SharedArrayBuffer', 'growable SAB, length-tracking view', 'growable SAB, fixed-length view'] as const;
type ViewKind = (typeof VIEW_KINDS)[number];
const VIEW_BYTES = 64 * 1024 * 1024;

/** SharedArrayBuffer's growable form (ES2024; V8 in Node 20 has it, the ES2022 lib types do not). */
const GrowableSab = SharedArrayBuffer as unknown as new (bytes: number, opts: { maxByteLength: number }) => SharedArrayBuffer;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** CPU ns per unit of body(), median of ROUNDS runs after one warm-up. */
function nsPer(units: number, body: () => number): number {
  let sink = body();
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = cpuUs();
    sink += body();
    samples.push(((cpuUs() - t0) * 1000) / units);
  }
  if (sink === 0.5) console.log(sink); // keeps the loops' results alive
  return median(samples);
}

function atomicCosts(): void {
  const words = new Int32Array(new SharedArrayBuffer(64));
  const n = 10_000_000;
  const casPair = nsPer(n, () => {
    for (let i = 0; i < n; i++) {
      Atomics.compareExchange(words, 3, 0, 1);
      Atomics.compareExchange(words, 3, 1, 0);
    }
    return words[3]!;
  });
  const lockPair = nsPer(n, () => {
    for (let i = 0; i < n; i++) {
      lock(words, 5);
      unlock(words, 5);
    }
    return words[5]!;
  });
  const load = nsPer(n, () => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Atomics.load(words, 7);
    return sum;
  });
  const add = nsPer(n, () => {
    for (let i = 0; i < n; i++) Atomics.add(words, 9, 1);
    return words[9]!;
  });
  const plainPair = nsPer(n, () => {
    for (let i = 0; i < n; i++) {
      words[11] = 1;
      words[11] = 0;
    }
    return words[11]!;
  });
  console.log(`(a) per iteration: compareExchange 0->1 then 1->0 ${casPair.toFixed(1)} ns; lock()+unlock() ${lockPair.toFixed(1)} ns; ` +
    `Atomics.load ${load.toFixed(1)} ns; Atomics.add ${add.toFixed(1)} ns; two plain stores ${plainPair.toFixed(1)} ns`);
}

function makeView(kind: ViewKind): Uint32Array {
  switch (kind) {
    case 'ArrayBuffer':
      return new Uint32Array(new ArrayBuffer(VIEW_BYTES));
    case 'SharedArrayBuffer':
      return new Uint32Array(new SharedArrayBuffer(VIEW_BYTES));
    case 'growable SAB, length-tracking view':
      return new Uint32Array(new GrowableSab(VIEW_BYTES, { maxByteLength: 2 ** 32 }));
    case 'growable SAB, fixed-length view':
      return new Uint32Array(new GrowableSab(VIEW_BYTES, { maxByteLength: 2 ** 32 }), 0, VIEW_BYTES >>> 2);
  }
}

/** One child process: prints "<sequential ns per word> <chain ns per step>". */
function viewCosts(kind: ViewKind): void {
  const w = makeView(kind);
  const mask = w.length - 1;
  // a fixed stride keeps the chain hopping across the whole array (cache misses, as a big table)
  for (let i = 0; i < w.length; i += 4) w[i] = (i + 4 * 40503) & mask & ~3;
  const sequential = nsPer(w.length, () => {
    let sum = 0;
    for (let i = 0; i < w.length; i += 4) {
      sum += w[i + 1]!;
      w[i + 2] = i;
    }
    return sum;
  }) * 4;
  const steps = 5_000_000;
  const chain = nsPer(steps, () => {
    let at = 0;
    let sum = 0;
    for (let s = 0; s < steps; s++) {
      const next = w[at]!;
      sum += w[at + 3]!;
      w[at + 1] = s;
      at = next;
    }
    return sum;
  });
  console.log(sequential.toFixed(3) + ' ' + chain.toFixed(1));
}

/** Writes a 32 MiB shared Buffer through write(), then overwrites its last MiB; prints what arrived. */
async function zeroCopyWrite(path: string, write: (socket: net.Socket, payload: Buffer) => void): Promise<void> {
  const size = 32 * 1024 * 1024;
  const payload = Buffer.from(new SharedArrayBuffer(size));
  payload.fill(0x41); // 'A'
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  client.pause(); // the kernel's buffers fill; the rest of the write waits in libuv, unsent
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const sender = await accepted;
  write(sender, payload);
  payload.fill(0x42, size - 1024 * 1024); // 'B' over the last MiB, after the write call returned
  let received = 0;
  let changed = 0;
  client.on('data', (chunk: Buffer) => {
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 0x42) changed++;
    received += chunk.length;
  });
  client.resume();
  const deadline = Date.now() + 30_000;
  while (received < size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  client.destroy();
  sender.destroy();
  server.close();
  console.log(`(d) ${path}: 32 MiB Buffer over a SharedArrayBuffer; of its last MiB, overwritten after the call returned, ` +
    `${changed} of ${1024 * 1024} bytes arrived overwritten (${changed === 1024 * 1024 ? 'sent from the shared memory, no copy' : 'a copy, or partly sent before'})`);
}

/** Worker body: lock + unlock the word 0 lock `pairs` times after a start barrier at word 1. */
function contendedWorker(shared: SharedArrayBuffer, pairs: number, workers: number): void {
  const words = new Int32Array(shared);
  Atomics.add(words, 1, 1);
  while (Atomics.load(words, 1) < workers) Atomics.wait(words, 1, Atomics.load(words, 1), 10);
  for (let i = 0; i < pairs; i++) {
    lock(words, 0);
    words[2]!++;
    unlock(words, 0);
  }
  parentPort!.postMessage('done');
}

/**
 * Two threads taking one lock in turn: wall and CPU ns per lock + unlock pair. CPU is the whole
 * process's (Node 20 has no per-thread figure), thread start-up included.
 */
async function contendedLock(): Promise<void> {
  const workers = 2;
  const pairs = 2_000_000;
  const shared = new SharedArrayBuffer(16);
  const self = fileURLToPath(import.meta.url);
  const t0 = process.hrtime.bigint();
  const cpu0 = cpuUs();
  await Promise.all(Array.from({ length: workers }, () => new Promise<void>((resolve, reject) => {
    const w = new Worker(self, { workerData: { shared, pairs, workers } });
    w.once('message', () => resolve());
    w.once('error', reject);
  })));
  const cpuNs = (cpuUs() - cpu0) * 1000;
  const wallNs = Number(process.hrtime.bigint() - t0);
  const total = workers * pairs;
  const count = new Int32Array(shared)[2]!;
  console.log(`(a) contended: ${workers} worker threads x ${pairs} lock+unlock pairs on one word: ${(wallNs / total).toFixed(0)} ns wall, ` +
    `${(cpuNs / total).toFixed(0)} ns process CPU per pair (thread start-up included); counter ${count} of ${total}`);
}

const child = process.argv[2];
if (!isMainThread) {
  const data = workerData as { shared: SharedArrayBuffer; pairs: number; workers: number };
  contendedWorker(data.shared, data.pairs, data.workers);
} else if (child !== undefined) {
  viewCosts(child as ViewKind);
} else {
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}`);
  atomicCosts();
  await contendedLock();
  const self = fileURLToPath(import.meta.url);
  const seq = new Map<ViewKind, number[]>(VIEW_KINDS.map((k) => [k, []]));
  const chain = new Map<ViewKind, number[]>(VIEW_KINDS.map((k) => [k, []]));
  for (let round = 0; round < 3; round++) {
    for (const kind of VIEW_KINDS) {
      const [s, c] = execFileSync(process.execPath, [self, kind], { encoding: 'latin1' }).trim().split(' ').map(Number);
      seq.get(kind)!.push(s!);
      chain.get(kind)!.push(c!);
    }
  }
  for (const kind of VIEW_KINDS) {
    console.log(`(b) ${kind}: sequential read+write ${median(seq.get(kind)!).toFixed(2)} ns per word pair; chain step ${median(chain.get(kind)!).toFixed(1)} ns`);
  }
  await zeroCopyWrite('socket.write()', (socket, payload) => socket.write(payload));
  await zeroCopyWrite('net/socket-writer.ts direct write', (socket, payload) => new SocketWriter(socket, () => {}).write(payload));
}
