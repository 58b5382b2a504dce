// The real bin/memcachedts: flags, messages and exit codes as memcached gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { runToExit, startDaemon, PROJECT_ROOT } from '../support/daemon.js';
import { freePort } from '../support/ports.js';
import { RawClient } from '../support/client.js';
import { sleep } from '../support/wait.js';
import { makeTempDir } from '../support/temp-dir.js';

const isRoot = process.getuid?.() === 0;

/** The exit code of a process that is expected to end by itself within a few seconds. */
async function exitCodeOf(proc: import('node:child_process').ChildProcess): Promise<number | null> {
  const deadline = Date.now() + 5000;
  while (proc.exitCode === null && proc.signalCode === null) {
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error('process did not exit');
    }
    await sleep(25);
  }
  return proc.exitCode;
}

test('-h prints the flag list and exits 0', async () => {
  const r = await runToExit(['-h']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^-p, --port=<num>/m);
  assert.match(r.stdout, /^-o, --extended/m);
  assert.match(r.stdout, /--config-file/);
});

test('-V prints our version line and exits 0', async () => {
  const r = await runToExit(['-V']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'memcachedts 0.1.0 (memcached 1.6.18 compatible)\n');
});

test('bad flags and values: memcached messages, exit 64', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /^memcachedts: unrecognized option '--bogus'\nIllegal argument "\?"\n$/],
    [['-x'], /invalid option -- 'x'/],
    [['-m', 'abc'], /^Cannot set item size limit higher than 1\/2 of memory max\.\n$/],
    [['-p', '99999'], /^ERROR: Invalid port number 99999\.\n$/],
    [['-I', '2k'], /^slab_chunk_max \(bytes: 524288\) cannot be larger than -I \(item_size_max 2048\)\n$/],
    [['-S', '-B', 'ascii'], /^ERROR: You cannot allow the ASCII protocol while using SASL\.\n$/],
    [['-S', '-U', '11211'], /^ERROR: Cannot enable UDP while using binary SASL authentication\.\n$/],
    [['-o', 'bogus'], /^Illegal suboption "bogus"\n$/],
  ];
  for (const [args, re] of cases) {
    const r = await runToExit([...args, '-u', 'nobody']);
    assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
  }
});

test('root without -u refuses to start (exit 64)', { skip: !isRoot && 'needs root' }, async () => {
  const r = await runToExit(['-p', String(await freePort()), '-l', '127.0.0.1']);
  assert.equal(r.code, 64);
  assert.equal(r.stderr, "can't run as root without the -u switch\n");
});

test('an unknown -u user exits 67', { skip: !isRoot && 'needs root' }, async () => {
  const r = await runToExit(['-p', String(await freePort()), '-l', '127.0.0.1', '-u', 'no-such-user-mcts']);
  assert.equal(r.code, 67);
  assert.equal(r.stderr, "can't find the user no-such-user-mcts to switch to\n");
});

test('a port in use: the address in the message, exit 71', async () => {
  const port = await freePort();
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  try {
    const r = await runToExit(['-p', String(port), '-l', '127.0.0.1', '-u', 'nobody']);
    assert.equal(r.code, 71, r.stderr);
    assert.match(r.stderr, /127\.0\.0\.1/);
  } finally {
    blocker.close();
  }
});

