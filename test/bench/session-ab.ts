// In-process A/B of whole builds on the request path, no sockets: each build's own ServerContext
// and Sessions (reader, commands, store, OutBuffer) are fed pre-built requests as net/ feeds them
// (onData, then takeSingle/take and recycle), one request per call like a client waiting for each
// reply. The builds take turns in short bursts inside one process, so a busy machine slows every
// build alike; the figure per build is the median (and lower quartile) of its bursts' wall time
// per operation, which a preemption in some bursts does not move. On the shared 2-CPU machine
// this separates builds ~3% apart where socket runs (npm run bench) vary by 20% between rounds.
//
//   node dist/test/bench/session-ab.js [--scenario ascii] [--seconds 10] ROOT [ROOT...]
//
// ROOT is a built checkout (its dist/test/support/context.js is loaded); default: this one.
// Scenarios: ascii (90% get / 10% set, 100-byte values), multiget (get of 10 keys; ops count
// keys), binary (90/10 binary GET/SET), pipeline (100 gets per call), values (90/10 get/set of
// 100 KB values, over fewer keys; replies pinned as a TCP connection's are). A session that
// yields at -R is resumed at once, as net/ does for a lone client connection. The first build
// is the reference for the x ratios (above 1 = slower).
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../support/daemon.js';
import type { ServerContext } from '../../src/server-context.js';
import type { Session } from '../../src/protocol/session.js';
import { numArg, parseArgs } from './text-replies.js';

interface ContextModule {
  makeTestContext(opts: { settings?: Record<string, unknown> }): ServerContext;
  makeSession(ctx: ServerContext): Session;
}

const SESSIONS = 32; // a power of two
const KEY_BYTES = 30;
const REQUESTS = 4096; // pre-built requests, used round-robin (a power of two)
const BURST = 500;
const WARMUP_MS = 1500;
const SCENARIOS = ['ascii', 'multiget', 'binary', 'pipeline', 'values'] as const;
type Scenario = (typeof SCENARIOS)[number];

const args = parseArgs(process.argv.slice(2));
const scenario = (args['scenario'] ?? 'ascii') as Scenario;
if (!SCENARIOS.includes(scenario)) throw new Error(`--scenario: one of ${SCENARIOS.join(', ')}`);
const seconds = numArg(args, 'seconds', 10);
// every argument that is neither a --flag nor a flag's value
const roots = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1] ?? '').startsWith('--'));
const isBinary = scenario === 'binary';
const isLarge = scenario === 'values';
const KEYS = isLarge ? 400 : 50_000; // 400 x 100 KB: 40 MB, within the default -m 64
const VALUE_BYTES = isLarge ? 100 * 1024 : 100;
const keysPerGet = scenario === 'multiget' ? 10 : scenario === 'pipeline' ? 100 : 1;

const value = Buffer.alloc(VALUE_BYTES, 0x61);
const keyOf = (i: number): string => 'key:' + String(i).padStart(KEY_BYTES - 4, '0');

function binaryRequest(opcode: number, key: string, extrasLen: number, body: Buffer | null): Buffer {
  const bodyLen = extrasLen + key.length + (body?.length ?? 0);
  const b = Buffer.alloc(24 + bodyLen); // extras (flags, exptime) stay 0
  b[0] = 0x80;
  b[1] = opcode;
  b.writeUInt16BE(key.length, 2);
  b[4] = extrasLen;
  b.writeUInt32BE(bodyLen, 8);
  b.write(key, 24 + extrasLen, 'latin1');
  body?.copy(b, 24 + extrasLen + key.length);
  return b;
}

function setRequest(i: number): Buffer {
  if (isBinary) return binaryRequest(0x01, keyOf(i), 8, value);
  return Buffer.concat([Buffer.from(`set ${keyOf(i)} 0 0 ${VALUE_BYTES}\r\n`, 'latin1'), value, Buffer.from('\r\n', 'latin1')]);
}

