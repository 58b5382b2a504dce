// SASL over the binary protocol, against memcached 1.6.18 -S behaviour (captured from the real
// server with a Cyrus sasldb): the auth gate, PLAIN, CONTINUE/STEP, counters, logging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionAction } from '../../../../src/protocol/reader-contract.js';
import { Opcode, Status } from '../../../../src/protocol/binary/header.js';
import { makeSession } from '../../../support/context.js';
import { feed } from '../../../support/session-driver.js';
import { FakeAuth, makeCtx, type TestCtx } from './helpers.js';
import { req, res } from '../../../support/binary-packets.js';

const PASSWORD = 'secretpw';
const GOOD = `\0sammy\0${PASSWORD}`;
const AUTH_FAILURE = (op: number) => res(op, Status.AuthError, { value: 'Auth failure.' });
const AUTHENTICATED = res(Opcode.SaslAuth, 0, { value: 'Authenticated' });

function withSasl(fn: (t: TestCtx) => void, logLevel = 0, mechanisms: readonly string[] = ['PLAIN']): void {
  const t = makeCtx({}, new FakeAuth({ sammy: PASSWORD }, mechanisms), logLevel);
  try {
    fn(t);
  } finally {
    t.close();
  }
}

test('LIST_MECHS and VERSION pass the gate; anything else answers Auth failure and closes', () => {
  withSasl((t) => {
    const s = makeSession(t.ctx);
    const r = feed(s, [Buffer.concat([req(Opcode.SaslListMechs), req(Opcode.Version), req(Opcode.Get, { key: 'foo' }), req(Opcode.Noop)])]);
    assert.deepEqual(
      r.out,
      Buffer.concat([res(Opcode.SaslListMechs, 0, { value: 'PLAIN' }), res(Opcode.Version, 0, { value: '1.6.18' }), AUTH_FAILURE(Opcode.Get)]),
    );
    assert.equal(r.action, SessionAction.CloseAfterFlush);
    for (const op of [Opcode.Noop, 0x50, Opcode.Stat, Opcode.SetQ, Opcode.Quit]) {
      const x = feed(makeSession(t.ctx), [req(op)]);
      assert.deepEqual(x.out, AUTH_FAILURE(op));
      assert.equal(x.action, SessionAction.CloseAfterFlush);
    }
    // framing errors are found before the gate
    const bad = feed(makeSession(t.ctx), [req(Opcode.Get, { key: 'abc', bodyLen: 2 })]);
    assert.deepEqual(bad.out, res(Opcode.Get, Status.UnknownCommand, { value: 'Unknown command' }));
  });
});

test('text bytes on a -S connection close it once a header\'s worth has arrived', () => {
  withSasl((t) => {
    const s = makeSession(t.ctx);
    assert.equal(feed(s, [Buffer.from('version\r\n')]).action, SessionAction.Continue);
    const r = feed(s, [Buffer.from('version\r\nversion\r\nversion\r\n')]);
    assert.equal(r.out.length, 0);
    assert.equal(r.action, SessionAction.CloseAfterFlush);
  });
});

test('PLAIN: a wrong password keeps the connection open; the right one authenticates', () => {
  withSasl((t) => {
    const s = makeSession(t.ctx);
    const r = feed(s, [
      Buffer.concat([
        req(Opcode.SaslAuth, { key: 'PLAIN', value: '\0sammy\0wrong' }),
        req(Opcode.SaslAuth, { key: 'PLAIN', value: 'sammysecretpw' }), // no NULs
        req(Opcode.SaslAuth, { key: 'PLAIN', value: 'a\0sammy\0secret\0pw' }), // three NULs
        req(Opcode.SaslAuth, { key: 'CRAM-MD5', value: '' }), // not offered
        req(Opcode.SaslAuth, { key: 'plain', value: GOOD }), // case-insensitive
        req(Opcode.Get, { key: 'foo' }),
      ]),
    ]);
    assert.deepEqual(
      r.out,
      Buffer.concat([
        AUTH_FAILURE(Opcode.SaslAuth),
        AUTH_FAILURE(Opcode.SaslAuth),
        AUTH_FAILURE(Opcode.SaslAuth),
        AUTH_FAILURE(Opcode.SaslAuth),
        AUTHENTICATED,
        res(Opcode.Get, Status.KeyNotFound, { value: 'Not found' }),
      ]),
    );
    assert.equal(r.action, SessionAction.Continue);
    assert.equal(t.ctx.counters.auth_cmds, 5);
    assert.equal(t.ctx.counters.auth_errors, 4);
    assert.equal(s.isAuthenticated, true);
  });
});

