// Closed-loop load generator, in clear or over TLS (memcaslap has no TLS): `conns` connections,
// each with one request outstanding at a time, `set` of them sets and the rest gets over `keys`
// keys of `value` bytes, as memcaslap's 90/10 and 100 KiB scenarios do. Every key is set before
// the clock starts. A standalone script (run.ts spawns it pinned to the load core).
//
//   node dist/test/bench/closed-load.js --port P [--seconds 5] [--conns 32] [--keys 10000]
//        [--value 100] [--set 0.1] [--tls] [--ciphers LIST]
//
// --tls: TLS 1.3 or 1.2 as the server offers, certificate not checked (a benchmark, loopback),
// no session resumption. Prints one JSON line: { ops, seconds, opsPerSec, bytesPerSec, p50us,
// p99us, p999us, hits, errors, cpuMs, cipher }.
import net from 'node:net';
import tls from 'node:tls';
import { TextReplyCounter, buildRequests, buildSets, connectCounting, makeValue, numArg, parseArgs, percentile, sumCounters, xorshift32 } from './text-replies.js';

const args = parseArgs(process.argv.slice(2));
const port = numArg(args, 'port', 0);
const host = args['host'] ?? '127.0.0.1';
const seconds = numArg(args, 'seconds', 5);
const nconns = numArg(args, 'conns', 32);
const nkeys = numArg(args, 'keys', 10000);
const valueLen = numArg(args, 'value', 100);
const setRatio = numArg(args, 'set', 0.1);
const useTls = args['tls'] === 'true';
const ciphers = args['ciphers'];
if (port <= 0) throw new Error('--port is required');

const value = makeValue(valueLen);
const { keys, gets: getReqs, sets: setReqs } = buildRequests('bench:closed:', nkeys, value);

/** Latencies of the measured phase, in ns (bounded: a generous upper bound of replies). */
const lat = new Float64Array(Math.min(10_000_000, Math.ceil(seconds * 500_000)));
let latN = 0;
let phase: 'load' | 'run' | 'done' = 'load';
let runStartNs = 0n;
let setsDone = 0;
let getsDone = 0;
const rand = xorshift32(0x9e3779b9);

interface Conn {
  readonly sock: net.Socket;
  readonly counter: TextReplyCounter;
  sentAtNs: bigint;
  isSet: boolean;
}

function connect(counter: TextReplyCounter): net.Socket {
  if (!useTls) return connectCounting(port, host, counter, Buffer.alloc(1 << 16));
  const options: tls.ConnectionOptions = { host, port, rejectUnauthorized: false };
  if (ciphers !== undefined) options.ciphers = ciphers;
  const sock = tls.connect(options);
  sock.setNoDelay(true);
  sock.on('data', (d: Buffer) => counter.feed(d, 0, d.length));
  return sock;
}

function sendNext(c: Conn): void {
  const k = Math.floor(rand() * nkeys);
  c.isSet = rand() < setRatio;
  c.sentAtNs = process.hrtime.bigint();
  c.sock.write(c.isSet ? setReqs[k]! : getReqs[k]!);
}

const conns: Conn[] = [];
let ready = 0;
const readyEvent = useTls ? 'secureConnect' : 'connect';
for (let i = 0; i < nconns; i++) {
  const counter = new TextReplyCounter();
  const sock = connect(counter);
  const c: Conn = { sock, counter, sentAtNs: 0n, isSet: false };
  conns.push(c);
  sock.on('error', (e) => {
    console.log(JSON.stringify({ error: String(e), ops: latN }));
    process.exit(2);
  });
  sock.once(readyEvent, () => {
    if (++ready === nconns) loadKeys();
  });
}

/** Sets every key through connection 0, then starts every connection's loop. */
function loadKeys(): void {
  const c0 = conns[0]!;
  c0.counter.onReply = (): void => {
    if (c0.counter.completed !== nkeys) return;
    for (const c of conns) {
      c.counter.completed = 0;
      c.counter.values = 0;
      c.counter.onReply = (): void => onReply(c);
    }
    phase = 'run';
    runStartNs = process.hrtime.bigint();
    setTimeout(finish, seconds * 1000);
    for (const c of conns) sendNext(c);
  };
  c0.sock.write(buildSets(keys, value));
}

function onReply(c: Conn): void {
  if (phase !== 'run') return;
  const now = process.hrtime.bigint();
  if (latN < lat.length) lat[latN++] = Number(now - c.sentAtNs);
  if (c.isSet) setsDone++;
  else getsDone++;
  sendNext(c);
}

function finish(): void {
  phase = 'done';
  const secs = Number(process.hrtime.bigint() - runStartNs) / 1e9;
  const sorted = lat.subarray(0, latN).sort();
  const { hits, errors, firstError } = sumCounters(conns.map((c) => c.counter));
  const cpu = process.cpuUsage();
  const first = conns[0]!.sock;
  const cipher = first instanceof tls.TLSSocket ? first.getProtocol() + ' ' + first.getCipher().name : 'none';
  console.log(
    JSON.stringify({
      ops: latN,
      seconds: secs,
      opsPerSec: latN / secs,
      // value bytes moved: every set carries one, every hit returns one
      bytesPerSec: ((setsDone + hits) * valueLen) / secs,
      p50us: percentile(sorted, 0.5) / 1000,
      p99us: percentile(sorted, 0.99) / 1000,
      p999us: percentile(sorted, 0.999) / 1000,
      gets: getsDone,
      hits,
      errors,
      firstError,
      cpuMs: (cpu.user + cpu.system) / 1000,
      cipher,
    }),
  );
  for (const c of conns) c.sock.destroy();
  process.exit(0);
}

setTimeout(() => {
  console.log(JSON.stringify({ error: `timeout in phase ${phase}: ${latN} replies`, ops: latN }));
  process.exit(3);
}, (seconds + 30) * 1000).unref();
