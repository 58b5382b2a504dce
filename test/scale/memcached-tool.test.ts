// Debian's own monitoring script (/usr/share/memcached/scripts/memcached-tool) reads
// memcachedts's stats as it reads memcached's: the slab table and the stats listing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { haveTool, run } from '../support/tools.js';

const TOOL = '/usr/share/memcached/scripts/memcached-tool';
const useMemcached = process.env.SCALE_TEST_MEMCACHED === '1';

test("Debian's memcached-tool display and stats", async (t) => {
  if (!haveTool(t, TOOL, 'memcached-tool (package memcached)')) return;
  const d = await startDaemon({ memcached: useMemcached });
  try {
    const c = await RawClient.connect(d.port);
    assert.equal(await c.request('set small 0 0 3\r\nabc\r\n', 'STORED'), 'STORED\r\n');
    assert.equal(await c.request(`set big 0 0 300\r\n${'x'.repeat(300)}\r\n`, 'STORED'), 'STORED\r\n');
    assert.equal(await c.request('get small\r\n'), 'VALUE small 0 3\r\nabc\r\nEND\r\n');
    c.close();

    const display = await run('perl', [TOOL, `127.0.0.1:${d.port}`, 'display']);
    assert.equal(display.code, 0, display.stderr);
    const rows = display.stdout.split('\n').slice(1).filter((l) => l.trim() !== '');
    assert.equal(rows.length, 2, display.stdout); // two slab classes in use
    assert.match(rows[0]!, /^\s+1\s+96B\s+\d+s\s+1\s+1\s+no\s+0\s+0\s+0$/, display.stdout);
    assert.match(rows[1]!, /^\s+7\s+384B\s+\d+s\s+1\s+1\s+no\s+0\s+0\s+0$/, display.stdout);

    const stats = await run('perl', [TOOL, `127.0.0.1:${d.port}`, 'stats']);
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /^\s+curr_items\s+2$/m);
    assert.match(stats.stdout, /^\s+get_hits\s+1$/m);
    assert.match(stats.stdout, /^\s+cmd_set\s+2$/m);
    assert.match(stats.stdout, /^\s+version\s+1\.6\.18$/m);
  } finally {
    await d.stop();
  }
});
