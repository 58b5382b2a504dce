// -t 4: what one connection starts is seen by connections the other serving threads serve:
// `watch` gets every thread's events, a TLS session made on one thread resumes on another (by
// ticket and by session id), and refresh_certs reaches new connections on every thread. Which
// thread accepted a connection is read from the change in `stats memcachedts`
// thread_total_connections, so connections are opened one at a time.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fs from 'node:fs';
import { join } from 'node:path';
import crypto from 'node:crypto';
import type tls from 'node:tls';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { RawClient } from '../support/client.js';
import { freePort } from '../support/ports.js';
import { sleep } from '../support/wait.js';
import { makeTempDir } from '../support/temp-dir.js';
import { haveTool } from '../support/tools.js';
import { OPENSSL, TestCerts } from '../support/tls-certs.js';

const THREADS = 4;

let certs: TestCerts | null = null;

before(async () => {
  if (!fs.existsSync(OPENSSL)) return; // each TLS test reports it
  certs = await TestCerts.create(['server', 'rotated']);
});

after(() => certs?.remove());

function testCerts(t: TestContext): TestCerts | null {
  if (!haveTool(t, OPENSSL, 'openssl')) return null;
  assert.ok(certs !== null, 'the certificates are made in before()');
  return certs;
}

/** The daemon at -t 4 once every serving thread listens (the port file is written then). */
async function startThreaded(args: string[], port?: number): Promise<Daemon> {
  const portFile = join(makeTempDir('threads-across'), 'ports');
  const d = await startDaemon({ args: ['-t', String(THREADS), ...args], env: { MEMCACHED_PORT_FILENAME: portFile }, ...(port === undefined ? {} : { port }) });
  const deadline = Date.now() + 5000;
  while (!existsSync(portFile) && Date.now() < deadline) await sleep(10);
  assert.ok(existsSync(portFile), 'no port file');
  return d;
}

/** thread_total_connections per thread (asking opens nothing). */
async function accepted(probe: RawClient): Promise<number[]> {
  const st = await probe.stats('memcachedts');
  return st.get('thread_total_connections')!.split(',').map(Number);
}

interface Tracked {
  readonly client: RawClient;
  /** 0-based index of the serving thread that accepted it. */
  readonly thread: number;
}

/** Opens a connection and finds the thread that accepted it (nothing else may connect meanwhile). */
async function openTracked(open: () => Promise<RawClient>, probe: RawClient): Promise<Tracked> {
  const before = await accepted(probe);
  const client = await open();
  for (let i = 0; i < 100; i++) {
    const now = await accepted(probe);
    const thread = now.findIndex((n, t) => n > before[t]!);
    if (thread >= 0) return { client, thread };
    await sleep(10);
  }
  throw new Error('no thread counted the connection');
}

/** Connections until one lands on a thread other than notOn (at most 40 tries); the others are closed. */
async function openElsewhere(open: () => Promise<RawClient>, probe: RawClient, notOn: number): Promise<Tracked> {
  for (let i = 0; i < 40; i++) {
    const c = await openTracked(open, probe);
    if (c.thread !== notOn) return c;
    c.client.close();
  }
  throw new Error(`40 connections, all on thread ${notOn + 1}`);
}

test('-t 4: a watcher sees the events of commands another thread serves, and every thread counts it', async () => {
  const d = await startThreaded([]);
  try {
    const probe = await RawClient.connect(d.port);
    const open = (): Promise<RawClient> => RawClient.connect(d.port);
    const watcher = await openTracked(open, probe);
    assert.equal(await watcher.client.request('watch fetchers mutations\r\n', 'OK'), 'OK\r\n');
    const other = await openElsewhere(open, probe, watcher.thread);
    const c = other.client;
    assert.equal(await c.request('set across 0 0 2\r\nhi\r\n', 'STORED'), 'STORED\r\n');
    assert.equal(await c.request('get across\r\n'), 'VALUE across 0 2\r\nhi\r\nEND\r\n');
    const lines: string[] = [];
    while (!lines.some((l) => / type=item_get key=across status=found /.test(l))) lines.push(await watcher.client.line(3000));
    assert.ok(lines.some((l) => / type=item_get key=across status=not_found /.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => / type=item_store key=across status=stored cmd=set /.test(l)), lines.join('\n'));
    // lines in the order the commands ran, and each line once
    const kinds = lines.filter((l) => / key=across /.test(l)).map((l) => / type=(\S+) /.exec(l)![1]);
    assert.deepEqual(kinds, ['item_get', 'item_store', 'item_get'], lines.join('\n'));
    // the watcher is one of the server, whichever thread answers stats
    assert.equal((await c.stats()).get('log_watchers'), '1');
    watcher.client.close();
    for (let i = 0; i < 100 && (await c.stats()).get('log_watchers') !== '0'; i++) await sleep(10);
    assert.equal((await c.stats()).get('log_watchers'), '0');
    // nobody watches: the other thread records nothing more
    const written = (await c.stats()).get('log_worker_written');
    assert.equal(await c.request('get across\r\n'), 'VALUE across 0 2\r\nhi\r\nEND\r\n');
    assert.equal((await c.stats()).get('log_worker_written'), written);
    c.close();
    probe.close();
  } finally {
    await d.stop();
  }
});

