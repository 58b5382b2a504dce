// The server's TLS session cache (one per server: with -t N main holds it): OpenSSL's bounds,
// the oldest session dropped first, and a session too old for resumption forgotten.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { SESSION_CACHE_MAX, SESSION_TIMEOUT_SEC, SessionCache } from '../../../src/net/tls-sessions.js';

const id = (n: number): Buffer => Buffer.from(n.toString(16).padStart(8, '0'), 'hex');

function found(cache: SessionCache, n: number): Buffer | null {
  let out: Buffer | null | undefined;
  cache.find(id(n), (data) => (out = data));
  assert.notEqual(out, undefined, 'answered at once');
  return out ?? null;
}

test('at most SESSION_CACHE_MAX sessions: a new one drops the oldest', () => {
  const cache = new SessionCache();
  for (let n = 0; n <= SESSION_CACHE_MAX; n++) cache.save(id(n), Buffer.from([n & 0xff]));
  assert.equal(cache.size, SESSION_CACHE_MAX);
  assert.equal(found(cache, 0), null);
  assert.deepEqual(found(cache, 1), Buffer.from([1]));
  assert.deepEqual(found(cache, SESSION_CACHE_MAX), Buffer.from([SESSION_CACHE_MAX & 0xff]));
});

test('a session older than SESSION_TIMEOUT_SEC is not resumed, and is dropped', (t) => {
  mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  t.after(() => mock.timers.reset());
  const cache = new SessionCache();
  cache.save(id(1), Buffer.from('one'));
  mock.timers.tick(SESSION_TIMEOUT_SEC * 1000 - 1);
  cache.save(id(2), Buffer.from('two'));
  assert.deepEqual(found(cache, 1), Buffer.from('one'), 'still within its lifetime');
  mock.timers.tick(2);
  assert.equal(found(cache, 1), null);
  assert.equal(cache.size, 1);
  assert.deepEqual(found(cache, 2), Buffer.from('two'));
});
