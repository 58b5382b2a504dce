// `npm run bench`: memcachedts side by side with Debian's `memcached -t 1` on the same loads.
//
// Each server is pinned to core 0 and every load tool to core 1 (when taskset exists and there are
// 2+ cores). For each scenario both servers are started fresh, warmed up, then measured in rounds
// A B A B ...; the table shows the median over rounds and the ratio memcachedts/memcached.
//
// Environment:
//   BENCH_SECONDS   seconds per scenario per server per round (default 5)
//   BENCH_ROUNDS    rounds (default 3, minimum 1)
//   BENCH_WARMUP    warm-up seconds per scenario per server (default 1; 0 = none)
//   BENCH_ONLY      comma-separated scenario ids to run (default all)
//   BENCH_OUT       JSON output path (default bench/results-<date>.json)
//   BENCH_A/BENCH_B the two sides: memcachedts | memcached | baseline | floor (default memcachedts / memcached;
//                   BENCH_A=memcached checks the harness itself: the ratio should be ~1;
//                   BENCH_B=baseline with BENCH_BASELINE=DIR, a built checkout of an older commit,
//                   measures this checkout before/after in one run; BENCH_A=floor: echo-floor.js,
//                   our socket layer alone, for ascii-90-10, multiget-10 and conns-500 only)
//   BENCH_PROFILE=1 afterwards, profile memcachedts with --cpu-prof under the ascii 90/10 load and
//                   print the top self-time functions (profile kept next to the JSON)
//   BENCH_PROFILE_SCENARIO  the scenario profiled instead (e.g. tls-ascii-90-10)
//   BENCH_NO_PIN=1  do not use taskset
//   BENCH_THREADS=N both servers with -t N (default 1); above 1 the servers may use every core
//   BENCH_QUIET_PCT other people's CPU use (% of one core) above which the machine counts as busy:
//                   before each run wait (up to BENCH_QUIET_WAIT s, default 5) for it to be quiet,
//                   and redo a run (once) that had more than that going on beside it (default 25)
//   BENCH_PIPELINE_INFLIGHT  batches outstanding in the pipelining scenario (default 4)
//   BENCH_PAIRED=1  each round runs both servers at once, each under its own load, on the same
//                   cores (server core 0, loads core 1 when pinned): the host's noise then falls on
//                   both alike, and per cpu-s (work per server CPU-second) is the comparison to read
//                   (the ops ratio also says how the kernel shared the core between them). Sequential
//                   rounds drift 10-25% with the host's load; paired ones agree within a few %.
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../support/daemon.js';
import { MEMCASLAP, runGenerator, runMemcaslap, type LoadResult } from './load.js';
import { formatSummary, summarizeFile, type ProfileSummary } from './profile-summary.js';
import { CLK_TCK, CPUS, LOAD_CPU, PIN, PIN_SERVER, SERVER_CPU, THREADS, command, machineBusyTicks, startServer, isNodeSide, type BenchServer, type ServerKind, type ServerOptions } from './servers.js';
import { TestCerts } from '../support/tls-certs.js';
import fsp from 'node:fs/promises';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/ports.js';
import { sleep } from '../support/wait.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const env = process.env;
const SECONDS = Math.max(1, Number(env['BENCH_SECONDS'] ?? 5));
const ROUNDS = Math.max(1, Math.floor(Number(env['BENCH_ROUNDS'] ?? 3)));
const WARMUP = Math.max(0, Number(env['BENCH_WARMUP'] ?? 1));
const ONLY = env['BENCH_ONLY'] ? new Set(env['BENCH_ONLY'].split(',').map((s) => s.trim())) : null;
const INFLIGHT = Number(env['BENCH_PIPELINE_INFLIGHT'] ?? 4);
const SIDE_A = (env['BENCH_A'] ?? 'memcachedts') as ServerKind;
const SIDE_B = (env['BENCH_B'] ?? 'memcached') as ServerKind;
const QUIET_PCT = Number(env['BENCH_QUIET_PCT'] ?? 25);
const QUIET_WAIT = Number(env['BENCH_QUIET_WAIT'] ?? 5);
const PAIRED = env['BENCH_PAIRED'] === '1';
const HAVE_MEMCACHED = fs.existsSync('/usr/bin/memcached');

