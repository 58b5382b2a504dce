// Running the load tools: memcaslap (libmemcached-tools) and our own generators, each as a
// separate process on the load core, with its output parsed into one result shape.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLK_TCK, cpuTicksOf, onLoadCore } from './servers.js';

export const MEMCASLAP = ['/usr/bin/memcaslap', '/usr/bin/memaslap'].find((p) => fs.existsSync(p)) ?? null;
const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface LoadResult {
  ok: boolean;
  /** Operations completed (memcaslap: keys for multi-get; ours: requests). */
  ops: number;
  seconds: number;
  opsPerSec: number;
  /** Value bytes moved per second (sets + gets), when known. */
  bytesPerSec?: number;
  p50us: number;
  p99us: number;
  p999us?: number;
  avgus?: number;
  misses?: number;
  errors: number;
  firstError?: string;
  /** CPU seconds the load generator used (sampled from /proc). */
  loadCpuSec: number;
  raw?: unknown;
  error?: string;
}

interface Exec {
  code: number | string;
  stdout: string;
  stderr: string;
  cpuTicks: number;
}

/** Runs a command on the load core; kills it after timeoutMs. Samples its CPU ticks. */
export function execLoad(cmd: string, args: string[], timeoutMs: number): Promise<Exec> {
  const [c, a] = onLoadCore(cmd, args);
  return new Promise((resolve) => {
    const proc = spawn(c, a, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let ticks = 0;
    proc.stdout.on('data', (d: Buffer) => {
      if (out.length < 4_000_000) out += d.toString('latin1');
    });
    proc.stderr.on('data', (d: Buffer) => {
      if (err.length < 100_000) err += d.toString('latin1');
    });
    const sample = setInterval(() => {
      const t = cpuTicksOf(proc.pid!);
      if (Number.isFinite(t)) ticks = t;
    }, 200);
    const kill = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('exit', (code, sig) => {
      clearInterval(sample);
      clearTimeout(kill);
      // let the pipes drain
      setImmediate(() => resolve({ code: code ?? sig ?? -1, stdout: out, stderr: err, cpuTicks: ticks }));
    });
  });
}

export interface MemcaslapSpec {
  port: number;
  seconds: number;
  conns: number;
  valueBytes: number;
  keyBytes?: number;
  getRatio?: number;
  /** Keys per multi-get (memcaslap --division). */
  division?: number;
  binary?: boolean;
  /** Task window per connection, e.g. '10k' (memcaslap's minimum is 1k). */
  window?: string;
}

let cfgDir: string | null = null;
function cfgFile(keyBytes: number, valueBytes: number, getRatio: number): string {
  cfgDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'mcts-bench-'));
  const f = path.join(cfgDir, `cfg-${keyBytes}-${valueBytes}-${getRatio}`);
  if (!fs.existsSync(f)) {
    // key: min max proportion; value: min max proportion; cmd: 0=set 1=get with proportions
    const setRatio = Math.round((1 - getRatio) * 1000) / 1000;
    fs.writeFileSync(f, `key\n${keyBytes} ${keyBytes} 1\nvalue\n${valueBytes} ${valueBytes} 1\ncmd\n0 ${setRatio}\n1 ${getRatio}\n`);
  }
  return f;
}

/**
 * memcaslap's log2 latency histogram: rows like `   4:   0  50  11001  357493` give counts for
 * [2^4,2^5), [2^5,2^6), ... microseconds. Percentiles are interpolated inside a bucket, so they
 * are coarse (a factor-of-2 bucket), but the same for both servers.
 */
export function log2Percentile(buckets: Map<number, number>, p: number): number {
  let total = 0;
  for (const n of buckets.values()) total += n;
  if (total === 0) return Number.NaN;
  const want = p * total;
  let acc = 0;
  const keys = [...buckets.keys()].sort((a, b) => a - b);
  for (const k of keys) {
    const n = buckets.get(k)!;
    if (acc + n >= want && n > 0) {
      const lo = 2 ** k;
      const frac = (want - acc) / n;
      return lo + frac * lo; // linear within [2^k, 2^(k+1))
    }
    acc += n;
  }
  return 2 ** (keys[keys.length - 1]! + 1);
}