test('authzid equal to the user is accepted', () => {
  withSasl((t) => {
    const r = feed(makeSession(t.ctx), [req(Opcode.SaslAuth, { key: 'PLAIN', value: `sammy\0sammy\0${PASSWORD}` })]);
    assert.deepEqual(r.out, AUTHENTICATED);
  });
});

test('every SASL exchange starts unauthenticated (LIST_MECHS, a failed AUTH, a STEP)', () => {
  withSasl((t) => {
    for (const second of [
      req(Opcode.SaslListMechs),
      req(Opcode.SaslAuth, { key: 'PLAIN', value: '\0sammy\0wrong' }),
      req(Opcode.SaslStep, { key: 'PLAIN', value: GOOD }),
    ]) {
      const s = makeSession(t.ctx);
      const r = feed(s, [Buffer.concat([req(Opcode.SaslAuth, { key: 'PLAIN', value: GOOD }), second, req(Opcode.Get, { key: 'x' })])]);
      const tail = r.out.subarray(r.out.length - 37);
      assert.deepEqual(tail, AUTH_FAILURE(Opcode.Get));
      assert.equal(r.action, SessionAction.CloseAfterFlush);
    }
  });
});

test('AUTH without data answers CONTINUE (0x21); STEP completes it; a STEP after that fails', () => {
  withSasl((t) => {
    const s = makeSession(t.ctx);
    const r = feed(s, [
      Buffer.concat([
        req(Opcode.SaslAuth, { key: 'PLAIN' }),
        req(Opcode.SaslStep, { key: 'PLAIN', value: GOOD }),
        req(Opcode.Get, { key: 'foo' }),
        req(Opcode.SaslStep, { key: 'PLAIN', value: GOOD }),
        req(Opcode.Version),
      ]),
    ]);
    assert.deepEqual(
      r.out,
      Buffer.concat([
        res(Opcode.SaslAuth, Status.AuthContinue),
        res(Opcode.SaslStep, 0, { value: 'Authenticated' }),
        res(Opcode.Get, Status.KeyNotFound, { value: 'Not found' }),
        AUTH_FAILURE(Opcode.SaslStep),
        res(Opcode.Version, 0, { value: '1.6.18' }),
      ]),
    );
    // STEP before any AUTH fails and counts
    const s2 = makeSession(t.ctx);
    assert.deepEqual(feed(s2, [req(Opcode.SaslStep, { key: 'PLAIN', value: GOOD })]).out, AUTH_FAILURE(Opcode.SaslStep));
  });
});

test('a mechanism name over 32 bytes: Invalid arguments, value swallowed, connection open', () => {
  withSasl((t) => {
    const r = feed(makeSession(t.ctx), [Buffer.concat([req(Opcode.SaslAuth, { key: 'P'.repeat(40), value: 'abc' }), req(Opcode.Version)])]);
    assert.deepEqual(r.out, Buffer.concat([res(Opcode.SaslAuth, Status.InvalidArguments, { value: 'Invalid arguments' }), res(Opcode.Version, 0, { value: '1.6.18' })]));
    assert.equal(r.action, SessionAction.Continue);
  });
});

