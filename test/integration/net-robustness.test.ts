// Connection robustness: a bug while handling one connection closes only that connection, and
// a client that does not read its replies is paused (backpressure) without losing bytes.
import { test } from 'node:test';
import net from 'node:net';
import assert from 'node:assert/strict';
import type { Settings } from '../../src/config/settings.js';
import { createStore } from '../../src/store/cache.js';
import type { Store } from '../../src/store/store.js';
import { RuntimeSettings } from '../../src/config/runtime-settings.js';
import { RawClient } from '../support/client.js';
import { startOnLoopback } from '../support/server.js';
import { sleep } from '../support/wait.js';

test('an exception while serving one connection closes it, logs the stack, and others go on', async () => {
  const failingStore = (settings: Settings): { store: Store; runtime: RuntimeSettings } => {
    const runtime = new RuntimeSettings(settings);
    const store: Store = new Proxy(createStore(settings, runtime), {
      get(target, prop, receiver) {
        if (prop === 'get') {
          return (key: Buffer, keyStart: number, keyLen: number, ...rest: unknown[]) => {
            if (key.toString('latin1', keyStart, keyStart + keyLen) === 'boom') throw new Error('injected bug');
            return (target.get as (...a: unknown[]) => boolean).call(target, key, keyStart, keyLen, ...rest);
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    return { store, runtime };
  };
  const errors: string[] = [];
  const srv = await startOnLoopback({}, { logLines: errors, deps: failingStore });
  try {
    const good = await RawClient.connect(srv.port);
    const bad = await RawClient.connect(srv.port);
    bad.send('get boom\r\n');
    assert.ok(await bad.closedWithin(2000));
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /internal error/);
    assert.match(errors[0]!, /injected bug/);
    assert.match(errors[0]!, /at /); // the stack
    assert.equal(await good.request('get fine\r\n'), 'END\r\n');
    const later = await RawClient.connect(srv.port);
    assert.equal(await later.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    good.close();
    later.close();
  } finally {
    await srv.close(true);
  }
});

test('a client that does not read is paused, then gets every byte', async () => {
  const srv = await startOnLoopback({ itemSizeMax: 1024 * 1024 });
  const port = srv.port;
  try {
    const size = 500 * 1024;
    const c = await RawClient.connect(port);
    c.send(`set big 0 0 ${size}\r\n${'v'.repeat(size)}\r\n`);
    assert.equal(await c.line(), 'STORED');
    c.close();
    // A plain socket that counts bytes (the test client's concatenation is too slow for 30 MB).
    const s = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.pause();
    const n = 60; // ~30 MB of replies
    s.write('get big\r\n'.repeat(n));
    const deadline = Date.now() + 5000;
    while (srv.ctx.counters.out_buffer_pauses === 0 && Date.now() < deadline) await sleep(20);
    assert.ok(srv.ctx.counters.out_buffer_pauses > 0, 'the connection was paused');
    const one = `VALUE big 0 ${size}\r\n`.length + size + 2 + 5;
    let got = 0;
    let tail: Buffer = Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${got} of ${one * n} bytes`)), 10000);
      s.on('data', (d: Buffer) => {
        got += d.length;
        tail = d;
        if (got >= one * n) {
          clearTimeout(t);
          resolve();
        }
      });
      s.resume();
    });
    assert.equal(got, one * n);
    assert.equal(tail.toString('latin1', tail.length - 5), 'END\r\n');
    s.destroy();
  } finally {
    await srv.close(true);
  }
});
