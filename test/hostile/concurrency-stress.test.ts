// Correctness under contention (issue #20, item 3), as a client: stress-client.ts runs many
// connections of random commands over hot keys, counters and evicting filler, checking every
// reply; afterwards the counters must be exact, every hot key whole, and `stats slabs` /
// `stats items` must add up. The same test runs against memcached -t 4, which validates the
// checker (a checker that fails memcached is wrong), and against memcachedts at -t 4 (four
// serving threads over one store) and -t 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { checkHotKeys, COUNTER_START, COUNTERS, counterKey, runStress, type StressReport } from './stress-client.js';

const SECONDS = Number(process.env['STRESS_SECONDS'] ?? 8);
const CONNECTIONS = 32;
const PAGE_BYTES = 1024 * 1024;
/** Small enough that the filler evicts; counters sit alone in the smallest class, never evicted. */
const ARGS = ['-m', '16', '-o', 'slab_automove=0', '-U', '0'];
/** memcached at its default -t 4 (checks the checker); memcachedts at -t 4 and at -t 1. */
const RUNS = [['memcached', '4'], ['memcachedts', '4'], ['memcachedts', '1']] as const;

async function statsOf(c: RawClient, group: string): Promise<Map<string, number>> {
  const reply = await c.request(`stats${group === '' ? '' : ' ' + group}\r\n`, 'END', 5000);
  const out = new Map<string, number>();
  for (const line of reply.split('\r\n')) {
    const m = /^STAT (\S+) (\S+)$/.exec(line);
    if (m !== null) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Counters exact; slabs, items and the memory limit consistent. */
async function checkAfterRun(d: Daemon, report: StressReport): Promise<void> {
  const c = await RawClient.connect(d.port);
  try {
    for (let i = 0; i < COUNTERS; i++) {
      const want = String(COUNTER_START + report.counterSums[i]!);
      assert.equal(await c.request(`get ${counterKey(i)}\r\n`, 'END'), `VALUE ${counterKey(i)} 0 ${want.length}\r\n${want}\r\nEND\r\n`);
    }
    const general = await statsOf(c, '');
    const slabs = await statsOf(c, 'slabs');
    const items = await statsOf(c, 'items');
    assert.ok((general.get('evictions') ?? 0) > 0, 'the filler made the store evict (else the run did not press memory)');
    let pages = 0;
    let itemsSum = 0;
    let classes = 0;
    for (const [name, value] of slabs) {
      const m = /^(\d+):total_pages$/.exec(name);
      if (m === null) continue;
      const cls = m[1]!;
      classes++;
      pages += value;
      const total = slabs.get(cls + ':total_chunks')!;
      assert.equal(total, value * slabs.get(cls + ':chunks_per_page')!, `class ${cls}: total_chunks`);
      const used = slabs.get(cls + ':used_chunks')!;
      assert.equal(used + slabs.get(cls + ':free_chunks')! + slabs.get(cls + ':free_chunks_end')!, total, `class ${cls}: used + free = total`);
      const number = items.get(`items:${cls}:number`) ?? 0;
      assert.ok(number <= used, `class ${cls}: ${number} items in ${used} used chunks`);
      itemsSum += number;
    }
    assert.equal(slabs.get('active_slabs'), classes);
    assert.equal(itemsSum, general.get('curr_items'), 'stats items numbers add up to curr_items');
    const malloced = slabs.get('total_malloced')!;
    assert.equal((pages + (general.get('slab_global_page_pool') ?? 0)) * PAGE_BYTES, malloced, 'every malloced page is in a class or the pool');
    // memcached lets a class take its first page even over the limit (do_slabs_newslab)
    const limit = general.get('limit_maxbytes')! + classes * PAGE_BYTES;
    assert.ok(malloced <= limit, `total_malloced ${malloced} within -m plus a first page per class (${limit})`);
  } finally {
    c.close();
  }
  await checkHotKeys(d.port);
}

for (const [server, threads] of RUNS) {
  const args = [...ARGS, '-t', threads];
  test(`concurrency stress against ${server} ${args.join(' ')}: ${CONNECTIONS} connections for ${SECONDS}s`, { timeout: (SECONDS + 40) * 1000 }, async (t) => {
    const d = await startDaemon({ args, memcached: server === 'memcached' });
    try {
      const report = await runStress(d.port, CONNECTIONS, SECONDS);
      const outcomes = [...report.outcomes].sort().map(([k, v]) => `${k}=${v}`).join(' ');
      t.diagnostic(`${report.ops} ops: ${outcomes}`);
      for (const must of ['get hit', 'gets hit', 'set STORED', 'cas STORED', 'cas EXISTS', 'append STORED', 'prepend STORED', 'delete DELETED', 'touch TOUCHED', 'incr']) {
        assert.ok((report.outcomes.get(must) ?? 0) > 0, `the run exercised "${must}"`);
      }
      await checkAfterRun(d, report);
      assert.equal(d.proc.exitCode, null, 'the server is still running');
    } finally {
      await d.stop();
    }
  });
}