interface Scenario {
  id: string;
  title: string;
  /** What the headline number is. */
  metric: 'ops/s' | 'value B/s' | 'p50 latency';
  needsMemcaslap: boolean;
  /**
   * Warm-up seconds when BENCH_WARMUP is not 0 and asks for less: a scenario whose measured
   * runs must not pay the first touch of the servers' memory (values-100k).
   */
  minWarmup?: number;
  /** Both servers run -Z with the same certificate (made by openssl for the run); the load speaks TLS. */
  tls?: boolean;
  run(port: number, seconds: number): Promise<LoadResult>;
}

const SCENARIOS: Scenario[] = [
  {
    id: 'ascii-90-10',
    title: 'text 90% get/10% set, 32 conns, 100 B values (memcaslap)',
    metric: 'ops/s',
    needsMemcaslap: true,
    run: (port, s) => runMemcaslap({ port, seconds: s, conns: 32, valueBytes: 100 }),
  },
  {
    id: 'multiget-10',
    title: 'text multi-get of 10 keys, 90/10, 32 conns (memcaslap -d 10; ops = keys)',
    metric: 'ops/s',
    needsMemcaslap: true,
    run: (port, s) => runMemcaslap({ port, seconds: s, conns: 32, valueBytes: 100, division: 10 }),
  },
  {
    id: 'binary-90-10',
    title: 'binary 90/10, 32 conns, 100 B values (memcaslap -B)',
    metric: 'ops/s',
    needsMemcaslap: true,
    run: (port, s) => runMemcaslap({ port, seconds: s, conns: 32, valueBytes: 100, binary: true }),
  },
  {
    id: 'conns-500',
    title: 'text 90/10, 500 conns, 100 B values (memcaslap -c 500 -w 1k)',
    metric: 'ops/s',
    needsMemcaslap: true,
    run: (port, s) => runMemcaslap({ port, seconds: s, conns: 500, valueBytes: 100, window: '1k' }),
  },
  {
    id: 'pipeline-100',
    title: `1 conn, batches of 100 gets per write, ${INFLIGHT} batches in flight (pipeline-load)`,
    metric: 'ops/s',
    needsMemcaslap: false,
    run: (port, s) => runGenerator('pipeline-load.js', { port, seconds: s, batch: 100, inflight: INFLIGHT, keys: 1000, value: 100 }, s),
  },
  {
    id: 'values-100k',
    title: '100 KiB values, 50% set/50% get, 4 conns, 4096 keys (memcaslap -X 102400 -w 1k)',
    metric: 'value B/s',
    needsMemcaslap: true,
    // 4096 keys of 100 KiB: 400 MB that both servers first fault in; set them all before measuring
    minWarmup: 4,
    run: (port, s) => runMemcaslap({ port, seconds: s, conns: 4, valueBytes: 102400, getRatio: 0.5, window: '1k' }),
  },
  {
    id: 'tls-ascii-90-10',
    title: 'TLS (-Z): text 90/10, 32 conns, 100 B values, one request in flight per conn (closed-load --tls)',
    metric: 'ops/s',
    needsMemcaslap: false,
    tls: true,
    run: (port, s) => runGenerator('closed-load.js', { port, seconds: s, conns: 32, keys: 10000, value: 100, set: 0.1, tls: 'true' }, s),
  },
  {
    id: 'tls-values-100k',
    title: 'TLS (-Z): 100 KiB values, 50% set/50% get, 4 conns, 512 keys (closed-load --tls)',
    metric: 'value B/s',
    needsMemcaslap: false,
    tls: true,
    minWarmup: 2,
    run: (port, s) => runGenerator('closed-load.js', { port, seconds: s, conns: 4, keys: 512, value: 102400, set: 0.5, tls: 'true' }, s),
  },
  {
    id: 'latency-5k',
    title: 'fixed 5,000 req/s over 8 conns, 90/10, 100 B (rate-load; latency from due time)',
    metric: 'p50 latency',
    needsMemcaslap: false,
    run: (port, s) => runGenerator('rate-load.js', { port, seconds: s, rate: 5000, conns: 8, keys: 1000, value: 100, set: 0.1 }, s),
  },
];

