// memjs (npm; binary protocol) against the real daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import memjs from 'memjs';
import { startDaemon } from '../support/daemon.js';

test('memjs: binary set/get/add/replace/delete/increment/flush', async () => {
  const d = await startDaemon();
  const c = memjs.Client.create(`127.0.0.1:${d.port}`, { retries: 0, timeout: 3, logger: { log: () => {} } });
  try {
    assert.equal(await c.set('a', 'hello', { expires: 0 }), true);
    const got = await c.get('a');
    assert.equal(got.value?.toString(), 'hello');
    assert.equal((await c.get('missing')).value, null);
    assert.equal(await c.add('a', 'x', {}), false);
    assert.equal(await c.replace('a', 'world', {}), true);
    assert.equal((await c.get('a')).value?.toString(), 'world');
    await c.set('n', '5', {});
    const inc = await c.increment('n', 10, {});
    assert.equal(inc.value, 15);
    assert.equal(await c.delete('a'), true);
    assert.equal(await c.delete('a'), false);
    const big = Buffer.alloc(200_000, 0x61);
    assert.equal(await c.set('big', big, {}), true);
    assert.deepEqual((await c.get('big')).value, big);
    const st = await new Promise<Record<string, string>>((resolve, reject) =>
      c.stats((err, _server, stats) => (err ? reject(err) : resolve(stats ?? {}))),
    );
    assert.equal(st['version'], '1.6.18');
    assert.ok(Number(st['curr_items']) >= 2);
    const flushed = await c.flush();
    assert.ok(Object.values(flushed).every((v) => v === true));
    assert.equal((await c.get('n')).value, null);
  } finally {
    c.close();
    await d.stop();
  }
});
