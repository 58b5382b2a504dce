// `node dist/test/bench/watch-load.js`: the cost of a `watch fetchers` connection on sequential
// gets (one request in flight), memcachedts and Debian's memcached -t 1 side by side: ms per
// 20k gets without a watcher and with one that reads everything. Env: WATCH_BENCH_GETS (20000),
// WATCH_BENCH_ROUNDS (5; the median is shown).
import fs from 'node:fs';
import net from 'node:net';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { sleep } from '../support/wait.js';

const GETS = Number(process.env['WATCH_BENCH_GETS'] ?? 20000);
const ROUNDS = Number(process.env['WATCH_BENCH_ROUNDS'] ?? 5);

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** ms for n sequential `get foo` (a hit), each sent once the previous reply's END arrived. */
async function sequentialGets(port: number, n: number): Promise<number> {
  const s = await connect(port);
  s.setNoDelay(true);
  s.write('set foo 0 0 3\r\nbar\r\n');
  await new Promise<void>((r) => s.once('data', () => r()));
  const req = Buffer.from('get foo\r\n');
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    let left = n;
    let tail = '';
    s.on('data', (d: Buffer) => {
      tail = (tail + d.toString('latin1')).slice(-8);
      if (tail.endsWith('END\r\n')) {
        tail = '';
        if (--left === 0) resolve();
        else s.write(req);
      }
    });
    s.write(req);
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  s.destroy();
  return ms;
}

/** A watcher that reads and counts lines as fast as they come. */
async function watch(port: number): Promise<{ lines: () => number; close: () => void }> {
  const s = await connect(port);
  let lines = 0;
  s.on('data', (d: Buffer) => {
    for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
  });
  s.write('watch fetchers\r\n');
  while (lines === 0) await sleep(5);
  return { lines: () => lines - 1, close: () => s.destroy() };
}

/** CPU ms (user + system) the process has used: /proc/<pid>/stat fields 14 and 15, in ticks of 10 ms. */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'latin1').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Rounds alternate without and with a watcher, so a busy spell of the machine hits both. */
interface Figures { plain: number; watched: number; plainCpu: number; watchedCpu: number; lines: number }

async function measure(d: Daemon): Promise<Figures> {
  const plain: number[] = [];
  const watched: number[] = [];
  const plainCpu: number[] = [];
  const watchedCpu: number[] = [];
  const pid = d.proc.pid!;
  let lines = 0;
  for (let r = 0; r < ROUNDS; r++) {
    let c0 = cpuMs(pid);
    plain.push(await sequentialGets(d.port, GETS));
    plainCpu.push(cpuMs(pid) - c0);
    const w = await watch(d.port);
    c0 = cpuMs(pid);
    watched.push(await sequentialGets(d.port, GETS));
    const deadline = Date.now() + 3000;
    while (w.lines() < GETS + 1 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    watchedCpu.push(cpuMs(pid) - c0);
    lines = w.lines();
    w.close();
  }
  return { plain: median(plain), watched: median(watched), plainCpu: median(plainCpu), watchedCpu: median(watchedCpu), lines };
}

const rows: string[] = [];
for (const memcached of [false, true]) {
  const d = await startDaemon({ memcached, args: ['-t', '1'] });
  try {
    await sequentialGets(d.port, 2000); // warm-up
    const m = await measure(d);
    const name = memcached ? 'memcached -t 1' : 'memcachedts';
    rows.push(`${name.padEnd(16)} ${m.plain.toFixed(0).padStart(6)} ms (cpu ${m.plainCpu})   ` +
      `${m.watched.toFixed(0).padStart(6)} ms (cpu ${m.watchedCpu})   ${(m.plain / m.watched).toFixed(2)}x   ` +
      `lines seen ${m.lines}/${GETS + 1}`);
  } finally {
    await d.stop();
  }
}
console.log(`${GETS} sequential gets, median of ${ROUNDS} (wall ms, server cpu ms): no watcher | watch fetchers | throughput kept`);
for (const r of rows) console.log(r);
