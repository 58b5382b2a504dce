// Starts the servers under test for the benchmark: memcachedts -t 1 under `node --trace-gc` (so young
// GCs can be counted from its stdout) and Debian's `memcached -t 1`, each pinned to core 0 when
// taskset exists. test/support/daemon.ts passes args only to the bin, hence our own spawn here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, MEMCACHED_BIN, waitAccepting } from '../support/daemon.js';
import { freePort } from '../support/ports.js';
import { nodeFlagsOf } from '../support/node-flags.js';

/**
 * baseline: another checkout's memcachedts (BENCH_BASELINE=its directory, built), for before/after
 * runs; floor: echo-floor.js, our socket layer alone (small-value text loads only).
 */
export type ServerKind = 'memcachedts' | 'memcached' | 'baseline' | 'floor';
const BASELINE_DIR = process.env['BENCH_BASELINE'];

/** True for the sides that are a memcachedts build (their GC lines are counted). */
export function isNodeSide(kind: ServerKind): boolean {
  return kind !== 'memcached';
}

export const HAVE_TASKSET = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
export const CPUS = (() => {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'latin1').split('\n').filter((l) => l.startsWith('processor')).length || 1;
  } catch {
    return 1;
  }
})();
/** Pinning needs taskset, at least 2 cores, and BENCH_NO_PIN unset. */
export const PIN = HAVE_TASKSET && CPUS >= 2 && !process.env['BENCH_NO_PIN'];
/**
 * BENCH_THREADS=N: both servers run with -t N (default 1). Above 1 a server is not held to core
 * 0 (its threads may use every core; the load tool stays on core 1): compare ops per server
 * CPU-second as well as ops per second then.
 */
export const THREADS = Math.max(1, Math.floor(Number(process.env['BENCH_THREADS'] ?? 1)) || 1);
/** Servers are held to SERVER_CPU only at one thread. */
export const PIN_SERVER = PIN && THREADS === 1;
export const SERVER_CPU = '0';
export const LOAD_CPU = '1';

/** Prefix for a command that runs on the load generator's core. */
export function onLoadCore(cmd: string, args: string[]): [string, string[]] {
  return PIN ? ['taskset', ['-c', LOAD_CPU, cmd, ...args]] : [cmd, args];
}

export interface ServerOptions {
  memoryMb?: number;
  /** Extra node flags for memcachedts (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Extra daemon args. */
  args?: string[];
  /** -Z with these files (PEM) on the measured port; a notls: port beside it for flush_all and stats. */
  tls?: { readonly chainCert: string; readonly key: string };
}

export interface BenchServer {
  readonly kind: ServerKind;
  readonly port: number;
  /** A clear port for flush_all and stats: the measured port, or a notls: one beside a TLS port. */
  readonly adminPort: number;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** Scavenge lines seen on stdout so far (memcachedts only). */
  scavenges(): number;
  /** Mark-Compact / Mark-sweep lines so far. */
  fullGcs(): number;
  /** V8 heap used after the last traced GC, MB (NaN if no GC yet). */
  heapMb(): number;
  /** VmRSS and VmHWM in kB from /proc. */
  rssKb(): { rss: number; hwm: number };
  /** utime+stime in clock ticks from /proc/PID/stat. */
  cpuTicks(): number;
  stderr(): string;
  alive(): boolean;
  stop(): Promise<number | string>;
}

function readStatus(pid: number): { rss: number; hwm: number } {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
    const rss = /VmRSS:\s+(\d+)/.exec(s);
    const hwm = /VmHWM:\s+(\d+)/.exec(s);
    return { rss: rss ? Number(rss[1]) : Number.NaN, hwm: hwm ? Number(hwm[1]) : Number.NaN };
  } catch {
    return { rss: Number.NaN, hwm: Number.NaN };
  }
}

/** utime+stime of a process, or with `tid` of one of its threads (the main thread's tid is the pid). */
export function cpuTicksOf(pid: number, tid?: number): number {
  try {
    const s = fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'latin1');
    // comm may contain spaces: fields after the closing paren
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]); // utime, stime (fields 14, 15)
  } catch {
    return Number.NaN;
  }
}

