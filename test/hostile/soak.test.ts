// Soak (bounded, loopback only): 1,000 concurrent connections with mixed commands, clients
// killed mid-request, half-written requests and resets. Afterwards the daemon answers, RSS
// stayed bounded, and every acknowledged write is readable (nothing is evicted: -m is ample).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { rssKb } from '../support/proc.js';
import { SeededRandom } from '../support/random.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CONNS = Number(process.env.SOAK_CONNS ?? 1000);
const KEYS_PER_CONN = 20;
const useMemcached = process.env.HOSTILE_TEST_MEMCACHED === '1';

test(`soak: ${CONNS} connections, mixed commands and faults for ${SECONDS}s`, { timeout: (SECONDS + 120) * 1000 }, async () => {
  const d = await startDaemon({ args: ['-m', '256', '-c', String(CONNS + 200)], memcached: useMemcached });
  // acked.get(key) = last value the server acknowledged (null = acknowledged delete / never set)
  const acked = new Map<string, string | null>();
  const random = new SeededRandom(7);
  const end = Date.now() + SECONDS * 1000;
  let peakRss = 0;
  let ops = 0;
  let faults = 0;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssKb(d.proc.pid!))), 500);
  try {
    async function worker(slot: number): Promise<void> {
      let c = await RawClient.connect(d.port);
      let gen = 0;
      while (Date.now() < end) {
        const key = `soak:${slot}:${random.int(KEYS_PER_CONN)}`;
        const r = random.next();
        if (r < 0.01) {
          // Fault: half a request, then vanish (reset or plain close). The write never completes.
          c.send(`set ${key} 0 0 100\r\nhalf`);
          if (random.chance(0.5)) c.socket.resetAndDestroy();
          else c.close();
          faults++;
          c = await RawClient.connect(d.port);
          continue;
        }
        if (r < 0.5) {
          const value = `v${slot}.${gen++}.${'x'.repeat(random.int(200))}`;
          const reply = await c.request(`set ${key} 0 0 ${value.length}\r\n${value}\r\n`, 'STORED', 20_000);
          assert.equal(reply, 'STORED\r\n');
          acked.set(key, value);
        } else if (r < 0.9) {
          const reply = await c.request(`get ${key}\r\n`, 'END', 20_000);
          const want = acked.get(key);
          assert.equal(reply, want == null ? 'END\r\n' : `VALUE ${key} 0 ${want.length}\r\n${want}\r\nEND\r\n`);
        } else if (r < 0.95) {
          const reply = await c.request(`delete ${key}\r\n`, acked.get(key) == null ? 'NOT_FOUND' : 'DELETED', 20_000);
          assert.ok(reply === 'DELETED\r\n' || reply === 'NOT_FOUND\r\n', reply);
          acked.set(key, null);
        } else {
          c.send('garbage\x00\x01 line\r\n');
          assert.equal(await c.line(20_000), 'ERROR');
        }
        ops++;
      }
      c.close();
    }
    const workers: Promise<void>[] = [];
    for (let i = 0; i < CONNS; i++) workers.push(worker(i));
    await Promise.all(workers);
  } finally {
    clearInterval(rssTimer);
  }
  try {
    // Afterwards: a fresh connection is served and every acknowledged value is there.
    const c = await RawClient.connect(d.port);
    let checked = 0;
    for (const [key, value] of acked) {
      const reply = await c.request(`get ${key}\r\n`);
      assert.equal(reply, value == null ? 'END\r\n' : `VALUE ${key} 0 ${value.length}\r\n${value}\r\nEND\r\n`, key);
      checked++;
    }
    const stats = await c.request('stats\r\n');
    assert.match(stats, /STAT evictions 0\r\n/);
    c.close();
    assert.ok(ops > CONNS, `ops ${ops}`);
    assert.ok(faults > 0);
    assert.ok(checked > CONNS);
    // -m 256 is far from full here: the bound is the runtime plus per-connection buffers.
    assert.ok(peakRss < 600 * 1024, `peak RSS ${peakRss} kB`);
    console.log(`# soak: ${ops} ops, ${faults} faults, ${checked} keys checked, peak RSS ${peakRss} kB`);
  } finally {
    await d.stop();
  }
});
