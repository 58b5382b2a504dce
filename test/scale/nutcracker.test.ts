// Three memcachedts nodes behind nutcracker (twemproxy) with a ketama pool: keys spread,
// read back intact, and a dead node is ejected and returns. Loopback only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { freePort } from '../support/ports.js';
import { RawClient } from '../support/client.js';
import { haveTool } from '../support/tools.js';
import { sleep } from '../support/wait.js';

const NUTCRACKER = '/usr/sbin/nutcracker';
const KEYS = 10_000;
const useMemcached = process.env.SCALE_TEST_MEMCACHED === '1'; // run the same test against Debian's memcached

async function waitPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const c = await RawClient.connect(port);
      c.close();
      return;
    } catch {
      if (Date.now() > end) throw new Error(`port ${port} not listening`);
      await sleep(50);
    }
  }
}

/** Pipelined noreply-less sets; resolves when every STORED has arrived. */
async function setMany(c: RawClient, from: number, to: number): Promise<void> {
  let batch = '';
  for (let i = from; i < to; i++) batch += `set key:${i} ${i % 65536} 0 ${String(i).length + 6}\r\nvalue-${i}\r\n`;
  c.send(batch);
  for (let i = from; i < to; i++) assert.equal(await c.line(10_000), 'STORED', `set key:${i}`);
}

async function getOne(c: RawClient, i: number): Promise<string | null> {
  c.send(`get key:${i}\r\n`);
  const first = await c.line(5000);
  if (first === 'END') return null;
  if (!first.startsWith('VALUE ')) return first; // SERVER_ERROR from the proxy
  const value = await c.line(5000);
  assert.equal(await c.line(5000), 'END');
  return value;
}

async function currItems(port: number): Promise<number> {
  const c = await RawClient.connect(port);
  const text = await c.request('stats\r\n');
  c.close();
  const m = /STAT curr_items (\d+)/.exec(text);
  return Number(m?.[1] ?? -1);
}

test('nutcracker ketama pool over three nodes: spread, intact, ejection and return', { timeout: 120_000 }, async (t) => {
  if (!haveTool(t, NUTCRACKER, 'nutcracker (twemproxy)')) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcts-nut-'));
  const nodes: Daemon[] = [];
  let proxy: ChildProcess | null = null;
  try {
    for (let i = 0; i < 3; i++) nodes.push(await startDaemon({ memcached: useMemcached }));
    const proxyPort = await freePort();
    const statsPort = await freePort();
    // ketama places servers on the ring by name; these three names give an even ring.
    const conf = [
      'pool:',
      `  listen: 127.0.0.1:${proxyPort}`,
      '  hash: fnv1a_64',
      '  distribution: ketama',
      '  auto_eject_hosts: true',
      '  server_retry_timeout: 1500',
      '  server_failure_limit: 1',
      '  timeout: 2000',
      '  servers:',
      ...nodes.map((n, i) => `   - 127.0.0.1:${n.port}:1 ${['cache-a','cache-b','cache-c'][i]}`),
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'nutcracker.yml'), conf);
    proxy = spawn(NUTCRACKER, ['-c', path.join(dir, 'nutcracker.yml'), '-s', String(statsPort), '-a', '127.0.0.1', '-p', path.join(dir, 'pid'), '-o', path.join(dir, 'log')], { stdio: 'ignore' });
    await waitPort(proxyPort, 5000);

    const c = await RawClient.connect(proxyPort);
    for (let from = 0; from < KEYS; from += 1000) await setMany(c, from, from + 1000);
    const counts = await Promise.all(nodes.map((n) => currItems(n.port)));
    assert.equal(counts.reduce((a, b) => a + b, 0), KEYS, `items per node ${counts}`);
    for (const n of counts) assert.ok(Math.abs(n - KEYS / 3) <= (KEYS / 3) * 0.2, `uneven spread ${counts}`);
    for (let i = 0; i < KEYS; i += 7) assert.equal(await getOne(c, i), `value-${i}`);

    // Kill one node: after the first failures it is ejected and the pool serves from the others.
    const dead = nodes[1]!;
    const deadPort = dead.port;
    await dead.stop();
    let errors = 0;
    for (let i = 0; i < 300; i++) {
      const v = await getOne(c, i);
      if (v !== null && v.startsWith('SERVER_ERROR')) errors++;
    }
    assert.ok(errors <= 5, `errors after ejection: ${errors}`);
    await setMany(c, 0, 300); // keys of the dead node now land on the live ones
    for (let i = 0; i < 300; i++) assert.equal(await getOne(c, i), `value-${i}`);

    // The node returns on the same port; after server_retry_timeout the proxy uses it again.
    nodes[1] = await startDaemon({ memcached: useMemcached, port: deadPort });
    await sleep(2500);
    for (let i = 0; i < 300; i++) await getOne(c, i); // retries the returned host
    await setMany(c, 20_000, 23_000);
    assert.ok((await currItems(deadPort)) > 500, 'returned node receives keys again');
    c.close();
  } finally {
    proxy?.kill('SIGTERM');
    await Promise.all(nodes.map((n) => n.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
