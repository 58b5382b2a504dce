// protocol/auth-throttle.ts: the per-source failure count and the wait it decides before a
// check, the IPv6 /64 grouping, the server-wide failure budget, the check slots, and the
// wiring into a Session (park / unpark, the -R style yield).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthThrottle, peerAddress } from '../../src/protocol/auth-throttle.js';
import { makeTestContext, makeSession } from '../support/context.js';
import { feed } from '../support/session-driver.js';
import type { AsciiAuthenticator } from '../../src/auth/ascii-auth.js';

const A = 'tcp:10.0.0.1';

test('before the check: no wait for the first 5 failures in 60 s, then 1 s growing to 5 s', () => {
  const t = new AuthThrottle({ failuresPerSec: 1000 });
  const waits: number[] = [];
  let now = 1000;
  for (let i = 0; i < 10; i++) {
    const a = t.admit(A, now);
    assert.equal(a.isRefused, false);
    waits.push(a.waitMs);
    now += a.waitMs; // checked when the wait is over, and failed
    t.onFailure(A, now);
  }
  assert.deepEqual(waits, [0, 0, 0, 0, 0, 1000, 2000, 3000, 4000, 5000]);
  // Another port of the same address counts together; another address does not.
  assert.equal(t.admit(peerAddress('tcp:10.0.0.1:6000'), now).waitMs, 5000);
  assert.equal(t.admit(peerAddress('tcp:10.0.0.2:5000'), now).waitMs, 0);
  // A window 60 s after its first failure starts afresh.
  assert.equal(t.admit(A, 1000 + 60_001).waitMs, 0);
});

test('attempts of one source over the threshold are spaced; one that would wait past 5 s is refused unchecked', () => {
  const t = new AuthThrottle({ failuresPerSec: 1000 });
  for (let i = 0; i < 5; i++) t.onFailure(A, 0);
  // Three connections of the same address ask at once: 1 s, 2 s, 3 s ... up to 5 s, then refused.
  const got = Array.from({ length: 7 }, () => t.admit(A, 10));
  assert.deepEqual(got.map((a) => a.waitMs), [1000, 2000, 3000, 4000, 5000, 5000, 5000]);
  assert.deepEqual(got.map((a) => a.isRefused), [false, false, false, false, false, true, true]);
});

test('throttledPeerCount counts exactly the sources admit() holds back, while their window lasts', () => {
  const t = new AuthThrottle({ failuresPerSec: 1000 });
  const B = 'tcp:10.0.0.2';
  for (let i = 0; i < 4; i++) t.onFailure(A, 0);
  for (let i = 0; i < 5; i++) t.onFailure(B, 0);
  assert.equal(t.admit(A, 10).waitMs, 0, '4 failures: not held');
  assert.equal(t.throttledPeerCount(10), 1, 'B only');
  t.onFailure(A, 20);
  assert.ok(t.admit(A, 30).waitMs > 0, '5 failures: held');
  assert.equal(t.throttledPeerCount(30), 2);
  assert.equal(t.throttledPeerCount(60_000), 2, 'the window is 60 s from the first failure, inclusive');
  assert.equal(t.admit(B, 60_001).waitMs, 0);
  assert.equal(t.throttledPeerCount(60_001), 0, 'windows over: nobody held');
});

