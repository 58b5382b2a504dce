// -t N: the real daemon with several serving threads (threads/host.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chmodSync, existsSync } from 'node:fs';
import { BIN_NODE_FLAGS, PROJECT_ROOT, runToExit, startDaemon, type Daemon } from '../support/daemon.js';
import { run } from '../support/tools.js';
import { freePort } from '../support/ports.js';
import { RawClient } from '../support/client.js';
import { sleep } from '../support/wait.js';
import { makeTempDir } from '../support/temp-dir.js';

const asUser = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];

/**
 * The daemon with args, once every serving thread listens: thread 1 accepts as soon as it has
 * bound, and the port file is written when the others have joined it.
 */
async function startThreaded(args: string[], port?: number): Promise<Daemon> {
  const dir = makeTempDir('threads-port');
  chmodSync(dir, 0o777); // written by the -u user
  const portFile = join(dir, 'ports');
  const d = await startDaemon({ args, env: { MEMCACHED_PORT_FILENAME: portFile }, ...(port === undefined ? {} : { port }) });
  const deadline = Date.now() + 5000;
  while (!existsSync(portFile) && Date.now() < deadline) await sleep(10);
  assert.ok(existsSync(portFile), 'no port file');
  return d;
}

/** Opens n connections at once (so the threads polling the listener race for them). */
async function connectMany(port: number, n: number): Promise<RawClient[]> {
  return Promise.all(Array.from({ length: n }, () => RawClient.connect(port)));
}

/**
 * Connections in rounds of 20 until every thread has accepted some of them (thread 1 also
 * counts its listener and startDaemon's probe), at most 5 rounds: the kernel's spread is uneven.
 */
async function connectSpread(port: number): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  for (let round = 0; round < 5; round++) {
    clients.push(...(await connectMany(port, 20)));
    const spread = await perThreadConnections(clients[0]!);
    if (spread[0]! > 2 && spread.slice(1).every((n) => n > 0)) break;
  }
  return clients;
}

/** thread_total_connections of `stats memcachedts`, per thread. */
async function perThreadConnections(c: RawClient): Promise<number[]> {
  const st = await c.stats('memcachedts');
  return st.get('thread_total_connections')!.split(',').map(Number);
}

async function exited(d: Daemon, ms: number): Promise<number | string | null> {
  const deadline = Date.now() + ms;
  while (d.proc.exitCode === null && d.proc.signalCode === null && Date.now() < deadline) await sleep(25);
  return d.proc.exitCode ?? d.proc.signalCode;
}

test('-t 2: both threads accept connections, and stats sums their counters', async () => {
  const d = await startThreaded(['-t', '2', ...asUser]);
  try {
    const clients = await connectSpread(d.port);
    const n = clients.length;
    for (const [i, c] of clients.entries()) {
      assert.equal(await c.request(`get nokey${i}\r\n`), 'END\r\n');
    }
    const probe = clients[0]!;
    const spread = await perThreadConnections(probe);
    assert.equal(spread.length, 2);
    // each thread counts the connections it accepted (thread 1 its listener too; startDaemon's
    // probe connection makes one more)
    assert.equal(spread[0]! + spread[1]!, n + 2, spread.join(','));
    assert.ok(spread[0]! > 2 && spread[1]! > 0, `connections per thread: ${spread.join(',')}`);
    const st = await probe.stats();
    assert.equal(st.get('threads'), '2');
    assert.equal(st.get('cmd_get'), String(n));
    assert.equal(st.get('total_connections'), String(n + 2));
    assert.equal(st.get('curr_connections'), String(n)); // 1 listener + n clients - 1
    // `stats reset` on one thread resets the sums of both
    assert.equal(await probe.request('stats reset\r\n', 'RESET'), 'RESET\r\n');
    const after = await clients[n - 1]!.stats();
    assert.equal(after.get('cmd_get'), '0');
    assert.equal(after.get('total_connections'), '0');
    assert.equal(after.get('curr_connections'), String(n));
    // stats conns on either thread lists every client (ids unique server-wide) and the listener
    for (const asker of clients) {
      const conns = await asker.stats('conns');
      const addrs = [...conns.keys()].filter((k) => k.endsWith(':addr'));
      assert.equal(addrs.length, n + 1, [...conns.entries()].join('\n'));
      assert.equal(new Set(addrs).size, n + 1);
      const ports = new Set(clients.map((c) => 'tcp:127.0.0.1:' + c.socket.localPort));
      assert.equal([...conns.values()].filter((v) => ports.has(v)).length, n);
      const states = [...conns.entries()].filter(([k]) => k.endsWith(':state')).map(([, v]) => v);
      // the asker is parsing its command; the others, on both threads, wait for one
      assert.deepEqual(states.filter((v) => v !== 'conn_listening').sort().join(), ['conn_parse_cmd', ...Array(n - 1).fill('conn_new_cmd')].sort().join());
    }
    for (const c of clients) c.close();
  } finally {
    await d.stop();
  }
});

