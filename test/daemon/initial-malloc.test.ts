// T_MEMD_INITIAL_MALLOC, memcached's test hook (t/64bit.t): the bytes it names count as already
// allocated, so `-m 4098` leaves room for two pages and no more. Side by side with memcached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';

for (const memcached of [false, true]) {
  test(`${memcached ? 'memcached' : 'memcachedts'}: T_MEMD_INITIAL_MALLOC counts as allocated memory`, async () => {
    const d = await startDaemon({ args: ['-m', '4098', '-M'], memcached, env: { T_MEMD_INITIAL_MALLOC: '4294967328' } });
    try {
      const c = await RawClient.connect(d.port);
      assert.equal((await c.stats()).get('limit_maxbytes'), '4297064448');
      let slabs = await c.stats('slabs');
      assert.equal(slabs.get('total_malloced'), '4294967328');
      assert.equal(slabs.get('active_slabs'), '0');
      // 4 GiB + 32 bytes are taken: one 1 MiB page fits under 4098 MiB, a second one misses by 32 bytes.
      const value = 'a'.repeat(400 * 1024);
      const replies: string[] = [];
      for (let i = 0; i < 5; i++) {
        c.send(`set big${i} 0 0 ${value.length}\r\n${value}\r\n`);
        replies.push(await c.line());
      }
      assert.deepEqual(replies.slice(0, 2), ['STORED', 'STORED']);
      assert.ok(replies.includes('SERVER_ERROR out of memory storing object'), replies.join(', '));
      slabs = await c.stats('slabs');
      assert.equal(slabs.get('active_slabs'), '1');
      assert.equal(slabs.get('total_malloced'), String(4294967328 + 1024 * 1024));
      c.close();
    } finally {
      await d.stop();
    }
  });
}
