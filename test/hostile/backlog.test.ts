// A pipelining client cannot make the server hold an unbounded backlog of unparsed input, before
// or after authentication: with another client connected, -R makes the attacker's connection
// yield every 20 requests, and the server then stops reading its socket once INPUT_HOLD_BYTES
// are waiting (TCP pushes back), as memcached reads only what it has room to parse. Before the
// fix RSS grew by gigabytes in seconds (issue #14 A); memcached stays flat. When the attacker
// goes, its backlog goes with it and the other client is answered at once.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startDaemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { rssKb } from '../support/proc.js';
import { sleep, within } from '../support/wait.js';
import { Opcode } from '../../src/protocol/binary/header.js';
import { req } from '../support/binary-packets.js';
import { makeTempDir } from '../support/temp-dir.js';

// BACKLOG_ATTACK_MS and BACKLOG_SERVER=memcached give docs/reliability.md's side-by-side figures.
const ATTACK_MS = Number(process.env.BACKLOG_ATTACK_MS ?? 4000);
const AGAINST_MEMCACHED = process.env.BACKLOG_SERVER === 'memcached';
const MAX_GROWTH_KB = 64 * 1024;

let dir = '';
let saslEnv: NodeJS.ProcessEnv = {};
let authFile = '';

before(() => {
  dir = makeTempDir('memcachedts-backlog-');
  const pwdb = path.join(dir, 'pwdb');
  fs.writeFileSync(pwdb, 'alice:secret\n');
  fs.writeFileSync(path.join(dir, 'memcached.conf'), `mech_list: plain\nsasldb_path: ${path.join(dir, 'none')}\n`);
  saslEnv = { SASL_CONF_PATH: dir, MEMCACHED_SASL_PWDB: pwdb };
  authFile = path.join(dir, 'ascii-auth');
  fs.writeFileSync(authFile, 'alice:secret\n');
});

/**
 * Writes `burst` as fast as the socket takes it (waiting for 'drain', so this client buffers
 * nothing) and reads and drops every reply, for ATTACK_MS; returns the daemon's peak RSS growth.
 */
async function attack(port: number, pid: number, burst: Buffer): Promise<number> {
  const base = rssKb(pid);
  let peak = base;
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  sock.on('data', () => {});
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  const deadline = Date.now() + ATTACK_MS;
  let isOpen = true;
  sock.once('close', () => (isOpen = false));
  const sampler = setInterval(() => {
    const rss = rssKb(pid);
    if (rss > peak) peak = rss;
  }, 50);
  try {
    while (isOpen && Date.now() < deadline) {
      if (!sock.write(burst)) {
        await Promise.race([new Promise((r) => sock.once('drain', r)), sleep(Math.max(1, deadline - Date.now()))]);
      }
    }
  } finally {
    clearInterval(sampler);
    sock.destroy();
  }
  const rss = rssKb(pid);
  return (rss > peak ? rss : peak) - base;
}

function repeat(one: Buffer, n: number): Buffer {
  return Buffer.concat(Array.from({ length: n }, () => one));
}

const cases: Array<{ name: string; args: () => string[]; env: () => NodeJS.ProcessEnv; burst: Buffer }> = [
  {
    name: 'no auth, binary GETQ misses',
    args: () => [],
    env: () => ({}),
    burst: repeat(req(Opcode.GetQ, { key: 'missing-key' }), 4000),
  },
  {
    name: 'no auth, text gets',
    args: () => [],
    env: () => ({}),
    burst: Buffer.from('get k\r\n'.repeat(4000), 'latin1'),
  },
  {
    name: 'no auth, meta mg',
    args: () => [],
    env: () => ({}),
    burst: Buffer.from('mg k v\r\n'.repeat(4000), 'latin1'),
  },
  {
    name: '-S before auth, binary VERSION',
    args: () => ['-S'],
    env: () => saslEnv,
    burst: repeat(req(Opcode.Version, {}), 4000),
  },
  {
    name: '-Y before auth, text gets',
    args: () => ['-Y', authFile],
    env: () => ({}),
    burst: Buffer.from('get k\r\n'.repeat(4000), 'latin1'),
  },
];

for (const c of cases) {
  test(`a yielded pipelining client holds a bounded backlog (${c.name})`, async (t) => {
    const d = await startDaemon({ args: ['-m', '64', ...c.args()], env: c.env(), memcached: AGAINST_MEMCACHED });
    try {
      const pid = d.proc.pid!;
      // The idle second client makes the attacker's connection yield (-R) every 20 requests.
      const idle = await RawClient.connect(d.port);
      const growthKb = await attack(d.port, pid, c.burst);
      t.diagnostic(`${AGAINST_MEMCACHED ? 'memcached' : 'memcachedts'}: RSS +${(growthKb / 1024).toFixed(1)} MiB in ${ATTACK_MS} ms`);
      assert.ok(growthKb < MAX_GROWTH_KB, `RSS grew by ${Math.round(growthKb / 1024)} MiB under the attack`);
      // The attacker is gone: its backlog is dropped, and the server answers the idle client
      // (a text client under -S is closed; -Y answers the unauthenticated version with an error).
      if (c.args()[0] !== '-S') {
        idle.send('version\r\n');
        const reply = await within(idle.line(2000), 2000, 'a reply after the attack');
        assert.match(reply, /^(VERSION |CLIENT_ERROR)/);
      }
      idle.close();
    } finally {
      await d.stop();
    }
  });
}