test('flags that cannot apply in Node: one warning line each, the server still starts', async () => {
  const d = await startDaemon({ args: ['-k', '-L', '-r', '-u', 'nobody'] });
  try {
    const lines = d.stderr().split('\n').filter((l) => l.startsWith('WARNING'));
    assert.equal(lines.length, 3, d.stderr());
    const c = await RawClient.connect(d.port);
    assert.equal(await c.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
    c.close();
  } finally {
    assert.equal(await d.stop(), 0);
  }
});

test('SIGTERM: exit 0; "Exiting normally" with -v, as memcached prints it', async () => {
  const quiet = await startDaemon({ args: ['-u', 'nobody'] });
  assert.equal(await quiet.stop(), 0);
  assert.ok(!quiet.stderr().includes('Exiting normally'), quiet.stderr());
  const verbose = await startDaemon({ args: ['-v', '-u', 'nobody'] });
  assert.equal(await verbose.stop(), 0);
  assert.match(verbose.stderr(), /^Exiting normally$/m);
});

test('SIGINT also exits 0', async () => {
  const d = await startDaemon({ args: ['-u', 'nobody'] });
  d.proc.kill('SIGINT');
  assert.equal(await d.stop(), 0);
});

test('-vv prints the slab classes first, as memcached does', async () => {
  const d = await startDaemon({ args: ['-vv', '-u', 'nobody'] });
  try {
    const err = d.stderr();
    assert.match(err, /^slab class {3}1: chunk size {8}96 perslab {3}10922$/m);
    assert.match(err, /^slab class {2}39: chunk size {4}524288 perslab {7}2$/m);
  } finally {
    await d.stop();
  }
});

test('-S without any SASL config: exit 1, memcached messages', { skip: !isRoot && 'needs root' }, async (t) => {
  const empty = makeTempDir('mcts-nosasl-');
  const { existsSync } = await import('node:fs');
  if (existsSync('/etc/sasl2/memcached.conf') || existsSync('/etc/sasl/memcached.conf')) {
    t.skip('a system SASL config exists');
    return;
  }
  const port = String(await freePort());
  const quiet = await runToExit(['-S', '-p', port, '-l', '127.0.0.1', '-u', 'nobody'], { SASL_CONF_PATH: empty });
  assert.equal(quiet.code, 1);
  assert.equal(quiet.stderr, 'Error initializing sasl.\n');
  const verbose = await runToExit(['-S', '-v', '-p', port, '-l', '127.0.0.1', '-u', 'nobody'], { SASL_CONF_PATH: empty });
  assert.equal(verbose.code, 1);
  assert.match(verbose.stderr, /Failed to locate a config path\nError initializing sasl\.\n$/);
});

test('--config-file memcached.conf.example starts with its settings (later flags win)', async () => {
  const port = await freePort();
  const d = await startDaemon({ args: ['--config-file', join(PROJECT_ROOT, 'memcached.conf.example'), '-p', String(port), '-l', '127.0.0.1'], port });
  try {
    const c = await RawClient.connect(port);
    const stats = await c.request('stats settings\r\n');
    assert.match(stats, /STAT maxbytes 67108864\r\n/);
    assert.match(stats, /STAT maxconns 1024\r\n/);
    assert.match(stats, new RegExp(`STAT tcpport ${port}\\r\\n`));
    c.close();
  } finally {
    assert.equal(await d.stop(), 0);
  }
});

test('--log-format json: stderr lines are pino JSON', async () => {
  const d = await startDaemon({ args: ['--log-format', 'json', '-v', '-u', 'nobody'] });
  await d.stop();
  const lines = d.stderr().trim().split('\n').filter((l) => l !== '');
  assert.ok(lines.length > 0);
  for (const l of lines) {
    const o = JSON.parse(l) as { msg?: unknown; level?: unknown };
    assert.equal(typeof o.msg, 'string', l);
  }
  assert.ok(lines.some((l) => (JSON.parse(l) as { msg: string }).msg === 'Exiting normally'));
});

test('-c above the open-file limit: a warning, and the server starts', async () => {
  const { readFileSync } = await import('node:fs');
  const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const limit = m === null ? 1_000_000 : Number(m[1]);
  const d = await startDaemon({ args: ['-c', String(limit + 1), '-u', 'nobody'] });
  try {
    assert.match(d.stderr(), new RegExp(`WARNING: -c ${limit + 1} is above the open file limit`));
  } finally {
    assert.equal(await d.stop(), 0);
  }
  const ok = await startDaemon({ args: ['-c', '100', '-u', 'nobody'] });
  try {
    assert.ok(!ok.stderr().includes('open file limit'));
  } finally {
    await ok.stop();
  }
});

test('shutdown with -A stops the daemon (exit 0); shutdown graceful prints "Gracefully stopping"', async () => {
  const plain = await startDaemon({ args: ['-A', '-v', '-u', 'nobody'] });
  const c1 = await RawClient.connect(plain.port);
  c1.send('shutdown\r\n');
  assert.ok(await c1.closedWithin(3000));
  const exit1 = await exitCodeOf(plain.proc);
  assert.equal(exit1, 0);
  assert.match(plain.stderr(), /^Exiting normally$/m);

  const graceful = await startDaemon({ args: ['-A', '-u', 'nobody'] });
  const c2 = await RawClient.connect(graceful.port);
  c2.send('shutdown graceful\r\n');
  assert.ok(await c2.closedWithin(3000));
  const exit2 = await exitCodeOf(graceful.proc);
  assert.equal(exit2, 0);
  assert.match(graceful.stderr(), /^Gracefully stopping$/m);
});
