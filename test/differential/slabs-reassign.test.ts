// `slabs reassign` against Debian's memcached 1.6.18 and memcachedts: the same replies, and the
// same page counts afterwards (global page pool, pages per class, total_malloced, slabs_moved).
// The automover is off so that only the commands move pages. The moves' effect on items
// (rescues, chunk rescues, evictions_nomem) is tested in test/unit/store/slab-mover.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDaemon, MEMCACHED_BIN } from '../support/daemon.js';
import { RawClient } from '../support/client.js';

const FILL = 3000; // 1000-byte values: 4 pages of one class
const STATS = ['slab_global_page_pool', 'slabs_moved', 'slab_reassign_rescues', 'slab_reassign_evictions_nomem', 'curr_items'];

async function transcript(memcached: boolean): Promise<string> {
  const d = await startDaemon({ args: ['-m', '16', '-o', 'slab_automove=0'], memcached });
  try {
    const c = await RawClient.connect(d.port);
    let out = '';
    const ask = async (cmd: string): Promise<void> => {
      c.send(cmd + '\r\n');
      out += cmd + ' -> ' + (await c.line()) + '\n';
      // memcached moves the page in its own thread: let it finish before the next look
      await sleep(100);
    };
    const counts = async (): Promise<void> => {
      const st = await c.stats();
      const slabs = await c.stats('slabs');
      const pages = [...slabs].filter(([k]) => k.endsWith(':total_pages')).map(([k, v]) => `${k}=${v}`);
      out += STATS.map((k) => `${k}=${st.get(k)}`).join(' ') + ` total_malloced=${slabs.get('total_malloced')} ${pages.join(' ')}\n`;
    };
    for (const cmd of ['1 2', '-1 2', '0 1', '1 0', '64 1', '-1 -1', '0 0', '0 -1', '40 1']) await ask(`slabs reassign ${cmd}`);
    const value = 'v'.repeat(1000);
    for (let i = 0; i < FILL; i++) c.send(`set k${i} 0 0 ${value.length} noreply\r\n${value}\r\n`);
    await counts();
    const slabs = await c.stats('slabs');
    const cls = [...slabs].find(([k, v]) => k.endsWith(':total_pages') && v === '4')?.[0].split(':')[0] ?? 'none';
    for (let i = 0; i < FILL; i++) c.send(`delete k${i} noreply\r\n`);
    await ask(`slabs reassign ${cls} 0`);
    await ask(`slabs reassign ${cls} 0`);
    await counts();
    await ask('slabs reassign 0 1');
    await ask('slabs reassign 0 1');
    await counts();
    c.send('set small 0 0 300\r\n' + 's'.repeat(300) + '\r\n');
    out += (await c.line()) + '\n';
    await counts();
    c.close();
    return out;
  } finally {
    await d.stop();
  }
}

test('slabs reassign: replies, the global page pool and pages per class as memcached', async (t) => {
  if (!fs.existsSync(MEMCACHED_BIN)) {
    t.skip('no /usr/bin/memcached');
    return;
  }
  const theirs = await transcript(true);
  const ours = await transcript(false);
  assert.equal(ours, theirs);
});
