// Fixed-rate latency load generator (open loop): `rate` requests/s spread over `conns`
// connections, 90% get / 10% set of 100-byte values by default. Each request's latency is taken
// with process.hrtime.bigint from the moment it was *due* to be sent to the moment its reply was
// complete, so a stalled server is not hidden by the generator waiting for it.
// A standalone script (spawned by run.ts as its own process, pinned to the other core).
//
//   node dist/test/bench/rate-load.js --port P [--seconds 5] [--rate 5000] [--conns 8]
//        [--keys 1000] [--value 100] [--set 0.1]
//
// Prints one JSON line: { ops, seconds, opsPerSec, p50us, p99us, p999us, maxus, maxSendLagUs, ... }.
import net from 'node:net';
import { TextReplyCounter, buildRequests, buildSets, connectCounting, makeValue, numArg, parseArgs, percentile, sumCounters } from './text-replies.js';
import { SeededRandom } from '../support/random.js';

const args = parseArgs(process.argv.slice(2));
const port = numArg(args, 'port', 0);
const host = args['host'] ?? '127.0.0.1';
const seconds = numArg(args, 'seconds', 5);
const rate = numArg(args, 'rate', 5000);
const nconns = numArg(args, 'conns', 8);
const nkeys = numArg(args, 'keys', 1000);
const valueLen = numArg(args, 'value', 100);
const setRatio = numArg(args, 'set', 0.1);
if (port <= 0) throw new Error('--port is required');

const value = makeValue(valueLen);
const { keys, gets: getReqs, sets: setReqs } = buildRequests('bench:rate:', nkeys, value);

const t0 = process.hrtime.bigint();
const nowNs = (): number => Number(process.hrtime.bigint() - t0);

const total = Math.ceil(rate * seconds);
const lat = new Float64Array(total);
let latN = 0;
let maxSendLag = 0;
let maxSendLagAt = 0;

interface Conn {
  sock: net.Socket;
  counter: TextReplyCounter;
  due: Float64Array; // FIFO of due times of outstanding requests
  head: number;
  tail: number;
}

const RING = 1 << 14;
const conns: Conn[] = [];
let phase: 'load' | 'run' | 'done' = 'load';
let connected = 0;

function onAllConnected(): void {
  // Load every key through connection 0, then start the clock.
  const c0 = conns[0]!;
  c0.counter.onReply = (): void => {
    if (c0.counter.completed === nkeys) {
      for (const c of conns) {
        c.counter.completed = 0;
        c.counter.values = 0;
        c.counter.onReply = (): void => {
          const t = nowNs();
          if (c.head !== c.tail) {
            const due = c.due[c.head]!;
            c.head = (c.head + 1) & (RING - 1);
            if (latN < lat.length) lat[latN++] = t - due;
          }
          if (phase === 'run' && sent === total && latN === sent) finish();
        };
      }
      start();
    }
  };
  c0.sock.write(buildSets(keys, value));
}

for (let i = 0; i < nconns; i++) {
  const counter = new TextReplyCounter();
  const sock = connectCounting(port, host, counter, Buffer.alloc(1 << 16));
  conns.push({ sock, counter, due: new Float64Array(RING), head: 0, tail: 0 });
  sock.on('error', (e) => {
    console.log(JSON.stringify({ error: String(e), ops: latN }));
    process.exit(2);
  });
  sock.once('connect', () => {
    if (++connected === nconns) onAllConnected();
  });
}

let sent = 0;
let runStart = 0;
const random = new SeededRandom(0x12345678);

function start(): void {
  phase = 'run';
  runStart = nowNs();
  setImmediate(tick);
}

const intervalNs = 1e9 / rate;
function tick(): void {
  const now = nowNs();
  while (sent < total) {
    const due = runStart + sent * intervalNs;
    if (due > now) break;
    const c = conns[sent % nconns]!;
    const k = random.int(nkeys);
    c.due[c.tail] = due;
    c.tail = (c.tail + 1) & (RING - 1);
    c.sock.write(random.chance(setRatio) ? setReqs[k]! : getReqs[k]!);
    const lag = now - due;
    if (lag > maxSendLag) {
      maxSendLag = lag;
      maxSendLagAt = due - runStart;
    }
    sent++;
  }
  if (sent < total) setImmediate(tick);
}

function finish(): void {
  phase = 'done';
  const end = nowNs();
  const sorted = lat.subarray(0, latN).sort();
  const { hits, errors, firstError } = sumCounters(conns.map((c) => c.counter));
  const secs = (end - runStart) / 1e9;
  console.log(
    JSON.stringify({
      ops: latN,
      seconds: secs,
      opsPerSec: latN / secs,
      rate,
      conns: nconns,
      p50us: percentile(sorted, 0.5) / 1000,
      p99us: percentile(sorted, 0.99) / 1000,
      p999us: percentile(sorted, 0.999) / 1000,
      maxus: percentile(sorted, 1) / 1000,
      maxSendLagUs: maxSendLag / 1000,
      maxSendLagAtMs: maxSendLagAt / 1e6,
      hits,
      errors,
      firstError,
      cpuMs: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000,
    }),
  );
  for (const c of conns) c.sock.destroy();
  process.exit(0);
}

setTimeout(() => {
  console.log(JSON.stringify({ error: `timeout in phase ${phase}: sent ${sent}, answered ${latN}`, ops: latN }));
  process.exit(3);
}, (seconds + 30) * 1000).unref();
