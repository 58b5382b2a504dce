// `npm run bench:metrics`: what -o metrics_listen costs the cache. One memcachedts with the
// endpoint on, under the `npm run bench` ascii-90-10 load (memcaslap, 32 conns, 100 B values),
// in rounds alternating "nobody scrapes" and "GET /metrics every 100 ms" (keep-alive, as
// Prometheus scrapes, from a process on the load core); the same server and load in both.
// Reported: median ops/s and server CPU per op of each, the throughput cost in percent, and the
// server CPU one scrape takes (measured apart, with the cache idle).
//
// Environment: BENCH_SECONDS (per run, default 5), BENCH_ROUNDS (pairs, default 4),
// BENCH_SCRAPE_MS (scrape period, default 100).
import http from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/ports.js';
import { MEMCASLAP, runMemcaslap } from './load.js';
import { CLK_TCK, PIN, onLoadCore, startServer, type BenchServer } from './servers.js';
import { sleep } from '../support/wait.js';

const env = process.env;
const SECONDS = Math.max(1, Number(env['BENCH_SECONDS'] ?? 5));
const ROUNDS = Math.max(1, Math.floor(Number(env['BENCH_ROUNDS'] ?? 4)));
const SCRAPE_MS = Math.max(10, Number(env['BENCH_SCRAPE_MS'] ?? 100));

interface Run {
  opsPerSec: number;
  cpuUsPerOp: number;
  scrapes: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function scrapeOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent, timeout: 5000 }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('scrape timed out')));
    req.on('error', reject);
  });
}

/**
 * Scrapes every SCRAPE_MS from a child process on the load generator's core (as a Prometheus
 * server would scrape from elsewhere: its own CPU is not the cache's), until stopped; resolves
 * with the number of good scrapes.
 */
function startScraper(port: number): { stop(): Promise<number> } {
  const [cmd, args] = onLoadCore(process.execPath, [fileURLToPath(import.meta.url), '--scrape', String(port), String(SCRAPE_MS)]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      const m = /^(\d+) (\d+)$/m.exec(out);
      if (m === null) throw new Error(`scraper said: ${out}`);
      if (Number(m[2]) > 0) throw new Error(`${m[2]} scrapes failed`);
      return Number(m[1]);
    },
  };
}

/** The child: scrape until SIGTERM, then print "<good> <failed>". */
function scraperChild(port: number, periodMs: number): void {
  let good = 0;
  let failed = 0;
  const timer = setInterval(() => {
    scrapeOnce(port).then(
      () => void good++,
      () => void failed++,
    );
  }, periodMs);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    agent.destroy();
    process.stdout.write(`${good} ${failed}\n`);
  });
}

async function measure(srv: BenchServer, metricsPort: number, scraping: boolean): Promise<Run> {
  const scraper = scraping ? startScraper(metricsPort) : null;
  const t0 = srv.cpuTicks();
  const r = await runMemcaslap({ port: srv.port, seconds: SECONDS, conns: 32, valueBytes: 100 });
  const t1 = srv.cpuTicks();
  const scrapes = scraper === null ? 0 : await scraper.stop();
  if (!r.ok) throw new Error(r.error ?? 'memcaslap failed');
  return { opsPerSec: r.opsPerSec, cpuUsPerOp: (((t1 - t0) / CLK_TCK) * 1e6) / r.ops, scrapes };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Server CPU per scrape with the cache idle: N scrapes vs the same time without. */
async function cpuPerScrape(srv: BenchServer, metricsPort: number): Promise<{ msPerScrape: number; bodyBytes: number }> {
  const n = 100;
  const gapMs = 60; // beyond the endpoint's shared-rendering interval: every scrape renders
  const idle0 = srv.cpuTicks();
  await sleep(n * gapMs);
  const idleTicks = srv.cpuTicks() - idle0;
  let bodyBytes = 0;
  const t0 = srv.cpuTicks();
  for (let i = 0; i < n; i++) {
    bodyBytes = await scrapeOnce(metricsPort);
    await sleep(gapMs);
  }
  const ticks = srv.cpuTicks() - t0 - idleTicks;
  return { msPerScrape: ((ticks / CLK_TCK) * 1000) / n, bodyBytes };
}

async function main(): Promise<void> {
  if (MEMCASLAP === null) throw new Error('memcaslap not installed (apt-get install libmemcached-tools)');
  const metricsPort = await freePort();
  const srv = await startServer('memcachedts', { args: ['-o', `metrics_listen=127.0.0.1:${metricsPort}`] });
  try {
    console.log(`memcachedts pid ${srv.pid}, ${PIN ? 'pinned (server core 0, load core 1)' : 'not pinned'}; ` +
      `${ROUNDS} rounds x 2 runs x ${SECONDS} s; scrape every ${SCRAPE_MS} ms`);
    await runMemcaslap({ port: srv.port, seconds: 2, conns: 32, valueBytes: 100 }); // warm-up
    const plain: Run[] = [];
    const scraped: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [false, true] : [true, false];
      for (const scraping of order) {
        const r = await measure(srv, metricsPort, scraping);
        (scraping ? scraped : plain).push(r);
        console.log(`round ${round + 1} ${scraping ? 'scraping' : 'no scrape'}: ${Math.round(r.opsPerSec)} ops/s, ` +
          `${r.cpuUsPerOp.toFixed(2)} us CPU/op${scraping ? `, ${r.scrapes} scrapes` : ''}`);
      }
    }
    // Runs next to each other share the machine's mood: compare them pairwise too.
    const pairRatios = plain.map((p, i) => scraped[i]!.opsPerSec / p.opsPerSec);
    const pairCpu = plain.map((p, i) => scraped[i]!.cpuUsPerOp / p.cpuUsPerOp);
    const per = await cpuPerScrape(srv, metricsPort);
    const opsPlain = median(plain.map((r) => r.opsPerSec));
    const opsScraped = median(scraped.map((r) => r.opsPerSec));
    const cpuPlain = median(plain.map((r) => r.cpuUsPerOp));
    const cpuScraped = median(scraped.map((r) => r.cpuUsPerOp));
    console.log('');
    console.log(`                      no scrape   scrape/${SCRAPE_MS}ms   cost`);
    console.log(`ops/s (median)        ${String(Math.round(opsPlain)).padStart(9)}   ${String(Math.round(opsScraped)).padStart(14)}   ` +
      `${(((opsPlain - opsScraped) / opsPlain) * 100).toFixed(2)}%`);
    console.log(`server CPU us/op      ${cpuPlain.toFixed(2).padStart(9)}   ${cpuScraped.toFixed(2).padStart(14)}   ` +
      `${(((cpuScraped - cpuPlain) / cpuPlain) * 100).toFixed(2)}%`);
    console.log(`paired (same round) medians: ops/s ratio ${median(pairRatios).toFixed(4)}, CPU/op ratio ${median(pairCpu).toFixed(4)}`);
    console.log(`one scrape (idle cache): ${per.msPerScrape.toFixed(2)} ms server CPU, ${per.bodyBytes} bytes; ` +
      `at one per ${SCRAPE_MS} ms: ${((per.msPerScrape / SCRAPE_MS) * 100).toFixed(2)}% of a core`);
  } finally {
    agent.destroy();
    await srv.stop();
  }
}

if (process.argv[2] === '--scrape') {
  scraperChild(Number(process.argv[3]), Number(process.argv[4]));
} else {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