// memcached's crawler thread starts a requested crawl at once; ours runs in thread 1, which
// another thread wakes (background-wake.ts): without it a crawl asked on thread 2 waited for
// thread 1's idle tick (up to a second), and the next `lru_crawler crawl` answered BUSY.
test('-t 2: lru_crawler crawl asked on either thread runs at once', async () => {
  const d = await startThreaded(['-t', '2', ...asUser]);
  try {
    const clients = await connectSpread(d.port);
    assert.equal(await clients[0]!.request('set k 0 0 1\r\na\r\n', 'STORED'), 'STORED\r\n');
    for (const c of clients) {
      assert.equal(await c.request('lru_crawler crawl all\r\n', 'OK'), 'OK\r\n');
      const deadline = Date.now() + 250;
      let running = '1';
      while (running !== '0' && Date.now() < deadline) running = (await c.stats()).get('lru_crawler_running')!;
      assert.equal(running, '0', 'the crawl was still running after 250 ms');
    }
    for (const c of clients) c.close();
  } finally {
    await d.stop();
  }
});

test('-t 2: the verbosity command on one connection is the level of every thread', async () => {
  const d = await startThreaded(['-t', '2', ...asUser]);
  try {
    const clients = await connectSpread(d.port);
    const spread = await perThreadConnections(clients[0]!);
    assert.ok(spread[0]! > 2 && spread[1]! > 0, `connections per thread: ${spread.join(',')}`);
    assert.equal(await clients[0]!.request('verbosity 2\r\n', 'OK'), 'OK\r\n');
    for (const [i, c] of clients.entries()) assert.equal(await c.request(`get verbose${i}\r\n`), 'END\r\n');
    const last = clients.length - 1;
    const deadline = Date.now() + 2000;
    while (!d.stderr().includes(` get verbose${last}\n`) && Date.now() < deadline) await sleep(20);
    for (let i = 0; i <= last; i++) assert.match(d.stderr(), new RegExp(`<\\d+ get verbose${i}\n`));
    for (const c of clients) c.close();
  } finally {
    await d.stop();
  }
});

test('-t 2: -c is one limit for the whole server, whichever thread accepts', async () => {
  const d = await startThreaded(['-t', '2', '-c', '6', ...asUser]);
  try {
    // one slot for this client, once startDaemon's probe has gone
    const admin = await RawClient.connect(d.port);
    const deadline = Date.now() + 3000;
    while ((await admin.stats()).get('curr_connections') !== '1' && Date.now() < deadline) await sleep(20);
    const clients = await connectMany(d.port, 16);
    // a refused connection gets memcached's line and is closed; the others hear nothing yet
    const greetings = await Promise.all(clients.map((c) => c.drain(500)));
    const refused = greetings.filter((g) => g.toString('latin1') === 'ERROR Too many open connections\r\n').length;
    const servedClients = clients.filter((_, i) => greetings[i]!.length === 0);
    assert.equal(refused, 11, greetings.map((g) => JSON.stringify(g.toString('latin1'))).join(' '));
    assert.equal(servedClients.length, 5);
    for (const c of servedClients) assert.match(await c.request('version\r\n', 'VERSION 1.6.18'), /^VERSION /);
    const st = await admin.stats();
    assert.equal(st.get('rejected_connections'), '11');
    for (const c of clients) c.close();
    admin.close();
  } finally {
    await d.stop();
  }
});

