// SIGHUP re-reads the -Y file (and SASL users) without a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { sleep } from '../support/wait.js';
import { makeTempDir } from '../support/temp-dir.js';

async function login(port: number, user: string, pass: string): Promise<string> {
  const c = await RawClient.connect(port);
  const token = `${user} ${pass}`;
  c.send(`set auth 0 0 ${token.length}\r\n${token}\r\n`);
  const line = await c.line(3000);
  c.close();
  return line;
}

test('SIGHUP reloads the -Y auth file', async () => {
  const dir = makeTempDir('mcts-hup-');
  chmodSync(dir, 0o755);
  const file = join(dir, 'auth');
  writeFileSync(file, 'alice:secret\n', { mode: 0o644 });
  const d = await startDaemon({ args: ['-Y', file, '-u', 'nobody'] });
  try {
    assert.equal(await login(d.port, 'alice', 'secret'), 'STORED');
    assert.equal(await login(d.port, 'bob', 'pw'), 'CLIENT_ERROR authentication failure');
    writeFileSync(file, 'bob:pw\n');
    d.proc.kill('SIGHUP');
    const deadline = Date.now() + 3000;
    while ((await login(d.port, 'bob', 'pw')) !== 'STORED') {
      assert.ok(Date.now() < deadline, 'bob accepted after SIGHUP');
      await sleep(50);
    }
    assert.equal(await login(d.port, 'alice', 'secret'), 'CLIENT_ERROR authentication failure');
    assert.equal(d.proc.exitCode, null, 'SIGHUP does not stop the daemon');
  } finally {
    assert.equal(await d.stop(), 0);
  }
});