/** A TLS 1.2 connection, resuming session when given; with noTicket, resumption is by session id only. */
function tls12(tc: TestCerts, port: number, noTicket: boolean, session?: Buffer): () => Promise<RawClient> {
  const extra: tls.ConnectionOptions = {
    maxVersion: 'TLSv1.2',
    ...(noTicket ? { secureOptions: crypto.constants.SSL_OP_NO_TICKET } : {}),
    ...(session === undefined ? {} : { session }),
  };
  return () => RawClient.connectTls(tc.clientOptions(port, extra));
}

function tlsSocket(c: RawClient): tls.TLSSocket {
  return c.socket as tls.TLSSocket;
}

test('-t 4 -Z: a TLS session made on one thread is resumed on another, by ticket and by session id', async (t) => {
  const tc = testCerts(t);
  if (tc === null) return;
  const clear = await freePort();
  const port = await freePort();
  const d = await startThreaded(['-l', `127.0.0.1,notls:127.0.0.1:${clear}`, '-Z', '-o', tc.sslOption('server', 'ssl_session_cache')], port);
  try {
    const probe = await RawClient.connect(clear);
    for (const noTicket of [false, true]) {
      const first = await openTracked(tls12(tc, port, noTicket), probe);
      const session = tlsSocket(first.client).getSession();
      assert.ok(session !== undefined, 'no session');
      assert.equal(tlsSocket(first.client).isSessionReused(), false);
      first.client.close();
      const news = (await probe.stats()).get('ssl_new_sessions');
      const again = await openElsewhere(tls12(tc, port, noTicket, session), probe, first.thread);
      const how = noTicket ? 'by session id' : 'by ticket';
      assert.equal(tlsSocket(again.client).isSessionReused(), true, `resumed ${how} on thread ${again.thread + 1}, made on ${first.thread + 1}`);
      assert.equal(await again.client.request('version\r\n', 'VERSION 1.6.18'), 'VERSION 1.6.18\r\n');
      again.client.close();
      assert.equal((await probe.stats()).get('ssl_new_sessions'), news, `a resumption ${how} makes no new session`);
    }
    probe.close();
  } finally {
    await d.stop();
  }
});

test('-t 4 -Z: after refresh_certs on one thread, new connections on every thread get the certificate it loaded', async (t) => {
  const tc = testCerts(t);
  if (tc === null) return;
  fs.copyFileSync(tc.file('server.pem'), tc.file('across.pem'));
  fs.copyFileSync(tc.file('server.key'), tc.file('across.key'));
  const clear = await freePort();
  const port = await freePort();
  const d = await startThreaded(['-l', `127.0.0.1,notls:127.0.0.1:${clear}`, '-Z', '-o', tc.sslOption('across')], port);
  try {
    const probe = await RawClient.connect(clear);
    const openTls = (): Promise<RawClient> => RawClient.connectTls(tc.clientOptions(port));
    const servedName = (c: RawClient): string => String(tlsSocket(c).getPeerCertificate().subject.CN);
    const old = await openTracked(openTls, probe);
    assert.equal(servedName(old.client), 'server');
    fs.copyFileSync(tc.file('rotated.pem'), tc.file('across.pem'));
    fs.copyFileSync(tc.file('rotated.key'), tc.file('across.key'));
    await sleep(2100); // time_since_server_cert_refresh counts seconds from the start until now
    assert.equal(await old.client.request('refresh_certs\r\n', 'OK'), 'OK\r\n');
    // Every thread loaded the files when the refresh was announced: changing them now (with no
    // refresh) changes nothing, as memcached's one context loaded at refresh_certs.
    await sleep(300);
    fs.copyFileSync(tc.file('server.pem'), tc.file('across.pem'));
    fs.copyFileSync(tc.file('server.key'), tc.file('across.key'));
    // new TLS connections until every thread has taken some: each gets the new certificate
    const seen = new Set<number>();
    for (let i = 0; i < 80 && seen.size < THREADS; i++) {
      const c = await openTracked(openTls, probe);
      assert.equal(servedName(c.client), 'rotated', `thread ${c.thread + 1}`);
      seen.add(c.thread);
      c.client.close();
    }
    assert.equal(seen.size, THREADS, `threads seen: ${[...seen].join(',')}`);
    // every thread's stats tell the time of that refresh
    const told = new Set<number>();
    for (let i = 0; i < 80 && told.size < THREADS; i++) {
      const c = await openTracked(() => RawClient.connect(clear), probe);
      const since = Number((await c.client.stats()).get('time_since_server_cert_refresh'));
      assert.ok(since < 2, `thread ${c.thread + 1}: time_since_server_cert_refresh ${since}`);
      told.add(c.thread);
      c.client.close();
    }
    assert.equal(told.size, THREADS);
    // the connection made before keeps the certificate it shook hands with
    assert.equal(servedName(old.client), 'server');
    old.client.close();
    probe.close();
  } finally {
    await d.stop();
  }
});