interface RunRecord {
  round: number;
  side: ServerKind;
  result: LoadResult;
  wallSec: number;
  serverCpuPct: number;
  /** CPU used on the machine by anything but the server and the load tool (other people's work). */
  otherCpuPct: number;
  scavenges: number;
  fullGcs: number;
  heapMb: number;
  rssKb: number;
  serverAlive: boolean;
}

interface SideSummary {
  kind: ServerKind;
  runs: RunRecord[];
  median: { opsPerSec: number; bytesPerSec: number; p50us: number; p99us: number; p999us: number; serverCpuPct: number; otherCpuPct: number; loadCpuPct: number };
  scavengesPerMillion: number;
  fullGcs: number;
  heapMbMax: number;
  rssKbEnd: number;
  rssHwmKb: number;
  crashes: number;
  errors: number;
  firstError: string;
  /** Runs with at most QUIET_PCT of other CPU beside them (the medians use only these, if any). */
  quietRuns: number;
}

interface ScenarioResult {
  id: string;
  title: string;
  metric: Scenario['metric'];
  a: SideSummary;
  b: SideSummary | null;
  /** a/b of the headline metric (for latency: p50 a/b, lower is better). */
  ratio: number;
  skipped?: string;
}

/** The certificate both servers use in the TLS scenarios: made once per run, removed at the end. */
let benchCerts: TestCerts | null = null;

async function serverOptions(sc: Scenario): Promise<ServerOptions> {
  if (sc.tls !== true) return {};
  benchCerts ??= await TestCerts.create(['bench']);
  return { tls: { chainCert: benchCerts.file('bench.pem'), key: benchCerts.file('bench.key') } };
}

function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}


async function flush(port: number): Promise<void> {
  try {
    await command(port, 'flush_all\r\n', ['OK'], 5000);
  } catch {
    /* a server that can't flush still gets measured; the error shows up in the run */
  }
}

/** Waits (bounded) until the machine's CPU use, servers idle, is under QUIET_PCT over 0.5 s. */
async function waitQuiet(): Promise<number> {
  const deadline = Date.now() + QUIET_WAIT * 1000;
  let pct = 0;
  for (;;) {
    const b0 = machineBusyTicks();
    await sleep(500);
    pct = ((machineBusyTicks() - b0) / CLK_TCK / 0.5) * 100;
    if (!(pct > QUIET_PCT) || Date.now() > deadline) return pct;
  }
}

async function measureQuietly(srv: BenchServer, sc: Scenario, seconds: number, round: number): Promise<RunRecord> {
  await waitQuiet();
  const rec = await measure(srv, sc, seconds, round);
  if (rec.otherCpuPct > QUIET_PCT && srv.alive()) {
    process.stderr.write(`  (round ${round} ${srv.kind}: ${rec.otherCpuPct.toFixed(0)}% other CPU during the run; running it again)\n`);
    await waitQuiet();
    const again = await measure(srv, sc, seconds, round);
    if (again.otherCpuPct < rec.otherCpuPct) return again;
  }
  return rec;
}

/** Counters of a server and of the machine as a measured run starts. */
interface RunStart {
  scav0: number;
  full0: number;
  cpu0: number;
  busy0: number;
  t0: bigint;
}

function startRun(srv: BenchServer): RunStart {
  return { scav0: srv.scavenges(), full0: srv.fullGcs(), cpu0: srv.cpuTicks(), busy0: machineBusyTicks(), t0: process.hrtime.bigint() };
}

