// -o debug_commands: memcached-debug's `debugtime` moves, pauses and resumes the server clock
// (t/expirations.t drives expiry with it). Without the option it is an unknown command, as in
// release memcached, which is asked too.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { runToExit, startDaemon, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { sleep } from '../support/wait.js';

const daemons: Daemon[] = [];
after(async () => {
  for (const d of daemons) await d.stop();
});

async function client(args: string[], memcached = false): Promise<RawClient> {
  const d = await startDaemon({ args, memcached });
  daemons.push(d);
  return RawClient.connect(d.port);
}

async function ask(c: RawClient, line: string): Promise<string> {
  c.send(line + '\r\n');
  return c.line();
}

async function isStored(c: RawClient, key: string): Promise<boolean> {
  c.send(`get ${key}\r\n`);
  const first = await c.line();
  if (first === 'END') return false;
  assert.match(first, /^VALUE /);
  await c.line();
  assert.equal(await c.line(), 'END');
  return true;
}

test('-h lists -o debug_commands and says it is off by default', async () => {
  const r = await runToExit(['-h']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^ {3}- debug_commands: .*\n.*debugtime.*\n.*off by default/m);
});

for (const memcached of [true, false]) {
  test(`${memcached ? 'memcached' : 'memcachedts'} without the option: debugtime is an unknown command`, async () => {
    const c = await client([], memcached);
    for (const line of ['debugtime 5', 'debugtime p', 'debugtime']) assert.equal(await ask(c, line), 'ERROR', line);
    c.close();
  });
}

test('debugtime N moves the clock: relative and absolute exptimes expire, stats time follows', async () => {
  const c = await client(['-o', 'debug_commands']);
  c.send('stats\r\n');
  let timeBefore = 0;
  for (;;) {
    const l = await c.line();
    if (l === 'END') break;
    if (l.startsWith('STAT time ')) timeBefore = Number(l.slice(10));
  }
  const absolute = Math.floor(Date.now() / 1000) + 100;
  assert.equal(await ask(c, 'set rel 0 50 1\r\na'), 'STORED');
  assert.equal(await ask(c, `set abs 0 ${absolute} 1\r\na`), 'STORED');
  assert.equal(await ask(c, 'debugtime 30'), 'OK');
  assert.equal(await isStored(c, 'rel'), true);
  assert.equal(await ask(c, 'debugtime 30'), 'OK');
  assert.equal(await isStored(c, 'rel'), false, '60 s on, a 50 s item is gone');
  assert.equal(await isStored(c, 'abs'), true);
  assert.equal(await ask(c, 'debugtime 50'), 'OK');
  assert.equal(await isStored(c, 'abs'), false, '110 s on, an item that ends at now+100 is gone');
  c.send('stats\r\n');
  for (;;) {
    const l = await c.line();
    if (l === 'END') break;
    if (l.startsWith('STAT time ')) assert.ok(Number(l.slice(10)) - timeBefore >= 110);
  }
  // Back again: an item set now with a 20 s ttl lives until the clock passes it again.
  assert.equal(await ask(c, 'debugtime -100'), 'OK');
  assert.equal(await ask(c, 'set back 0 20 1\r\na'), 'STORED');
  assert.equal(await ask(c, 'debugtime 10'), 'OK');
  assert.equal(await isStored(c, 'back'), true);
  assert.equal(await ask(c, 'debugtime 11'), 'OK');
  assert.equal(await isStored(c, 'back'), false);
  c.close();
});

test('debugtime p stops the clock and r restarts it; bad arguments get ERROR', async () => {
  const c = await client(['-o', 'debug_commands']);
  for (const bad of ['debugtime', 'debugtime x', 'debugtime 5x', 'debugtime 99999999999999999999', 'debugtime P']) {
    assert.equal(await ask(c, bad), 'ERROR', bad);
  }
  assert.equal(await ask(c, 'debugtime p'), 'OK');
  assert.equal(await ask(c, 'set t 0 1 1\r\na'), 'STORED');
  await sleep(2100);
  assert.equal(await isStored(c, 't'), true, 'paused: 2 s of wall time do not count');
  assert.equal(await ask(c, 'debugtime r'), 'OK');
  assert.equal(await isStored(c, 't'), false, 'resumed: the clock caught up with the wall clock');

  // Huge shifts are accepted and clamp the clock instead of wrapping it.
  assert.equal(await ask(c, 'debugtime -9223372036854775808'), 'OK');
  assert.equal(await ask(c, 'debugtime 9223372036854775807'), 'OK');
  assert.equal(await ask(c, 'set never 0 0 1\r\na'), 'STORED');
  assert.equal(await ask(c, 'set soon 0 5 1\r\na'), 'STORED');
  assert.equal(await ask(c, 'debugtime -9223372036854775807'), 'OK');
  assert.equal(await isStored(c, 'never'), true);
  assert.equal(await isStored(c, 'soon'), true);
  c.close();
});
