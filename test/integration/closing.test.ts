// When memcached decides to close a connection (conn_closing: quit, an HTTP/ line, a line too
// long, a bad binary magic, a refusal beyond -c), it writes its last reply and closes the
// descriptor fully: the client's next write is answered with a reset, so a client library sees
// the connection is dead and reconnects. A half-close (FIN, the socket still open) would swallow
// that write silently, and memcached's t/binary-sasl.t hangs on exactly that. Each case here runs
// against Debian's memcached and ours, and both must show the same bytes and the same reset.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { startPair, stopPair, type Pair } from '../support/pair.js';
import { sleep, within } from '../support/wait.js';
import { req } from '../support/binary-packets.js';
import { Opcode } from '../../src/protocol/binary/header.js';

interface Ending {
  /** Every byte the server sent before its FIN. */
  readonly reply: string;
  /** 'reset' when a write after the FIN got ECONNRESET/EPIPE, 'open' when it went unanswered. */
  readonly afterWrite: 'reset' | 'open';
}

/** Sends `request`, waits for the server's FIN, then writes again and reports what happened. */
async function endingOf(port: number, request: Buffer | string): Promise<Ending> {
  const sock = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const chunks: Buffer[] = [];
  let resetCode = '';
  sock.on('data', (d: Buffer) => chunks.push(d));
  const errored = new Promise<void>((resolve) =>
    sock.on('error', (e: NodeJS.ErrnoException) => {
      resetCode = e.code ?? 'error';
      resolve();
    }),
  );
  await within(new Promise<void>((resolve) => sock.once('connect', () => resolve())), 3000, 'connect');
  const ended = new Promise<void>((resolve) => sock.once('end', () => resolve()));
  sock.write(request);
  await within(ended, 3000, 'the server to close');
  // The peer's kernel answers data on a fully closed socket with RST; give it two writes.
  for (let i = 0; i < 2 && resetCode === ''; i++) {
    sock.write('version\r\n');
    await Promise.race([errored, sleep(300)]);
  }
  await Promise.race([errored, sleep(700)]);
  sock.destroy();
  return { reply: Buffer.concat(chunks).toString('latin1'), afterWrite: resetCode === '' ? 'open' : 'reset' };
}

// A body length beyond any bound: memcached closes.
const binaryBadMagic = req(Opcode.Version, { bodyLen: 1 << 30, opaque: 0 });

const CASES: Array<[string, Buffer | string]> = [
  ['quit', 'quit\r\n'],
  ['an HTTP/ request line', 'GET / HTTP/1.1\r\n'],
  ['a text line too long', 'x'.repeat(4096)],
  ['a binary request with an absurd body length', binaryBadMagic],
];

const pairs: Pair[] = [];
after(async () => {
  for (const pair of pairs) await stopPair(pair);
});

async function both(args: string[] = []): Promise<Pair> {
  const pair = await startPair({ args });
  pairs.push(pair);
  return pair;
}

test('conn_closing paths: same last bytes as memcached, then a full close (a later write is reset)', async () => {
  const { ours, theirs } = await both();
  for (const [name, request] of CASES) {
    const want = await endingOf(theirs.port, request);
    const got = await endingOf(ours.port, request);
    assert.equal(want.afterWrite, 'reset', `memcached resets after ${name}`);
    assert.deepEqual(got, want, name);
  }
});

test('-c refusal: the error line, then the descriptor is closed at once (no fd held for seconds)', async () => {
  // memcached lowers its descriptor limit to -c, so -c 2 leaves it unable to read /etc/passwd.
  const { ours, theirs } = await both(['-c', '20', '-t', '1']);
  for (const d of [theirs, ours]) {
    // memcached counts its listeners and reserved descriptors against -c; fill it with idle clients.
    const idle: net.Socket[] = [];
    for (let i = 0; i < 24; i++) {
      const s = net.connect(d.port, '127.0.0.1');
      s.on('error', () => {});
      idle.push(s);
    }
    // Until the server has accepted every idle client the probe may still get a slot: retry.
    let e: Ending | null = null;
    for (let attempt = 0; attempt < 10 && e === null; attempt++) {
      await sleep(300);
      e = await endingOf(d.port, 'version\r\n').catch(() => null);
    }
    assert.ok(e !== null, 'a connection beyond -c was refused');
    for (const s of idle) s.destroy();
    assert.match(e.reply, /^ERROR Too many open connections\r\n$/, d === ours ? 'ours' : 'memcached');
    assert.equal(e.afterWrite, 'reset', d === ours ? 'ours' : 'memcached');
  }
  // Many refusals in a row leave no descriptors behind. The count is taken once the idle
  // clients hold every slot (taken before them, it also counted them, up to -c of them, and
  // whether the first round's clients were closed yet decided the test).
  const idle: net.Socket[] = [];
  for (let i = 0; i < 24; i++) idle.push(net.connect(ours.port, '127.0.0.1').on('error', () => {}));
  await sleep(500);
  const fdsBefore = fs.readdirSync(`/proc/${ours.proc.pid}/fd`).length;
  const refused: Promise<void>[] = [];
  for (let i = 0; i < 300; i++) {
    refused.push(
      new Promise<void>((resolve) => {
        const s = net.connect(ours.port, '127.0.0.1');
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.on('data', () => {});
        // One that got a slot (the idle clients not all accepted yet) is let go.
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 3000).unref();
      }),
    );
  }
  await within(Promise.all(refused), 10_000, 'the refused connections to close');
  await sleep(300);
  const fdsAfter = fs.readdirSync(`/proc/${ours.proc.pid}/fd`).length;
  for (const s of idle) s.destroy();
  assert.ok(fdsAfter - fdsBefore < 10, `fds held after 300 refusals: ${fdsBefore} -> ${fdsAfter}`);
});