export function parseMemcaslap(out: string): Omit<LoadResult, 'loadCpuSec'> {
  const run = /Run time:\s*([\d.]+)s\s+Ops:\s*(\d+)\s+TPS:\s*(\d+)/.exec(out);
  const num = (name: string): number => {
    const m = new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(out);
    return m ? Number(m[1]) : Number.NaN;
  };
  // The final "Total Statistics (N events)" block.
  const at = out.lastIndexOf('Total Statistics (');
  const buckets = new Map<number, number>();
  let avg = Number.NaN;
  if (at >= 0) {
    const block = out.slice(at).split('\n');
    for (const l of block.slice(1)) {
      if (l.trim() === '') break;
      const a = /^\s*Avg:\s*([\d.]+)/.exec(l);
      if (a) avg = Number(a[1]);
      const row = /^\s*(\d+):((?:\s+\d+)+)\s*$/.exec(l);
      if (row) {
        const base = Number(row[1]);
        row[2]!
          .trim()
          .split(/\s+/)
          .forEach((n, i) => buckets.set(base + i, Number(n)));
      }
    }
  }
  const errLines = out.split('\n').filter((l) => /SERVER_ERROR|CLIENT_ERROR|^<\d+ ERROR/.test(l));
  const ops = run ? Number(run[2]) : 0;
  const seconds = run ? Number(run[1]) : 0;
  const objBytes = num('object_bytes');
  const res: Omit<LoadResult, 'loadCpuSec'> = {
    ok: run !== null,
    ops,
    seconds,
    opsPerSec: run ? Number(run[3]) : 0,
    p50us: log2Percentile(buckets, 0.5),
    p99us: log2Percentile(buckets, 0.99),
    avgus: avg,
    misses: num('get_misses'),
    errors: errLines.length,
    raw: { cmd_get: num('cmd_get'), cmd_set: num('cmd_set'), written_bytes: num('written_bytes'), read_bytes: num('read_bytes'), object_bytes: objBytes },
  };
  if (seconds > 0 && Number.isFinite(objBytes)) res.bytesPerSec = objBytes / seconds;
  if (errLines[0] !== undefined) res.firstError = errLines[0].trim().slice(0, 200);
  return res;
}

export async function runMemcaslap(spec: MemcaslapSpec): Promise<LoadResult> {
  if (MEMCASLAP === null) throw new Error('memcaslap not installed (apt-get install libmemcached-tools)');
  const cfg = cfgFile(spec.keyBytes ?? 30, spec.valueBytes, spec.getRatio ?? 0.9);
  const secs = Math.max(1, Math.round(spec.seconds));
  const args = ['-s', `127.0.0.1:${spec.port}`, '-T', '1', '-c', String(spec.conns), '-X', String(spec.valueBytes), '-t', `${secs}s`, '-S', `${secs}s`, '-F', cfg];
  if (spec.division && spec.division > 1) args.push('-d', String(spec.division));
  if (spec.binary) args.push('-B');
  if (spec.window) args.push('-w', spec.window);
  const ex = await execLoad(MEMCASLAP, args, (secs + 30) * 1000);
  const r = parseMemcaslap(ex.stdout);
  const result: LoadResult = { ...r, loadCpuSec: ex.cpuTicks / CLK_TCK };
  if (!r.ok) {
    result.error = `memcaslap exited ${ex.code}: ${(ex.stderr + ex.stdout).slice(-500)}`;
  }
  return result;
}

/** Runs one of our generators (pipeline-load.js, rate-load.js, closed-load.js) and parses its JSON line. */
export async function runGenerator(script: 'pipeline-load.js' | 'rate-load.js' | 'closed-load.js', args: Record<string, string | number>, seconds: number): Promise<LoadResult> {
  const argv = [path.join(HERE, script)];
  for (const [k, v] of Object.entries(args)) argv.push(`--${k}`, String(v));
  const ex = await execLoad(process.execPath, argv, (seconds + 40) * 1000);
  const line = ex.stdout.trim().split('\n').pop() ?? '';
  let j: Record<string, unknown> = {};
  try {
    j = JSON.parse(line) as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  const n = (k: string): number => (typeof j[k] === 'number' ? (j[k] as number) : Number.NaN);
  const ok = typeof j['opsPerSec'] === 'number' && j['error'] === undefined;
  const res: LoadResult = {
    ok,
    ops: n('ops'),
    seconds: n('seconds'),
    opsPerSec: ok ? n('opsPerSec') : 0,
    p50us: n('p50us'),
    p99us: n('p99us'),
    errors: Number.isFinite(n('errors')) ? n('errors') : 0,
    loadCpuSec: Number.isFinite(n('cpuMs')) ? n('cpuMs') / 1000 : ex.cpuTicks / CLK_TCK,
    raw: j,
  };
  if (Number.isFinite(n('p999us'))) res.p999us = n('p999us');
  if (Number.isFinite(n('bytesPerSec'))) res.bytesPerSec = n('bytesPerSec');
  if (typeof j['firstError'] === 'string' && j['firstError'] !== '') res.firstError = j['firstError'];
  if (!ok) res.error = `${script} exited ${ex.code}: ${typeof j['error'] === 'string' ? j['error'] : ''} ${ex.stderr.slice(-500)}`;
  return res;
}
