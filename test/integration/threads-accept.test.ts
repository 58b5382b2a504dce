// What the threaded server's accept path relies on (docs/threads.md, "Listeners"): worker
// threads share the process's descriptors, so N threads can each run a net.Server over ONE
// listening socket (`listen({ fd })`), and the kernel hands every new connection to one of
// them. Also pinned: closing the socket in any one thread closes it for all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { within } from '../support/wait.js';
import { listeningFd, type AcceptWorkerData, type AcceptWorkerReady } from './threads-accept-worker.js';

const WORKER_URL = new URL('./threads-accept-worker.js', import.meta.url);
const WORKERS = 4;
const CONNECTIONS = 200;

function startWorker(fd: number | null, workerNo: number): Promise<{ worker: Worker; ready: AcceptWorkerReady }> {
  const data: AcceptWorkerData = { fd, workerNo };
  const worker = new Worker(WORKER_URL, { workerData: data });
  return within(new Promise((resolve, reject) => {
    worker.once('message', (ready: AcceptWorkerReady) => resolve({ worker, ready }));
    worker.once('error', reject);
  }), 10_000, 'worker ' + workerNo + ' to listen');
}

/** Opens CONNECTIONS connections at once and keeps them; returns who answered each, by number. */
async function connectAll(port: number): Promise<{ answeredBy: number[]; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const answers = await within(Promise.all(Array.from({ length: CONNECTIONS }, () => new Promise<number>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    sockets.push(s);
    s.once('data', (d: Buffer) => resolve(Number(d.toString('latin1').trim())));
    s.once('error', reject);
  }))), 15_000, 'every connection to be answered');
  return { answeredBy: answers, sockets };
}

test(`${WORKERS} worker threads accept on one socket the main thread opened; connections spread`, async (t) => {
  let acceptedByMain = 0;
  const main = net.createServer((s) => {
    acceptedByMain++;
    s.write('-1\n');
  });
  await new Promise<void>((resolve) => main.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const port = (main.address() as net.AddressInfo).port;
  const workers = await Promise.all(Array.from({ length: WORKERS }, (_, i) => startWorker(listeningFd(main), i)));
  try {
    const { answeredBy, sockets } = await connectAll(port);
    const perWorker = new Array<number>(WORKERS).fill(0);
    for (const n of answeredBy) if (n >= 0) perWorker[n]!++;
    for (const s of sockets) s.destroy();
    t.diagnostic(`connections per worker: ${perWorker.join(' ')}; main thread: ${acceptedByMain}`);
    assert.equal(acceptedByMain + perWorker.reduce((a, b) => a + b, 0), CONNECTIONS, 'every connection answered once');
    // The main thread's own server accepts too (it polls the same socket): the design has a
    // serving thread open the listeners for that reason. Here only the spread matters.
    assert.ok(perWorker.filter((n) => n > 0).length >= 2, `connections spread over the workers: ${perWorker.join(' ')} (main ${acceptedByMain})`);
  } finally {
    await Promise.all(workers.map((w) => w.worker.terminate()));
    main.close();
  }
});

test('the first worker binds, the others listen on its descriptor; closing it in one thread closes it for all', async (t) => {
  const first = await startWorker(null, 0);
  const rest = await Promise.all(Array.from({ length: WORKERS - 1 }, (_, i) => startWorker(first.ready.fd, i + 1)));
  const workers = [first, ...rest];
  try {
    for (const w of rest) assert.equal(w.ready.port, first.ready.port, 'the same socket');
    const { answeredBy, sockets } = await connectAll(first.ready.port);
    const perWorker = new Array<number>(WORKERS).fill(0);
    for (const n of answeredBy) perWorker[n]!++;
    for (const s of sockets) s.destroy();
    t.diagnostic(`connections per worker: ${perWorker.join(' ')}`);
    assert.ok(perWorker.filter((n) => n > 0).length >= 2, `connections spread over the workers: ${perWorker.join(' ')}`);
    // The kernel socket is one: a thread that closes "its" server closes everybody's.
    await first.worker.terminate();
    const refused = await within(new Promise<string>((resolve) => {
      const s = net.connect(first.ready.port, '127.0.0.1');
      s.once('data', () => {
        s.destroy();
        resolve('answered');
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    }), 5000, 'a connection after the close');
    assert.equal(refused, 'ECONNREFUSED');
  } finally {
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
});
