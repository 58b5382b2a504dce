// SASL with a password check that completes later (scrypt on the thread pool): the session
// parks, requests behind the AUTH wait for its verdict and are answered in order; a connection
// that goes away meanwhile gets nothing and frees its check slot; PLAIN data over 4 KiB is
// refused without a check; no scratch buffer stays with the connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Authenticator } from '../../../../src/auth/authenticator.js';
import type { BinaryFrontEnd } from '../../../../src/protocol/binary/front-end.js';
import { Opcode, Status } from '../../../../src/protocol/binary/header.js';
import { makeSession } from '../../../support/context.js';
import { takeOutput } from '../../../support/session-driver.js';
import { makeCtx } from './helpers.js';
import { req, res } from '../../../support/binary-packets.js';

/** Checks answered by the test: each verifyPlain waits until settle() is called. */
class DeferredAuth implements Authenticator {
  readonly mechanisms = ['PLAIN'];
  readonly calls: Array<{ user: string; settle: (ok: boolean) => void }> = [];
  checkPlain(): boolean {
    throw new Error('the server uses verifyPlain when there is one');
  }
  verifyPlain(_authzid: string, user: string): Promise<boolean> {
    return new Promise((resolve) => this.calls.push({ user, settle: resolve }));
  }
  checkCramMd5(): undefined {
    return undefined;
  }
  reload(): void {}
  sources(): [] {
    return [];
  }
  sourceErrors(): number {
    return 0;
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('AUTH and a GET in one packet: nothing answered until the check is done, then both in order', async () => {
  const auth = new DeferredAuth();
  const t = makeCtx({}, auth);
  try {
    const s = makeSession(t.ctx);
    let unparked = 0;
    s.onUnpark = () => unparked++;
    s.onData(Buffer.concat([req(Opcode.SaslAuth, { key: 'PLAIN', value: '\0sammy\0pw' }), req(Opcode.Get, { key: 'x' })]));
    assert.equal(takeOutput(s).length, 0);
    assert.equal(s.isParked, true);
    assert.equal(s.hasYielded, true, 'the GET waits behind the AUTH');
    assert.equal(auth.calls.length, 1);
    auth.calls[0]!.settle(true);
    await tick();
    assert.equal(unparked, 1);
    assert.equal(s.isParked, false);
    s.resume();
    assert.deepEqual(
      takeOutput(s),
      Buffer.concat([res(Opcode.SaslAuth, 0, { value: 'Authenticated' }), res(Opcode.Get, Status.KeyNotFound, { value: 'Not found' })]),
    );
    assert.equal(t.ctx.authThrottle.checksInFlight, 0);
  } finally {
    t.close();
  }
});

test('a connection closed while its check runs gets nothing, and the check slot is freed', async () => {
  const auth = new DeferredAuth();
  const t = makeCtx({}, auth);
  try {
    const s = makeSession(t.ctx);
    s.onUnpark = () => assert.fail('not called for a closed session');
    s.onData(req(Opcode.SaslAuth, { key: 'PLAIN', value: '\0sammy\0pw' }));
    assert.equal(t.ctx.authThrottle.checksInFlight, 1);
    s.onClose();
    auth.calls[0]!.settle(false);
    await tick();
    assert.equal(takeOutput(s).length, 0);
    assert.equal(t.ctx.authThrottle.checksInFlight, 0);
    assert.equal(t.ctx.counters.auth_errors, 0);
  } finally {
    t.close();
  }
});

test('PLAIN data over 4 KiB: Auth failure at once, no check, nothing gathered', () => {
  const auth = new DeferredAuth();
  const t = makeCtx({}, auth);
  try {
    const s = makeSession(t.ctx);
    s.onData(req(Opcode.SaslAuth, { key: 'PLAIN', value: '\0sammy\0' + 'p'.repeat(5000) }));
    assert.deepEqual(takeOutput(s), res(Opcode.SaslAuth, Status.AuthError, { value: 'Auth failure.' }));
    assert.equal(auth.calls.length, 0);
    assert.equal((s.reader as BinaryFrontEnd).sasl.data.length, 0);
    assert.equal(t.ctx.counters.auth_errors, 1);
    // The value was swallowed: the next request is read normally.
    s.onData(req(Opcode.Version));
    assert.equal(takeOutput(s).readUInt8(1), Opcode.Version);
  } finally {
    t.close();
  }
});

test('no SASL scratch stays with the connection after a step', async () => {
  const auth = new DeferredAuth();
  const t = makeCtx({}, auth);
  try {
    const s = makeSession(t.ctx);
    s.onData(req(Opcode.SaslAuth, { key: 'PLAIN', value: '\0sammy\0' + 'p'.repeat(4000) }));
    assert.equal((s.reader as BinaryFrontEnd).sasl.data.length, 0, 'dropped once the fields are copied out');
    auth.calls[0]!.settle(true);
    await tick();
    assert.deepEqual(takeOutput(s), res(Opcode.SaslAuth, 0, { value: 'Authenticated' }));
  } finally {
    t.close();
  }
});