test('-t 2: SIGTERM stops every thread (exit 0); shutdown from any connection too', async () => {
  const d = await startThreaded(['-t', '2', '-v', ...asUser]);
  const clients = await connectMany(d.port, 12);
  d.proc.kill('SIGTERM');
  for (const c of clients) assert.ok(await c.closedWithin(3000), 'a connection stayed open');
  assert.equal(await exited(d, 5000), 0);
  assert.match(d.stderr(), /^Exiting normally$/m);

  const e = await startThreaded(['-t', '3', '-A', ...asUser]);
  const others = await connectMany(e.port, 12);
  others[5]!.send('shutdown\r\n');
  for (const c of others) assert.ok(await c.closedWithin(3000), 'a connection stayed open');
  assert.equal(await exited(e, 5000), 0);
});

test('-t 2 -e: a graceful stop saves what every thread stored, and the restart serves it', async () => {
  const dir = makeTempDir('threads-restart');
  chmodSync(dir, 0o777); // written by the -u user
  const file = join(dir, 'memory_file');
  const port = await freePort();
  const first = await startThreaded(['-t', '2', '-e', file, '-m', '64', ...asUser], port);
  const writers = await connectMany(port, 20);
  for (const [i, c] of writers.entries()) assert.equal(await c.request(`set key${i} 0 0 7\r\nvalue${i + 10}\r\n`, 'STORED'), 'STORED\r\n');
  for (const c of writers) c.close();
  first.proc.kill('SIGUSR1');
  assert.equal(await exited(first, 8000), 0);
  assert.match(first.stderr(), /^Gracefully stopping$/m);

  const second = await startThreaded(['-t', '2', '-e', file, '-m', '64', ...asUser], port);
  try {
    const readers = await connectMany(port, 20);
    for (const [i, c] of readers.entries()) {
      assert.equal(await c.request(`get key${i}\r\n`), `VALUE key${i} 0 7\r\nvalue${i + 10}\r\nEND\r\n`);
    }
    for (const c of readers) c.close();
  } finally {
    await second.stop();
  }
});

test('-t 4 -o hashpower=12: refused as memcached refuses it (exit 1)', async () => {
  const r = await runToExit(['-t', '4', '-o', 'hashpower=12', '-p', '0', '-U', '0', ...asUser]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    'Hash table power size (12) cannot be equal to or less than item lock table (12)\n' +
      'Item lock table grows with `-t N` (worker threadcount)\nHash table grows with `-o hashpower=N` \n',
  );
});

test('-t 2 leaves a stdout it shares with its parent blocking (a harness writing to it loses nothing)', async () => {
  // The shell and the daemon share one pipe as stdout; python reads the O_NONBLOCK flag of it
  // once the daemon serves. Node opens a pipe it writes to as non-blocking, which made perl's
  // own output to the same pipe fail with EAGAIN under memcached's test suite.
  const port = await freePort();
  const script = `${JSON.stringify(process.execPath)} ${BIN_NODE_FLAGS.join(' ')} ${JSON.stringify(join(PROJECT_ROOT, 'bin/memcachedts.js'))} ` +
    `-t 2 -p ${port} -l 127.0.0.1 -U 0 ${asUser.join(' ')} & pid=$!; ` +
    `i=0; while ! (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; sleep 0.5; ` +
    `python3 -c 'import fcntl, os; print("nonblocking" if fcntl.fcntl(1, fcntl.F_GETFL) & os.O_NONBLOCK else "blocking")'; kill $pid; wait $pid`;
  const r = await run('bash', ['-c', script], { timeoutMs: 20_000 });
  assert.match(r.stdout, /^blocking$/m, r.stdout + r.stderr);
});
