// Process operations of the real bin: -d, -P, -u, logfile, signals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runToExit, startDaemon } from '../support/daemon.js';
import { freePort } from '../support/ports.js';
import { RawClient } from '../support/client.js';
import { sleep, waitFor } from '../support/wait.js';
import { makeTempDir } from '../support/temp-dir.js';

const isRoot = process.getuid?.() === 0;

function tempDir(): string {
  const d = makeTempDir('mcts-proc-');
  chmodSync(d, 0o777); // the daemon may run as nobody
  return d;
}

function uidOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  assert.ok(m !== null, 'Uid line');
  return Number(m[2]); // effective uid
}

/** The uid once privileges are dropped: the daemon binds (and is reachable) before it drops. */
async function settledUidOf(pid: number, want: number): Promise<number> {
  const deadline = Date.now() + 3000;
  let uid = uidOf(pid);
  while (uid !== want && Date.now() < deadline) {
    await sleep(20);
    uid = uidOf(pid);
  }
  return uid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('-P writes the pidfile once listening (without -d too) and SIGTERM removes it', async () => {
  const dir = tempDir();
  const pidFile = join(dir, 'mc.pid');
  const d = await startDaemon({ args: ['-P', pidFile, '-u', 'nobody'] });
  await waitFor(() => existsSync(pidFile), 'pidfile');
  assert.equal(readFileSync(pidFile, 'utf8').trim(), String(d.proc.pid));
  assert.equal(await d.stop(), 0);
  assert.equal(existsSync(pidFile), false);
});

test('-d -P: the parent exits 0 once listening; the pidfile holds the daemon pid; SIGTERM removes it', async () => {
  const dir = tempDir();
  const pidFile = join(dir, 'mc.pid');
  const port = await freePort();
  const r = await runToExit(['-d', '-P', pidFile, '-p', String(port), '-l', '127.0.0.1', '-u', 'nobody']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(existsSync(pidFile), true, 'pidfile written before the parent exits');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    assert.ok(pid > 0 && alive(pid), 'daemon runs');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    assert.match(cmdline, /^memcachedts\0/);
    assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8'), 'memcachedts\n', 'ps, ss -p and journalctl name it');
    // detached: its own session (sid == pid)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(fields[3]), pid, 'session leader');
    if (isRoot) assert.equal(await settledUidOf(pid, 65534), 65534, 'runs as nobody');
    const c = await RawClient.connect(port);
    assert.equal(await c.request('set k 0 0 1\r\nv\r\n', 'STORED'), 'STORED\r\n');
    c.close();
  } finally {
    if (alive(pid)) process.kill(pid, 'SIGTERM');
  }
  await waitFor(() => !alive(pid), 'daemon exit');
  assert.equal(existsSync(pidFile), false, 'pidfile removed');
});

test('-d with a bind failure: the parent reports it and exits 71', async () => {
  const net = await import('node:net');
  const port = await freePort();
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  try {
    const r = await runToExit(['-d', '-p', String(port), '-l', '127.0.0.1', '-u', 'nobody']);
    assert.equal(r.code, 71, r.stderr);
    assert.match(r.stderr, /127\.0\.0\.1/);
  } finally {
    blocker.close();
  }
});

test('--config-file with -d and logfile outside systemd: detaches and logs to the file', async () => {
  const dir = tempDir();
  const port = await freePort();
  const logFile = join(dir, 'mc.log');
  const pidFile = join(dir, 'mc.pid');
  const conf = join(dir, 'memcached.conf');
  writeFileSync(conf, `-d\nlogfile ${logFile}\n-p ${port}\n-l 127.0.0.1\n-u nobody\n-v\n-P ${pidFile}\n`);
  const env = { INVOCATION_ID: '', JOURNAL_STREAM: '' };
  const r = await runToExit(['--config-file', conf], env);
  assert.equal(r.code, 0, r.stderr);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    assert.ok(alive(pid));
  } finally {
    process.kill(pid, 'SIGTERM');
  }
  await waitFor(() => !alive(pid), 'daemon exit');
  assert.match(readFileSync(logFile, 'utf8'), /Exiting normally/);
});

test('--config-file under systemd: -d from the conf is ignored (stays in the foreground)', async () => {
  const dir = tempDir();
  const port = await freePort();
  const conf = join(dir, 'memcached.conf');
  writeFileSync(conf, `-d\nlogfile ${join(dir, 'never.log')}\n-p ${port}\n-l 127.0.0.1\n-u nobody\n`);
  const d = await startDaemon({ args: ['--config-file', conf], port, env: { INVOCATION_ID: 'test-invocation' } });
  try {
    assert.equal(d.proc.exitCode, null, 'still in the foreground');
    assert.equal(existsSync(join(dir, 'never.log')), false);
  } finally {
    assert.equal(await d.stop(), 0);
  }
});

test('-u nobody: the process runs as nobody after binding', { skip: !isRoot && 'needs root' }, async () => {
  const d = await startDaemon({ args: ['-u', 'nobody'] });
  try {
    assert.equal(await settledUidOf(d.proc.pid ?? 0, 65534), 65534);
    assert.equal(readFileSync(`/proc/${d.proc.pid}/comm`, 'utf8'), 'memcachedts\n', 'the name survives -u');
  } finally {
    assert.equal(await d.stop(), 0);
  }
});

test('-s with -u: the unix socket belongs to the user, with the -a mode', { skip: !isRoot && 'needs root' }, async () => {
  const dir = tempDir();
  const sock = join(dir, 'mc.sock');
  const d = await startDaemon({ args: ['-s', sock, '-a', '660', '-u', 'nobody'], waitUnix: sock });
  try {
    const { statSync } = await import('node:fs');
    // The socket is chowned just after it starts listening: give it a moment.
    const deadline = Date.now() + 3000;
    while (statSync(sock).uid !== 65534 && Date.now() < deadline) await sleep(20);
    const st = statSync(sock);
    assert.equal(st.uid, 65534);
    assert.equal(st.mode & 0o777, 0o660);
  } finally {
    assert.equal(await d.stop(), 0);
  }
  assert.equal(existsSync(sock), false, 'socket removed on exit');
});
