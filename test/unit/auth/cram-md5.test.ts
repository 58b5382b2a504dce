// CRAM-MD5 pieces: RFC 2195's own example, and the response parsing Cyrus does (checked
// against memcached 1.6.18: two spaces, a leading space, extra bytes after the digest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cramDigestMatches, makeCramChallenge, parseCramResponse } from '../../../src/auth/cram-md5.js';

const RFC_CHALLENGE = Buffer.from('<1896.697170952@postoffice.reston.mci.net>');
const RFC_PASSWORD = Buffer.from('tanstaaftanstaaf');
const RFC_DIGEST = 'b913a602c7eda7a495b4e6e7334d3890';

function matches(response: string): boolean {
  const data = Buffer.from(response, 'latin1');
  const parsed = parseCramResponse(data, data.length);
  assert.ok(parsed !== null);
  return cramDigestMatches(RFC_PASSWORD, RFC_CHALLENGE, data, parsed.digestStart, data.length);
}

test('RFC 2195 example: tim answers the challenge with the known digest', () => {
  assert.equal(matches(`tim ${RFC_DIGEST}`), true);
  assert.equal(matches(`tim ${RFC_DIGEST.toUpperCase()}`), false, 'Cyrus compares lowercase hex');
  assert.equal(matches(`tim ${RFC_DIGEST.slice(0, 31)}`), false, 'short');
  assert.equal(matches(`tim ${RFC_DIGEST}zz`), true, 'Cyrus strncmp: bytes after the 32nd are ignored');
  assert.equal(matches(`tim ${'0'.repeat(32)}`), false);
});

test('the user is what comes before the last space, trimmed; no user is a protocol error', () => {
  const parse = (s: string): ReturnType<typeof parseCramResponse> => parseCramResponse(Buffer.from(s), Buffer.byteLength(s));
  assert.deepEqual(parse('tim abc'), { user: 'tim', digestStart: 4 });
  assert.deepEqual(parse('tim  abc'), { user: 'tim', digestStart: 5 });
  assert.deepEqual(parse(' tim abc'), { user: 'tim', digestStart: 5 });
  assert.deepEqual(parse('bob@realm abc'), { user: 'bob@realm', digestStart: 10 });
  assert.deepEqual(parse('tim '), { user: 'tim', digestStart: 4 });
  assert.equal(parse('tim'), null);
  assert.equal(parse(''), null);
  assert.equal(parse(' abc'), null);
  assert.equal(parse('   abc'), null);
  // Only `len` bytes count (the scratch buffer may be longer).
  assert.equal(parseCramResponse(Buffer.from('tim abc'), 3), null);
});

test('challenges look like Cyrus\'s and differ each time', () => {
  const a = makeCramChallenge('vm').toString('latin1');
  const b = makeCramChallenge('vm').toString('latin1');
  assert.match(a, /^<\d+\.\d+@vm>$/);
  assert.notEqual(a, b);
});
