// protocol/auth-throttle.ts: the per-peer failure count, the delay curve, the window, the
// bounded peer table, and the wiring into a Session (replyDelayMs, the -R style yield).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthThrottle, peerAddress } from '../../src/protocol/auth-throttle.js';
import { makeTestContext, makeSession, feed } from '../support/context.js';
import type { AsciiAuthenticator } from '../../src/protocol/context.js';

test('delay: none for the first 5 failures in 60 s, then 1 s growing to 5 s', () => {
  const t = new AuthThrottle();
  const peer = 'tcp:10.0.0.1:5000';
  const delays = Array.from({ length: 12 }, (_, i) => t.onFailure(peer, 1000 + i));
  assert.deepEqual(delays, [0, 0, 0, 0, 0, 1000, 2000, 3000, 4000, 5000, 5000, 5000]);
  // Another port of the same address counts together; another address does not.
  assert.equal(t.onFailure('tcp:10.0.0.1:6000', 2000), 5000);
  assert.equal(t.onFailure('tcp:10.0.0.2:5000', 2000), 0);
  // A window 60 s after its first failure starts afresh.
  assert.equal(t.onFailure(peer, 1000 + 60_001), 0);
});

test('the peer table is bounded', () => {
  const t = new AuthThrottle({ maxPeers: 100 });
  for (let i = 0; i < 10_000; i++) t.onFailure(`tcp:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:1`, i);
  assert.equal(t.size, 100);
});

test('peerAddress drops the port', () => {
  assert.equal(peerAddress('tcp:127.0.0.1:4000'), 'tcp:127.0.0.1');
  assert.equal(peerAddress('tcp6:[::1]:4000'), 'tcp6:[::1]');
  assert.equal(peerAddress('?:<AF 0>'), '?:<AF 0>');
});

test('-Y in a Session: the 6th failure sets replyDelayMs and stops the batch there', () => {
  const auth: AsciiAuthenticator = {
    check: (buf, s, e) => (buf.toString('latin1', s, e) === 'u right' ? 'ok' : buf.indexOf(0x20, s) < 0 || buf.indexOf(0x20, s) >= e ? 'format' : 'fail'),
    reload: () => {},
  };
  const ctx = makeTestContext({ asciiAuth: auth, settings: { bindingProtocol: 'ascii' } });
  const s = makeSession(ctx);
  const bad = 'set a 0 0 7\r\nu wrong\r\n';
  let r = feed(s, [Buffer.from(bad.repeat(5))]);
  assert.equal(s.replyDelayMs, 0);
  assert.equal(ctx.counters.auth_errors, 5);
  r = feed(s, [Buffer.from(bad + 'set a 0 0 7\r\nu right\r\nget k\r\n')]);
  assert.equal(r.out.toString(), 'CLIENT_ERROR authentication failure\r\n');
  assert.equal(s.replyDelayMs, 1000);
  assert.equal(s.hasYielded, true, 'the rest waits for the delayed reply');
  s.replyDelayMs = 0; // what net/ does when the delay is over
  s.resume();
  assert.equal(r.action, 0);
  const parts = s.out.take();
  assert.equal(Buffer.concat(parts ?? []).toString(), 'STORED\r\nEND\r\n');
});
