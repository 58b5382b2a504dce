// A -R yield is one of memcached's flush points (conn_new_cmd -> conn_mwrite after
// reqs_per_event requests): a later get with a too-long key culls only the replies queued
// since then. Verified on memcached 1.6.18 (-R 20), N bad lines then `get <251 bytes>` in one
// packet: a fresh read yields after 21 requests, a resumed turn after 20, so N = 20 answers
// only the CLIENT_ERROR, N = 21..40 keep 21 ERRORs, N = 41 keeps 41.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestContext, makeSession } from '../../../support/context.js';
import { feed } from '../../../support/session-driver.js';

const ERROR = 'ERROR\r\n';
const BAD = 'CLIENT_ERROR bad command line format\r\n';
const LONG_GET = 'get ' + 'y'.repeat(251) + '\r\n';

/** One packet, resumed after each -R yield as net/ does. */
function oneBatch(bogusLines: number): string {
  const s = makeSession(makeTestContext({ settings: { reqsPerEvent: 20 } }));
  return feed(s, [Buffer.from('bogus\r\n'.repeat(bogusLines) + LONG_GET + 'version\r\n')]).out.toString('latin1');
}

test('replies queued before a -R yield survive a later too-long-key get', () => {
  assert.equal(oneBatch(21), ERROR.repeat(21) + BAD + 'VERSION 1.6.18\r\n');
  assert.equal(oneBatch(41), ERROR.repeat(41) + BAD + 'VERSION 1.6.18\r\n');
});

test('replies queued since the last flush point are still culled', () => {
  assert.equal(oneBatch(19), BAD + 'VERSION 1.6.18\r\n');
  assert.equal(oneBatch(20), BAD + 'VERSION 1.6.18\r\n');
  assert.equal(oneBatch(25), ERROR.repeat(21) + BAD + 'VERSION 1.6.18\r\n');
  assert.equal(oneBatch(40), ERROR.repeat(21) + BAD + 'VERSION 1.6.18\r\n');
});