async function runLoad(srv: BenchServer, sc: Scenario, seconds: number): Promise<LoadResult> {
  try {
    return await sc.run(srv.port, seconds);
  } catch (e) {
    return { ok: false, ops: 0, seconds: 0, opsPerSec: 0, p50us: Number.NaN, p99us: Number.NaN, errors: 0, loadCpuSec: 0, error: String(e) };
  }
}

/** Server and machine counters as a measured run's load ends. */
interface RunEnd {
  wallSec: number;
  cpu1: number;
  busy1: number;
}

function endRun(srv: BenchServer, start: RunStart): RunEnd {
  return { wallSec: Number(process.hrtime.bigint() - start.t0) / 1e9, cpu1: srv.cpuTicks(), busy1: machineBusyTicks() };
}

/** Server CPU seconds between start and end. */
function serverCpuSec(start: RunStart, end: RunEnd): number {
  return (end.cpu1 - start.cpu0) / CLK_TCK;
}

/**
 * The run's record, a moment after its end (the last --trace-gc lines arrive late). besideCpuSec:
 * CPU seconds of a second server and its load measured at the same time (BENCH_PAIRED), which are
 * not other people's work.
 */
async function recordRun(srv: BenchServer, start: RunStart, end: RunEnd, result: LoadResult, round: number, besideCpuSec: number): Promise<RunRecord> {
  await sleep(150);
  const { wallSec } = end;
  const cpuSec = serverCpuSec(start, end);
  return {
    round,
    side: srv.kind,
    result,
    wallSec,
    // over the tool's own run time: memcaslap spends ~1 s generating keys before it starts
    serverCpuPct: (100 * cpuSec) / (result.ok && result.seconds > 0 ? Math.min(result.seconds, wallSec) : wallSec),
    otherCpuPct: Math.max(0, (100 * ((end.busy1 - start.busy0) / CLK_TCK - cpuSec - result.loadCpuSec - besideCpuSec)) / wallSec),
    scavenges: srv.scavenges() - start.scav0,
    fullGcs: srv.fullGcs() - start.full0,
    heapMb: srv.heapMb(),
    rssKb: srv.rssKb().rss,
    serverAlive: srv.alive(),
  };
}

async function measure(srv: BenchServer, sc: Scenario, seconds: number, round: number): Promise<RunRecord> {
  await flush(srv.adminPort);
  const start = startRun(srv);
  const result = await runLoad(srv, sc, seconds);
  return recordRun(srv, start, endRun(srv, start), result, round, 0);
}

/** BENCH_PAIRED: both servers measured at once, each under its own load. */
async function measurePair(a: BenchServer, b: BenchServer, sc: Scenario, seconds: number, round: number): Promise<[RunRecord, RunRecord]> {
  await waitQuiet();
  await flush(a.adminPort);
  await flush(b.adminPort);
  const startA = startRun(a);
  const startB = startRun(b);
  const [resultA, resultB] = await Promise.all([runLoad(a, sc, seconds), runLoad(b, sc, seconds)]);
  const endA = endRun(a, startA);
  const endB = endRun(b, startB);
  return Promise.all([
    recordRun(a, startA, endA, resultA, round, serverCpuSec(startB, endB) + resultB.loadCpuSec),
    recordRun(b, startB, endB, resultB, round, serverCpuSec(startA, endA) + resultA.loadCpuSec),
  ]);
}