function getRequest(i: number): Buffer {
  if (isBinary) return binaryRequest(0x00, keyOf(i), 0, null);
  if (keysPerGet === 1) return Buffer.from(`get ${keyOf(i)}\r\n`, 'latin1');
  const lines: string[] = [];
  if (scenario === 'multiget') {
    const keys: string[] = [];
    for (let k = 0; k < keysPerGet; k++) keys.push(keyOf((i + k * 4099) % KEYS));
    lines.push(`get ${keys.join(' ')}\r\n`);
  } else {
    for (let k = 0; k < keysPerGet; k++) lines.push(`get ${keyOf((i + k * 7919) % KEYS)}\r\n`);
  }
  return Buffer.from(lines.join(''), 'latin1');
}

// The same pseudo-random request sequence for every build.
let seed = 12345;
function random(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const requests: Buffer[] = [];
const opsOf = new Uint8Array(REQUESTS);
for (let j = 0; j < REQUESTS; j++) {
  const key = Math.floor(random() * KEYS);
  const isSet = random() < 0.1;
  requests.push(isSet ? setRequest(key) : getRequest(key));
  opsOf[j] = isSet ? 1 : keysPerGet;
}

/** Replies as net/ takes them: one Buffer (nearly always) or pieces; then the chunk is reused. */
function drain(s: Session): number {
  const out = s.out;
  const one = out.takeSingle();
  let bytes = one?.length ?? 0;
  if (one === null) for (const p of out.take() ?? []) bytes += p.length;
  out.recycle();
  return bytes;
}

interface Build {
  root: string;
  sessions: Session[];
  next: number;
  nsPerOp: number[];
}

async function load(root: string): Promise<Build> {
  const mod = (await import(pathToFileURL(path.join(root, 'dist/test/support/context.js')).href)) as ContextModule;
  const ctx = mod.makeTestContext({});
  const sessions: Session[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const s = mod.makeSession(ctx);
    if (isLarge) s.out.pinReleaser = ctx.store; // as net/connection.ts sets it for TCP
    sessions.push(s);
  }
  const first = sessions[0]!;
  for (let i = 0; i < KEYS; i++) {
    first.onData(setRequest(i));
    drain(first);
  }
  const probe = sessions[1]!;
  probe.onData(getRequest(0));
  while (probe.hasYielded) probe.resume();
  const reply = probe.out.takeSingle() ?? Buffer.concat(probe.out.take() ?? []);
  probe.out.recycle();
  if (!reply.includes(value)) throw new Error(`${root}: a get of a stored key did not answer its value`);
  return { root, sessions, next: 0, nsPerOp: [] };
}

let replyBytes = 0;

function burst(b: Build): number {
  const sessions = b.sessions;
  let ops = 0;
  const t0 = performance.now();
  for (let k = 0; k < BURST; k++) {
    const j = b.next++ & (REQUESTS - 1);
    const s = sessions[k & (SESSIONS - 1)]!;
    s.onData(requests[j]!);
    while (s.hasYielded) s.resume(); // net/ with one client connection resumes at once
    replyBytes += drain(s);
    ops += opsOf[j]!;
  }
  return ((performance.now() - t0) * 1e6) / ops;
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const builds: Build[] = [];
  for (const r of roots.length > 0 ? roots : [PROJECT_ROOT]) builds.push(await load(path.resolve(r)));
  const start = performance.now();
  for (let round = 0; performance.now() - start < seconds * 1000 && round < 1e7; round++) {
    const order = round % 2 === 0 ? builds : [...builds].reverse();
    for (const b of order) {
      const ns = burst(b);
      if (performance.now() - start > WARMUP_MS) b.nsPerOp.push(ns);
    }
    await new Promise((r) => setImmediate(r)); // the stores' timers (LRU maintainer, crawler) run
  }
  if (replyBytes === 0) throw new Error('no replies');
  const ref = quantile(builds[0]!.nsPerOp, 0.5);
  console.log(`session A/B, ${scenario}: ns per op (per key for multiget/pipeline), ${seconds} s, bursts of ${BURST} requests`);
  for (const b of builds) {
    const med = quantile(b.nsPerOp, 0.5);
    const ratio = b === builds[0] ? '' : `  x${(med / ref).toFixed(3)}`;
    console.log(`  median ${med.toFixed(0).padStart(6)}  p25 ${quantile(b.nsPerOp, 0.25).toFixed(0).padStart(6)}  bursts ${String(b.nsPerOp.length).padStart(5)}  ${b.root}${ratio}`);
  }
}

await main();
