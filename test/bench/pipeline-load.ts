// Deep-pipelining load generator: one connection, batches of N `get`s per write.
// A standalone script (spawned by run.ts as its own process, pinned to the other core).
//
//   node dist/test/bench/pipeline-load.js --port P [--host 127.0.0.1] [--seconds 5]
//        [--batch 100] [--inflight 2] [--keys 1000] [--value 100]
//
// Loads the keys with `set` first, then keeps `inflight` batches outstanding: each time a whole
// batch has been answered, the next pre-built batch Buffer is written (one write per batch).
// Prints one JSON line: { ops, seconds, opsPerSec, batchP50us, batchP99us, hits, errors, ... }.
import { TextReplyCounter, buildSets, connectCounting, makeValue, numArg, parseArgs, percentile } from './text-replies.js';

const args = parseArgs(process.argv.slice(2));
const port = numArg(args, 'port', 0);
const host = args['host'] ?? '127.0.0.1';
const seconds = numArg(args, 'seconds', 5);
const batch = numArg(args, 'batch', 100);
const inflight = numArg(args, 'inflight', 2);
const nkeys = numArg(args, 'keys', 1000);
const valueLen = numArg(args, 'value', 100);
if (port <= 0) throw new Error('--port is required');

const keys: string[] = [];
for (let i = 0; i < nkeys; i++) keys.push(`bench:pipe:${String(i).padStart(8, '0')}`);

// Pre-built batches: batch b asks for keys b*batch .. b*batch+batch-1 (mod nkeys).
const nbatches = Math.max(1, Math.ceil(nkeys / batch));
const batches: Buffer[] = [];
for (let b = 0; b < nbatches; b++) {
  let s = '';
  for (let j = 0; j < batch; j++) s += `get ${keys[(b * batch + j) % nkeys]!}\r\n`;
  batches.push(Buffer.from(s, 'latin1'));
}

const counter = new TextReplyCounter();
const readBuf = Buffer.alloc(1 << 20);
let phase: 'load' | 'run' | 'done' = 'load';
let loadTarget = nkeys;

// Batch bookkeeping: a ring of send times (ns, as numbers relative to t0).
const t0 = process.hrtime.bigint();
const nowNs = (): number => Number(process.hrtime.bigint() - t0);
const maxBatches = 1 << 22;
const batchLat = new Float64Array(maxBatches);
let batchLatN = 0;
const sendTimes = new Float64Array(Math.max(2, inflight));
let sentBatches = 0;
let doneBatches = 0;
let repliesAtRunStart = 0;
let runStart = 0;
let runEnd = 0;
let nextBatch = 0;
let stopSending = false;

const sock = connectCounting(port, host, counter, readBuf);
sock.on('error', (e) => {
  console.log(JSON.stringify({ error: String(e), ops: counter.completed - repliesAtRunStart }));
  process.exit(2);
});

function sendBatch(): void {
  sendTimes[sentBatches % sendTimes.length] = nowNs();
  sentBatches++;
  sock.write(batches[nextBatch]!);
  nextBatch = nextBatch + 1 === nbatches ? 0 : nextBatch + 1;
}

counter.onReply = (): void => {
  if (phase === 'load') {
    if (counter.completed >= loadTarget) {
      phase = 'run';
      repliesAtRunStart = counter.completed;
      runStart = nowNs();
      setTimeout(() => {
        stopSending = true;
      }, seconds * 1000);
      for (let i = 0; i < inflight; i++) sendBatch();
    }
    return;
  }
  if (phase !== 'run') return;
  const answered = counter.completed - repliesAtRunStart;
  if (answered >= (doneBatches + 1) * batch) {
    const t = nowNs();
    if (batchLatN < maxBatches) batchLat[batchLatN++] = t - sendTimes[doneBatches % sendTimes.length]!;
    doneBatches++;
    if (!stopSending) sendBatch();
    else if (doneBatches === sentBatches) finish(t);
  }
};

function finish(t: number): void {
  phase = 'done';
  runEnd = t;
  const ops = counter.completed - repliesAtRunStart;
  const secs = (runEnd - runStart) / 1e9;
  const lat = batchLat.subarray(0, batchLatN).sort();
  const hitsDuringRun = counter.values; // load phase produces no VALUE lines
  console.log(
    JSON.stringify({
      ops,
      seconds: secs,
      opsPerSec: ops / secs,
      batch,
      inflight,
      batchP50us: percentile(lat, 0.5) / 1000,
      batchP99us: percentile(lat, 0.99) / 1000,
      // per-request latency is not meaningful in a pipeline; a batch's round trip is
      p50us: percentile(lat, 0.5) / 1000,
      p99us: percentile(lat, 0.99) / 1000,
      hits: hitsDuringRun,
      misses: ops - hitsDuringRun,
      errors: counter.errors,
      firstError: counter.firstError,
      cpuMs: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000,
    }),
  );
  sock.destroy();
  process.exit(0);
}

sock.once('connect', () => {
  // Load in chunks so a huge set stream doesn't sit in one Buffer.
  loadTarget = nkeys;
  const value = makeValue(valueLen);
  for (let i = 0; i < nkeys; i += 1000) sock.write(buildSets(keys.slice(i, i + 1000), value));
});

// Hard bound: never hang the bench.
setTimeout(() => {
  console.log(JSON.stringify({ error: `timeout in phase ${phase}`, ops: counter.completed - repliesAtRunStart, errors: counter.errors, firstError: counter.firstError }));
  process.exit(3);
}, (seconds + 30) * 1000).unref();