test('the source table is bounded', () => {
  const t = new AuthThrottle({ maxPeers: 100 });
  for (let i = 0; i < 10_000; i++) t.onFailure(`tcp:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i);
  assert.equal(t.size, 100);
});

test('peerAddress: IPv4 address, IPv6 /64, IPv4-mapped IPv6 as IPv4, unix as one', () => {
  assert.equal(peerAddress('tcp:127.0.0.1:4000'), 'tcp:127.0.0.1');
  assert.equal(peerAddress('tcp6:[::1]:4000'), 'tcp6:[::]/64');
  assert.equal(peerAddress('tcp6:[2001:db8:0:1:aaaa::1]:4000'), 'tcp6:[2001:db8:0:1::]/64');
  assert.equal(peerAddress('tcp6:[2001:DB8:0:1:ffff:1:2:3]:9'), 'tcp6:[2001:db8:0:1::]/64');
  assert.equal(peerAddress('tcp6:[2001:db8::]:9'), 'tcp6:[2001:db8:0:0::]/64');
  assert.equal(peerAddress('tcp6:[2001:db8:0:1:0:0:0:7]:9'), peerAddress('tcp6:[2001:db8:0:1:ffff::8]:10'));
  assert.equal(peerAddress('tcp6:[::ffff:10.1.2.3]:9'), 'tcp:10.1.2.3');
  assert.equal(peerAddress('?:<AF 0>'), '?:<AF 0>');
});

test('server-wide budget: 20 failures a second pass, further ones wait, at most 5 s', () => {
  const t = new AuthThrottle();
  const holds: number[] = [];
  // 200 failures from 200 addresses within the same millisecond.
  for (let i = 0; i < 200; i++) holds.push(t.onFailure(`tcp:127.2.${i >> 8}.${i & 255}`, 5000));
  assert.ok(holds.slice(0, 20).every((h) => h === 0), holds.slice(0, 25).join(','));
  assert.ok(holds[20]! > 0 && holds[20]! <= 100, `the 21st waits one slot: ${holds[20]}`);
  assert.ok(holds.slice(21).every((h, i) => h >= holds[20 + i]! && h <= 5000), 'growing, capped at 5 s');
  assert.equal(holds[199], 5000);
  // The budget refills: a second later with nothing new, a failure waits less.
  assert.ok(t.onFailure('tcp:127.9.9.9', 5000 + 10_000) === 0);
});

test('check slots: at most 2 at once and 1 per source; queued sources without failures go first; abandoned ones are dropped', () => {
  const t = new AuthThrottle();
  const started: string[] = [];
  const go = (key: string, tag: string, abandoned = false): void => t.acquire(key, () => started.push(tag), () => abandoned);
  t.onFailure('tcp:10.9.9.9', Date.now()); // a source with a failure
  go('tcp:10.0.0.1', 'a1');
  go('tcp:10.0.0.1', 'a2'); // same source: waits though a slot is free
  go('tcp:10.0.0.2', 'b1');
  go('tcp:10.9.9.9', 'bad1');
  go('tcp:10.0.0.3', 'gone', true);
  go('tcp:10.0.0.4', 'c1');
  assert.deepEqual(started, ['a1', 'b1']);
  assert.equal(t.checksInFlight, 2);
  t.release('tcp:10.0.0.2');
  // a2 is queued first, but a1's source still has its slot; c1 has no failures: before bad1.
  assert.deepEqual(started, ['a1', 'b1', 'c1']);
  t.release('tcp:10.0.0.1');
  assert.deepEqual(started, ['a1', 'b1', 'c1', 'a2']);
  t.release('tcp:10.0.0.4');
  assert.deepEqual(started, ['a1', 'b1', 'c1', 'a2', 'bad1']);
  assert.equal(t.checksWaiting, 0, 'the abandoned attempt was dropped, never started');
});

test('-Y in a Session: after 5 failures the next attempt waits unchecked, parked; the rest follows it', async () => {
  let checks = 0;
  const auth: AsciiAuthenticator = {
    check: (buf, s, e) => {
      checks++;
      return buf.toString('latin1', s, e) === 'u right' ? 'ok' : 'fail';
    },
    reload: () => {},
  };
  const ctx = makeTestContext({ asciiAuth: auth, settings: { bindingProtocol: 'ascii' }, authThrottle: { baseDelayMs: 50 } });
  const s = makeSession(ctx);
  const bad = 'set a 0 0 7\r\nu wrong\r\n';
  let r = feed(s, [Buffer.from(bad.repeat(5))]);
  assert.equal(s.isParked, false);
  assert.equal(ctx.counters.auth_errors, 5);
  assert.equal(checks, 5);
  r = feed(s, [Buffer.from('set a 0 0 7\r\nu right\r\nget k\r\n')]);
  assert.equal(r.out.length, 0, 'nothing answered yet');
  assert.equal(s.isParked, true);
  assert.equal(checks, 5, 'not checked before the wait');
  assert.equal(s.hasYielded, true, 'the rest waits for the attempt');
  const unparked = new Promise<void>((resolve) => {
    s.onUnpark = resolve;
  });
  const t0 = Date.now();
  const keepAlive = setTimeout(() => {}, 5000); // the throttle's timers are unref'd
  await unparked;
  clearTimeout(keepAlive);
  assert.ok(Date.now() - t0 >= 40, 'waited ~50 ms');
  assert.equal(checks, 6);
  s.resume();
  const parts = s.out.take();
  assert.equal(Buffer.concat(parts ?? []).toString(), 'STORED\r\nEND\r\n');
  assert.equal(ctx.counters.auth_errors, 5);
});
