// node dist/test/bench/thread-memory.js — RSS per serving thread (issue #20's memory budget),
// side by side with Debian's memcached: each server at -m 64 and -t 1, 2, 4, its VmRSS idle
// (1 s after it accepts) and filled (1.5 x -m of 1000-byte values set over one connection,
// pipelined with noreply, then an `mn` to wait for the last). THREAD_MEMORY_BASELINE=DIR adds
// another built checkout (its bin/memcachedts.js) as a "baseline" column: before/after in one run.
// THREAD_MEMORY_THREADS=1,4 picks the thread counts. THREAD_MEMORY_HEAP=1 also prints each
// thread's V8 heap (used / committed MiB, idle and filled) of our servers, read through
// thread-heap.ts preloaded with --import and asked for with SIGUSR2.
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeFlagsOf } from '../support/node-flags.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MEMCACHED_BIN = '/usr/bin/memcached';
const MEM_MB = 64;
const VALUE_SIZE = 1000;
const FILL_BYTES = 1.5 * MEM_MB * 1024 * 1024;
const BATCH = 500;
// The budget: -m + 64 MiB at -t 1, plus 12 MiB per further thread.
const budget = (threads: number): number => MEM_MB + 64 + 12 * (threads - 1);

interface Server {
  name: string;
  cmd: string;
  args: (port: number, threads: number) => string[];
  /** Ours (Node): can preload thread-heap.ts. */
  isNode: boolean;
}

const WANTS_HEAP = process.env['THREAD_MEMORY_HEAP'] === '1';
const HEAP_PRELOAD = new URL('./thread-heap.js', import.meta.url).href;

const common = (port: number, threads: number): string[] =>
  ['-u', 'nobody', '-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', String(MEM_MB), '-t', String(threads)];
const ours = (name: string, dir: string): Server => ({
  name,
  cmd: process.execPath,
  args: (port, threads) => [...(WANTS_HEAP ? ['--import', HEAP_PRELOAD] : []), ...nodeFlagsOf(path.join(dir, 'bin/memcachedts.js')), path.join(dir, 'bin/memcachedts.js'), ...common(port, threads)],
  isNode: true,
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function connect(port: number, deadline: number): Promise<net.Socket> {
  for (;;) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(50);
    }
  }
}

/** Sends `bytes` then waits until the replies end with `until`. */
function exchange(sock: net.Socket, bytes: Buffer, until: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer): void => {
      seen = (seen + d.toString('latin1')).slice(-64);
      if (seen.endsWith(until)) {
        sock.off('data', onData);
        sock.off('error', reject);
        resolve();
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.write(bytes);
  });
}

async function fill(sock: net.Socket): Promise<void> {
  const value = Buffer.alloc(VALUE_SIZE, 'v');
  const count = Math.ceil(FILL_BYTES / VALUE_SIZE);
  for (let i = 0; i < count; i += BATCH) {
    const parts: Buffer[] = [];
    for (let j = i; j < Math.min(count, i + BATCH); j++) {
      parts.push(Buffer.from(`set key:${j} 0 0 ${VALUE_SIZE} noreply\r\n`, 'latin1'), value, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from('mn\r\n'));
    await exchange(sock, Buffer.concat(parts), 'MN\r\n');
  }
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const kill = setTimeout(() => proc.kill('SIGKILL'), 3000);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** Each thread's `used/committed` V8 heap in MiB, main first (thread-heap.ts's lines). */
async function heapLine(proc: ChildProcess, stderr: { text: string }): Promise<string> {
  stderr.text = '';
  proc.kill('SIGUSR2');
  await sleep(300);
  const rows = [...stderr.text.matchAll(/^thread-heap (\d+) (\S+) (\S+)$/gm)].map((m) => [Number(m[1]), `${m[2]}/${m[3]}`] as const);
  rows.sort((a, b) => a[0] - b[0]);
  return rows.map(([id, figures]) => `${id === 0 ? 'main' : 't' + id} ${figures}`).join(', ');
}

interface Measured {
  idle: number;
  filled: number;
  heap?: { idle: string; filled: string };
}

async function measure(server: Server, threads: number): Promise<Measured> {
  const port = await freePort();
  const withHeap = WANTS_HEAP && server.isNode;
  const proc = spawn(server.cmd, server.args(port, threads), { stdio: ['ignore', 'ignore', withHeap ? 'pipe' : 'inherit'] });
  const stderr = { text: '' };
  proc.stderr?.on('data', (d: Buffer) => {
    stderr.text += d.toString('latin1');
  });
  try {
    const sock = await connect(port, Date.now() + 10_000);
    await sleep(1000);
    const idle = rssMiB(proc.pid!);
    const idleHeap = withHeap ? await heapLine(proc, stderr) : '';
    await fill(sock);
    await sleep(200);
    const filled = rssMiB(proc.pid!);
    const filledHeap = withHeap ? await heapLine(proc, stderr) : '';
    sock.destroy();
    return withHeap ? { idle, filled, heap: { idle: idleHeap, filled: filledHeap } } : { idle, filled };
  } finally {
    await stop(proc);
  }
}

async function main(): Promise<void> {
  const servers: Server[] = [ours('memcachedts', ROOT)];
  const baseline = process.env['THREAD_MEMORY_BASELINE'];
  if (baseline) servers.push(ours('baseline', path.resolve(baseline)));
  servers.push({ name: 'memcached', cmd: MEMCACHED_BIN, args: common, isNode: false });
  const threadCounts = (process.env['THREAD_MEMORY_THREADS'] ?? '1,2,4').split(',').map(Number);

  const results = new Map<string, Measured>();
  for (const threads of threadCounts) {
    for (const server of servers) results.set(`${server.name}/${threads}`, await measure(server, threads));
  }
  const f = (n: number | undefined): string => (n === undefined ? '-' : n.toFixed(1));
  const header = ['-t', ...servers.flatMap((s) => [`${s.name} idle`, `${s.name} filled`]), 'budget'];
  const rows = threadCounts.map((threads) => [
    String(threads),
    ...servers.flatMap((s) => {
      const r = results.get(`${s.name}/${threads}`);
      return [f(r?.idle), f(r?.filled)];
    }),
    String(budget(threads)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(`RSS in MiB (VmRSS), -m ${MEM_MB}, filled with ${(FILL_BYTES / 1048576).toFixed(0)} MiB of ${VALUE_SIZE}-byte values`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  // Per further thread: the slope between the first and the last thread count.
  const lo = threadCounts[0]!;
  const hi = threadCounts[threadCounts.length - 1]!;
  if (hi > lo) {
    for (const s of servers) {
      const a = results.get(`${s.name}/${lo}`)!;
      const b = results.get(`${s.name}/${hi}`)!;
      console.log(`${s.name}: per further thread ${f((b.idle - a.idle) / (hi - lo))} idle, ${f((b.filled - a.filled) / (hi - lo))} filled`);
    }
  }
  if (WANTS_HEAP) {
    console.log('V8 heap per thread, used/committed MiB:');
    for (const [key, r] of results) {
      if (r.heap !== undefined) console.log(`${key} idle: ${r.heap.idle}\n${key} filled: ${r.heap.filled}`);
    }
  }
}

await main();
