// errors.ts: the strerror() texts our start-up messages use, and what happens without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { libcErrorText, strerror } from '../../src/errors.js';

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

test('a known errno code gives the C library text', () => {
  assert.equal(strerror(systemError('EADDRINUSE', 'listen EADDRINUSE: address already in use')), 'Address already in use');
  assert.equal(strerror(systemError('EISDIR', 'EISDIR: illegal operation on a directory')), 'Is a directory');
  assert.equal(libcErrorText(systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND nohost')), 'Name or service not known');
});

test('an unknown code, no code, or an inherited key falls back to the message', () => {
  assert.equal(libcErrorText(systemError('EWEIRD', 'weird')), undefined);
  assert.equal(strerror(systemError('EWEIRD', 'weird')), 'weird');
  assert.equal(strerror(systemError('toString', 'inherited')), 'inherited');
  assert.equal(strerror(new Error('plain')), 'plain');
  assert.equal(strerror('a string'), 'a string');
});