function summarizeSide(kind: ServerKind, runs: RunRecord[], srvEnd: { rss: number; hwm: number }, crashes: number): SideSummary {
  const done = runs.filter((r) => r.result.ok);
  // Runs with other work going on beside them are noise: when there are quiet ones, use only those.
  const quiet = done.filter((r) => !(r.otherCpuPct > QUIET_PCT));
  const ok = quiet.length > 0 ? quiet : done;
  let ops = 0;
  let scav = 0;
  for (const r of ok) {
    ops += r.result.ops;
    scav += r.scavenges;
  }
  const errors = runs.reduce((s, r) => s + r.result.errors, 0);
  const firstError = runs.map((r) => r.result.error ?? r.result.firstError ?? '').find((e) => e !== '') ?? '';
  return {
    kind,
    runs,
    median: {
      opsPerSec: median(ok.map((r) => r.result.opsPerSec)),
      bytesPerSec: median(ok.map((r) => r.result.bytesPerSec ?? Number.NaN)),
      p50us: median(ok.map((r) => r.result.p50us)),
      p99us: median(ok.map((r) => r.result.p99us)),
      p999us: median(ok.map((r) => r.result.p999us ?? Number.NaN)),
      serverCpuPct: median(ok.map((r) => r.serverCpuPct)),
      otherCpuPct: median(ok.map((r) => r.otherCpuPct)),
      loadCpuPct: median(ok.map((r) => (100 * r.result.loadCpuSec) / r.wallSec)),
    },
    scavengesPerMillion: isNodeSide(kind) && ops > 0 ? (scav / ops) * 1e6 : Number.NaN,
    fullGcs: runs.reduce((s, r) => s + r.fullGcs, 0),
    heapMbMax: Math.max(...runs.map((r) => (Number.isFinite(r.heapMb) ? r.heapMb : 0))),
    rssKbEnd: srvEnd.rss,
    rssHwmKb: srvEnd.hwm,
    crashes,
    errors,
    firstError,
    quietRuns: quiet.length,
  };
}

function headline(sc: Scenario, s: SideSummary): number {
  if (sc.metric === 'value B/s') return s.median.bytesPerSec;
  if (sc.metric === 'p50 latency') return s.median.p50us;
  return s.median.opsPerSec;
}

async function runScenario(sc: Scenario): Promise<ScenarioResult> {
  const sides: ServerKind[] = HAVE_MEMCACHED ? [SIDE_A, SIDE_B] : [SIDE_A];
  const servers = new Map<number, BenchServer>();
  const runs: RunRecord[][] = sides.map(() => []);
  const crashes = sides.map(() => 0);
  const ends = sides.map(() => ({ rss: Number.NaN, hwm: Number.NaN }));
  try {
    const opts = await serverOptions(sc);
    for (let i = 0; i < sides.length; i++) servers.set(i, await startServer(sides[i]!, opts));
    if (WARMUP > 0) {
      const warmup = Math.max(WARMUP, sc.minWarmup ?? 0);
      for (let i = 0; i < sides.length; i++) await sc.run(servers.get(i)!.port, warmup).catch(() => undefined);
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (let i = 0; i < sides.length; i++) {
        const srv = servers.get(i)!;
        if (!srv.alive()) {
          crashes[i]!++;
          process.stderr.write(`  ! ${sides[i]} died (${srv.proc.exitCode ?? srv.proc.signalCode}); stderr: ${srv.stderr().slice(-400)}\n  restarting it\n`);
          servers.set(i, await startServer(sides[i]!, opts));
        }
      }
      const paired = PAIRED && sides.length === 2 ? await measurePair(servers.get(0)!, servers.get(1)!, sc, SECONDS, round) : null;
      for (let i = 0; i < sides.length; i++) {
        const rec = paired !== null ? paired[i]! : await measureQuietly(servers.get(i)!, sc, SECONDS, round);
        runs[i]!.push(rec);
        const r = rec.result;
        const fig = sc.metric === 'value B/s' ? `${fmtBytes(r.bytesPerSec ?? Number.NaN)}/s` : `${fmtNum(r.opsPerSec)} ops/s`;
        process.stderr.write(
          `  round ${round} ${sides[i]!.padEnd(11)} ${fig.padStart(14)}  p50 ${fmtUs(r.p50us)} p99 ${fmtUs(r.p99us)}  srv cpu ${rec.serverCpuPct.toFixed(0)}%  load cpu ${((100 * r.loadCpuSec) / rec.wallSec).toFixed(0)}%  other cpu ${rec.otherCpuPct.toFixed(0)}%` +
            (isNodeSide(sides[i]!) ? `  scavenges ${rec.scavenges}` : '') +
            (r.errors ? `  errors ${r.errors}` : '') +
            (r.ok ? '' : `  FAILED: ${r.error ?? ''}`) +
            (rec.serverAlive ? '' : '  SERVER DIED') +
            '\n',
        );
        if (!rec.serverAlive) crashes[i]!++;
      }
    }
  } finally {
    for (const [i, srv] of servers) {
      ends[i] = srv.rssKb();
      await srv.stop();
      if (isNodeSide(srv.kind) && /Error|at .*\.js:\d+/.test(srv.stderr())) {
        process.stderr.write(`  ${srv.kind} stderr: ${srv.stderr().slice(-600)}\n`);
      }
    }
  }
  const a = summarizeSide(sides[0]!, runs[0]!, ends[0]!, crashes[0]!);
  const b = sides.length > 1 ? summarizeSide(sides[1]!, runs[1]!, ends[1]!, crashes[1]!) : null;
  return { id: sc.id, title: sc.title, metric: sc.metric, a, b, ratio: b ? headline(sc, a) / headline(sc, b) : Number.NaN };
}