/** Busy jiffies of the whole machine (all CPUs) from /proc/stat: everything but idle and iowait. */
export function machineBusyTicks(): number {
  try {
    const first = fs.readFileSync('/proc/stat', 'latin1').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = first;
    return user + nice + system + irq + softirq + steal;
  } catch {
    return Number.NaN;
  }
}

export const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'latin1' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

export async function startServer(kind: ServerKind, opts: ServerOptions = {}): Promise<BenchServer> {
  const port = await freePort();
  const adminPort = opts.tls === undefined ? port : await freePort();
  const mem = String(opts.memoryMb ?? 1024);
  const listen = opts.tls === undefined ? ['-l', '127.0.0.1'] : ['-l', `127.0.0.1,notls:127.0.0.1:${adminPort}`, '-Z', '-o', `ssl_chain_cert=${opts.tls.chainCert},ssl_key=${opts.tls.key}`];
  const common = ['-t', String(THREADS), '-p', String(port), ...listen, '-m', mem, ...(opts.args ?? [])];
  if (process.getuid?.() === 0) common.unshift('-u', 'root');
  let cmd: string;
  let argv: string[];
  if (kind === 'memcached') {
    cmd = MEMCACHED_BIN;
    argv = common;
  } else if (kind === 'floor') {
    cmd = process.execPath;
    argv = ['--trace-gc', path.join(path.dirname(fileURLToPath(import.meta.url)), 'echo-floor.js'), '--port', String(port)];
  } else {
    if (kind === 'baseline' && BASELINE_DIR === undefined) throw new Error('BENCH_BASELINE (a built checkout) is needed for the baseline side');
    const bin = kind === 'baseline' ? path.join(BASELINE_DIR!, 'bin', 'memcachedts.js') : BIN;
    cmd = process.execPath;
    argv = ['--trace-gc', ...nodeFlagsOf(bin), ...(opts.nodeFlags ?? []), bin, ...common];
  }
  if (PIN_SERVER) {
    argv = ['-c', SERVER_CPU, cmd, ...argv];
    cmd = 'taskset';
  }
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let scav = 0;
  let full = 0;
  let heap = Number.NaN;
  let partial = '';
  proc.stderr!.on('data', (d: Buffer) => {
    if (err.length < 100_000) err += d.toString('latin1');
  });
  proc.stdout!.on('data', (d: Buffer) => {
    const text = partial + d.toString('latin1');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      if (l.includes('Scavenge')) scav++;
      else if (l.includes('Mark-Compact') || l.includes('Mark-sweep') || l.includes('Mark-Sweep')) full++;
      else continue;
      // "... Scavenge 4.1 (5.6) -> 3.8 (6.6) MB, ..."
      const m = /->\s*([\d.]+)\s*\(([\d.]+)\)\s*MB/.exec(l);
      if (m) heap = Number(m[1]);
    }
  });
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  await waitAccepting(proc, { port: adminPort, host: '127.0.0.1' }, () => err, 15_000);
  const pid = proc.pid!;
  return {
    kind,
    port,
    adminPort,
    pid,
    proc,
    scavenges: () => scav,
    fullGcs: () => full,
    heapMb: () => heap,
    rssKb: () => readStatus(pid),
    cpuTicks: () => cpuTicksOf(pid),
    stderr: () => err,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        const r = await exited;
        clearTimeout(t);
        return r;
      }
      return exited;
    },
  };
}

/** Sends one text command and resolves with the reply up to a line in `ends` (bounded). */
export function command(port: number, cmd: string, ends: string[] = ['OK', 'END'], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no reply to ${cmd.trim()}: ${JSON.stringify(buf.slice(0, 200))}`));
    }, timeoutMs);
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const lines = buf.split('\r\n');
      for (const l of lines.slice(0, -1)) {
        if (ends.includes(l) || l.startsWith('ERROR') || l.startsWith('CLIENT_ERROR') || l.startsWith('SERVER_ERROR')) {
          clearTimeout(t);
          s.destroy();
          resolve(buf);
          return;
        }
      }
    });
    s.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    s.write(cmd);
  });
}

/** `stats` as a record. */
export async function stats(port: number): Promise<Record<string, string>> {
  const text = await command(port, 'stats\r\n', ['END']);
  const out: Record<string, string> = {};
  for (const l of text.split('\r\n')) {
    const m = /^STAT (\S+) (.*)$/.exec(l);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}
