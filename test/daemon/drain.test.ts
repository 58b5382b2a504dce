// SIGTERM while a reply is still on its way: the daemon stops accepting, lets the reply go
// out (bounded wait), then exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDaemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { sleep } from '../support/wait.js';

test('SIGTERM with a large reply in flight: the client still gets all of it, exit 0', async () => {
  const size = 3 * 1024 * 1024;
  const d = await startDaemon({ args: ['-I', '4m', '-m', '64', '-u', 'nobody'] });
  let exit: Promise<number | string> | null = null;
  try {
    const setter = await RawClient.connect(d.port);
    assert.equal(await setter.request(`set big 0 0 ${size}\r\n${'z'.repeat(size)}\r\n`, 'STORED', 10_000), 'STORED\r\n');
    setter.close();

    const reader = await RawClient.connect(d.port);
    reader.socket.pause(); // let the reply pile up on the server side
    reader.send('get big\r\n');
    await sleep(300);
    exit = d.stop(); // SIGTERM now, with most of the reply still unsent
    await sleep(200);
    // A new connection is refused (or closed at once) while draining.
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(d.port, '127.0.0.1');
      s.once('connect', () => s.once('close', () => resolve(true)).once('data', () => resolve(false)));
      s.once('error', () => resolve(true));
      setTimeout(() => resolve(false), 2000).unref();
    });
    assert.ok(refused, 'no new connections once stopping');
    reader.socket.resume();
    const head = await reader.line(5000);
    assert.equal(head, `VALUE big 0 ${size}`);
    const body = await reader.read(size + 2, 5000);
    assert.equal(body.length, size + 2);
    assert.equal(await reader.line(5000), 'END');
    reader.close();
  } finally {
    assert.equal(await (exit ?? d.stop()), 0);
  }
});