function fmtNum(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (n >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (n >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  return n.toFixed(0);
}
function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (n >= 1e9) return (n / 1e9).toFixed(2) + ' GB';
  if (n >= 1e6) return (n / 1e6).toFixed(0) + ' MB';
  return (n / 1e3).toFixed(0) + ' kB';
}
function fmtUs(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return n >= 1000 ? (n / 1000).toFixed(1) + 'ms' : n.toFixed(0) + 'us';
}

function table(results: ScenarioResult[]): string {
  const head = ['scenario', 'metric', SIDE_A, HAVE_MEMCACHED ? SIDE_B : '-', 'ratio', 'per cpu-s', 'p50 A/B', 'p99 A/B', 'srv cpu A/B', 'other cpu', 'GC/1M', 'heap MB', 'RSS MB'];
  const rows: string[][] = [head];
  for (const r of results) {
    if (r.skipped) {
      rows.push([r.id, 'skipped: ' + r.skipped.replace(/\s+/g, ' ').slice(0, 120)]);
      continue;
    }
    const sc = SCENARIOS.find((s) => s.id === r.id)!;
    const fmt = (s: SideSummary | null): string => {
      if (!s) return '-';
      const v = headline(sc, s);
      const base = sc.metric === 'value B/s' ? fmtBytes(v) + '/s' : sc.metric === 'p50 latency' ? fmtUs(v) : fmtNum(v);
      return base + (s.crashes ? ` (${s.crashes} crash)` : '') + (s.errors ? ` (${s.errors} err)` : '');
    };
    const lat = (s: SideSummary | null, k: 'p50us' | 'p99us'): string => (s ? fmtUs(s.median[k]) : '-');
    const p99 = sc.metric === 'p50 latency' ? `${lat(r.a, 'p99us')}/${lat(r.b, 'p99us')} p999 ${fmtUs(r.a.median.p999us)}/${fmtUs(r.b?.median.p999us ?? Number.NaN)}` : `${lat(r.a, 'p99us')}/${lat(r.b, 'p99us')}`;
    const tsSide = r.a.kind === 'memcachedts' ? r.a : r.b?.kind === 'memcachedts' ? r.b : null;
    rows.push([
      r.id,
      sc.metric,
      fmt(r.a),
      fmt(r.b),
      Number.isFinite(r.ratio) ? r.ratio.toFixed(2) + 'x' : '-',
      perCpuRatio(sc, r),
      `${lat(r.a, 'p50us')}/${lat(r.b, 'p50us')}`,
      p99,
      `${r.a.median.serverCpuPct.toFixed(0)}/${r.b ? r.b.median.serverCpuPct.toFixed(0) : '-'}%`,
      `${Math.max(r.a.median.otherCpuPct, r.b?.median.otherCpuPct ?? 0).toFixed(0)}%`,
      tsSide && Number.isFinite(tsSide.scavengesPerMillion) ? tsSide.scavengesPerMillion.toFixed(1) : '-',
      tsSide && tsSide.heapMbMax > 0 ? tsSide.heapMbMax.toFixed(1) : '-',
      tsSide ? (tsSide.rssHwmKb / 1024).toFixed(0) : '-',
    ]);
  }
  const widths = head.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string => '| ' + head.map((_, c) => (r[c] ?? '').padEnd(widths[c]!)).join(' | ') + ' |';
  return [line(rows[0]!), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.slice(1).map(line)].join('\n');
}

/** The ratio of work per server CPU-second (ops or bytes per second over server CPU): '-' for latency. */
function perCpuRatio(sc: Scenario, r: ScenarioResult): string {
  if (r.b === null || sc.metric === 'p50 latency') return '-';
  const perCpu = (s: SideSummary): number => headline(sc, s) / (s.median.serverCpuPct / 100);
  const ratio = perCpu(r.a) / perCpu(r.b);
  return Number.isFinite(ratio) ? ratio.toFixed(2) + 'x' : '-';
}

async function profilePass(sc: Scenario, outDir: string, stamp: string): Promise<{ file: string; summary: ProfileSummary } | { error: string }> {
  const dir = path.join(outDir, `profile-${stamp}`);
  await fsp.mkdir(dir, { recursive: true });
  const srv = await startServer('memcachedts', { ...(await serverOptions(sc)), nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  process.stderr.write(`profile: memcachedts --cpu-prof under ${sc.id} for ${SECONDS}s\n`);
  await sc.run(srv.port, 1).catch(() => undefined); // warm-up, not interesting
  await sc.run(srv.port, SECONDS);
  // --cpu-prof writes the profile only on a normal exit: SIGTERM first, then SIGINT.
  srv.proc.kill('SIGTERM');
  for (let i = 0; i < 50 && srv.alive(); i++) await sleep(100);
  if (srv.alive()) {
    srv.proc.kill('SIGINT');
    for (let i = 0; i < 30 && srv.alive(); i++) await sleep(100);
  }
  await srv.stop();
  const files = (await fsp.readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return { error: `no .cpuprofile written in ${dir} (does the server exit normally on SIGTERM?) stderr: ${srv.stderr().slice(-300)}` };
  const file = path.join(dir, files[0]!);
  return { file, summary: summarizeFile(file, 25) };
}

/** pipeline-load against fake-server.js: the most the pipelining scenario can measure. */
async function generatorCeiling(): Promise<LoadResult | { error: string }> {
  const port = await freePort();
  let argv = [path.join(HERE, 'fake-server.js'), '--port', String(port)];
  let cmd = process.execPath;
  if (PIN) {
    argv = ['-c', SERVER_CPU, cmd, ...argv];
    cmd = 'taskset';
  }
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const ready = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 10_000);
      proc.stdout.once('data', () => {
        clearTimeout(t);
        resolve(true);
      });
      proc.once('exit', () => resolve(false));
    });
    if (!ready) return { error: 'fake-server did not start' };
    return await runGenerator('pipeline-load.js', { port, seconds: SECONDS, batch: 100, inflight: INFLIGHT, keys: 1000, value: 100 }, SECONDS);
  } finally {
    proc.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  if (PIN) spawnSync('taskset', ['-a', '-cp', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const outFile = env['BENCH_OUT'] ?? path.join(PROJECT_ROOT, 'bench', `results-${stamp}.json`);
  const scenarios = SCENARIOS.filter((s) => !ONLY || ONLY.has(s.id));
  process.stderr.write(
    `bench: ${scenarios.length} scenarios x ${ROUNDS} rounds x ${SECONDS}s (+${WARMUP}s warm-up); A=${SIDE_A} B=${HAVE_MEMCACHED ? SIDE_B : '(memcached not installed)'}; ` +
      `${CPUS} cpus, -t ${THREADS}, ${PIN_SERVER ? 'servers on cpu 0, load on cpu 1' : PIN ? 'servers on any cpu, load on cpu 1' : 'no pinning'}${PAIRED ? ', paired (both servers at once)' : ''}; memcaslap: ${MEMCASLAP ?? 'not installed'}\n`,
  );
  const results: ScenarioResult[] = [];
  for (const sc of scenarios) {
    process.stderr.write(`${sc.id}: ${sc.title}\n`);
    if (sc.needsMemcaslap && MEMCASLAP === null) {
      results.push({ id: sc.id, title: sc.title, metric: sc.metric, a: summarizeSide(SIDE_A, [], { rss: 0, hwm: 0 }, 0), b: null, ratio: Number.NaN, skipped: 'memcaslap not installed' });
      continue;
    }
    try {
      results.push(await runScenario(sc));
    } catch (e) {
      process.stderr.write(`  scenario failed: ${String(e)}\n`);
      results.push({ id: sc.id, title: sc.title, metric: sc.metric, a: summarizeSide(SIDE_A, [], { rss: 0, hwm: 0 }, 0), b: null, ratio: Number.NaN, skipped: String(e).slice(0, 200) });
    }
  }
  let ceiling: Awaited<ReturnType<typeof generatorCeiling>> | null = null;
  if (scenarios.some((s) => s.id === 'pipeline-100')) {
    ceiling = await generatorCeiling().catch((e: unknown) => ({ error: String(e) }));
    process.stderr.write(`generator ceiling (pipeline-load vs a do-nothing fake server): ${'error' in ceiling ? ceiling.error : fmtNum(ceiling.opsPerSec) + ' ops/s'}\n`);
  }
  let profile: Awaited<ReturnType<typeof profilePass>> | null = null;
  const profiled = SCENARIOS.find((s) => s.id === (env['BENCH_PROFILE_SCENARIO'] ?? 'ascii-90-10'));
  if (env['BENCH_PROFILE'] && profiled !== undefined && (MEMCASLAP !== null || !profiled.needsMemcaslap)) {
    try {
      profile = await profilePass(profiled, path.dirname(outFile), stamp);
    } catch (e) {
      profile = { error: String(e) };
    }
  }
  benchCerts?.remove();
  const tbl = table(results);
  console.log('');
  console.log(`ratio = ${SIDE_A}/${SIDE_B} of the median over ${ROUNDS} rounds (over the quiet rounds only, when there are any) (for latency-5k: p50 ratio, lower is better).`);
  console.log('p50/p99 for memcaslap scenarios come from its log2 histogram (coarse); pipeline-100 shows a batch round trip.');
  console.log(`both servers ran with -t ${THREADS}; per cpu-s = the ratio of work per server CPU-second.`);
  if (PAIRED) console.log('paired (BENCH_PAIRED=1): in each round both servers ran at once, each under its own load, sharing the cores; read per cpu-s (the ops ratio also reflects how the kernel shared the CPU).');
  console.log('srv cpu = server CPU% (100 = one core; below ~90 the server was not the bottleneck); other cpu = CPU used by anything else on the machine (noise).');
  console.log('GC/1M = young-generation GCs (Scavenge) per million ops; heap = V8 heap after the last GC; RSS = VmHWM.');
  console.log(tbl);
  if (ceiling && !('error' in ceiling)) console.log(`pipeline-load ceiling against a do-nothing fake server: ${fmtNum(ceiling.opsPerSec)} ops/s`);
  if (profile) {
    console.log('');
    if ('error' in profile) console.log(`profile: ${profile.error}`);
    else console.log(`profile (${profile.file}):\n${formatSummary(profile.summary)}`);
  }
  const json = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: CPUS,
    pinned: PIN,
    paired: PAIRED,
    threads: THREADS,
    seconds: SECONDS,
    rounds: ROUNDS,
    warmup: WARMUP,
    sides: { a: SIDE_A, b: HAVE_MEMCACHED ? SIDE_B : null },
    results,
    table: tbl,
    generatorCeiling: ceiling,
    profile,
  };
  await fsp.mkdir(path.dirname(outFile), { recursive: true });
  await fsp.writeFile(outFile, JSON.stringify(json, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  console.log(`\nresults: ${outFile}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