test('SASL data too big for one item: Out of memory, swallowed', () => {
  withSasl((t) => {
    const r = feed(makeSession(t.ctx), [Buffer.concat([req(Opcode.SaslAuth, { key: 'PLAIN', value: Buffer.alloc(600000, 0x78) }), req(Opcode.Version)])]);
    assert.deepEqual(r.out, Buffer.concat([res(Opcode.SaslAuth, Status.OutOfMemory, { value: 'Out of memory' }), res(Opcode.Version, 0, { value: '1.6.18' })]));
  });
});

test('LIST_MECHS answers what the authenticator offers', () => {
  withSasl(
    (t) => {
      assert.deepEqual(feed(makeSession(t.ctx), [req(Opcode.SaslListMechs)]).out, res(Opcode.SaslListMechs, 0, { value: 'PLAIN' }));
    },
    0,
    ['PLAIN'],
  );
  withSasl(
    (t) => {
      assert.deepEqual(feed(makeSession(t.ctx), [req(Opcode.SaslListMechs)]).out, res(Opcode.SaslListMechs, 0, { value: '' }));
      assert.deepEqual(feed(makeSession(t.ctx), [req(Opcode.SaslAuth, { key: 'PLAIN', value: GOOD })]).out, AUTH_FAILURE(Opcode.SaslAuth));
    },
    0,
    [],
  );
});

test('split at every offset: the exchange gives the same bytes', () => {
  const input = Buffer.concat([
    req(Opcode.SaslListMechs),
    req(Opcode.SaslAuth, { key: 'PLAIN', value: '\0sammy\0nope' }),
    req(Opcode.SaslAuth, { key: 'PLAIN' }),
    req(Opcode.SaslStep, { key: 'PLAIN', value: GOOD }),
    req(Opcode.Set, { key: 'k', ext: Buffer.alloc(8), value: 'v' }),
    req(Opcode.Get, { key: 'k' }),
  ]);
  let whole: Buffer | null = null;
  for (let i = 0; i < input.length; i++) {
    withSasl((t) => {
      const s = makeSession(t.ctx);
      const out = i === 0 ? feed(s, [input]).out : feed(s, [input.subarray(0, i), input.subarray(i)]).out;
      if (whole === null) whole = out;
      else assert.deepEqual(out, whole, `split at ${i}`);
    });
  }
  assert.ok(whole !== null && (whole as Buffer).length > 0);
});

test('failed attempts are logged with the peer at -v; the password never appears, even at -vv', () => {
  withSasl(
    (t) => {
      const s = makeSession(t.ctx);
      feed(s, [Buffer.concat([req(Opcode.SaslAuth, { key: 'PLAIN', value: '\0sammy\0hunter2-wrong' }), req(Opcode.SaslAuth, { key: 'PLAIN', value: GOOD })])]);
      const text = t.ctx.logLines.join('\n');
      assert.match(text, /mech: {2}``PLAIN'' with 20 bytes of data/);
      assert.match(text, /sasl result code: {2}-13/);
      assert.ok(text.includes(`SASL authentication failed for user "sammy" (mech "PLAIN") from ${s.conn.peer}\n`), text);
      assert.match(s.conn.peer, /^tcp:127\.0\.0\.1:\d+$/);
      assert.match(text, /authenticated\(\) in cmd 0x21 is true/);
      assert.doesNotMatch(text, /hunter2/);
      assert.doesNotMatch(text, new RegExp(PASSWORD));
    },
    2,
  );
  withSasl(
    (t) => {
      feed(makeSession(t.ctx), [req(Opcode.SaslAuth, { key: 'PLAIN', value: '\0sammy\0wrong' })]);
      assert.ok(t.ctx.logLines.some((l) => l.includes('SASL authentication failed')));
      assert.ok(!t.ctx.logLines.some((l) => l.includes('Read binary protocol data')));
    },
    1,
  );
});
