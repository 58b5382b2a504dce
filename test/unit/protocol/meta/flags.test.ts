// The meta flag grammar: one reused MetaFlags, memcached 1.6.18's errors and number rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokens } from '../../../../src/protocol/text/tokenizer.js';
import { MetaFlags, parseMetaFlags } from '../../../../src/protocol/meta/flags.js';

const f = new MetaFlags();
const tokens = new Tokens();

function parse(line: string): { ok: boolean; error: string | null } {
  const buf = Buffer.from(line, 'latin1');
  tokens.tokenize(buf, 0, buf.length);
  const ok = parseMetaFlags(tokens, 2, f);
  return { ok, error: f.error === null ? null : f.error.toString('latin1').trimEnd() };
}

test('plain return flags parse without side effects', () => {
  assert.deepEqual(parse('mg foo s v t c f k h l O123 u q P/x L/y'), { ok: true, error: null });
  assert.equal(f.wantValue, true);
  assert.equal(f.noUpdate, true);
  assert.equal(f.noReply, true);
  assert.equal(f.isLocked, true, 'h and l delay the bump');
  assert.equal(f.keyLen, 3);
});

test('token flags carry their numbers', () => {
  assert.ok(parse('ms foo T30 N-1 R5 F4294967297 C12345678901234567890 MA J7 D18446744073709551615 I').ok);
  assert.equal(f.exptime, 30);
  assert.equal(f.hasNewTtl, true);
  assert.equal(f.vivifyExptime, 2592001, 'a negative TTL means long ago');
  assert.equal(f.recacheExptime, 5);
  assert.equal(f.clientFlags, 1, 'F truncates to 32 bits like safe_strtoul');
  assert.equal(f.hasCas, true);
  assert.equal(f.mode, 0x41);
  assert.equal(f.initial, 7n);
  assert.equal(f.delta, 18446744073709551615n);
  assert.equal(f.setStale, true);
});

test('reused object is reset between parses', () => {
  parse('mg foo v q T5');
  parse('mg bar');
  assert.equal(f.wantValue, false);
  assert.equal(f.noReply, false);
  assert.equal(f.hasNewTtl, false);
  assert.equal(f.delta, 1n);
});

test('errors use memcached 1.6.18 messages', () => {
  assert.equal(parse('mg foo x').error, 'CLIENT_ERROR invalid flag');
  assert.equal(parse('mg foo E5').error, 'CLIENT_ERROR invalid flag');
  assert.equal(parse('mg foo k k').error, 'CLIENT_ERROR duplicate flag');
  assert.equal(parse('mg foo \x7f').error, 'CLIENT_ERROR duplicate flag');
  assert.equal(parse('mg foo T').error, 'CLIENT_ERROR bad token in command line format');
  assert.equal(parse('mg foo T5x').error, 'CLIENT_ERROR bad token in command line format');
  assert.equal(parse('mg foo F').error, 'CLIENT_ERROR bad command line format');
  assert.equal(parse('mg foo F-1').error, 'CLIENT_ERROR bad command line format');
  assert.equal(parse('mg foo Cx').error, 'CLIENT_ERROR bad token in command line format');
  assert.equal(parse('mg foo MZZ').error, 'CLIENT_ERROR incorrect length for M token');
  assert.equal(parse('mg foo Jx').error, 'CLIENT_ERROR invalid numeric initial value');
  assert.equal(parse('mg foo D-1').error, 'CLIENT_ERROR invalid numeric delta value');
  assert.equal(parse('mg foo b').error, 'CLIENT_ERROR error decoding key');
});

test('a later soft error overrides an earlier one; a hard one stops parsing', () => {
  assert.equal(parse('mg foo T F').error, 'CLIENT_ERROR bad token in command line format', 'F keeps the message');
  assert.equal(parse('mg foo b T').error, 'CLIENT_ERROR bad token in command line format');
  assert.equal(parse('mg foo T Z').error, 'CLIENT_ERROR invalid flag');
});

test("later memcached's flags are unknown, as in 1.6.18", () => {
  for (const flag of ['E99', 'E', 'x', 'x1']) {
    assert.deepEqual(parse('md foo ' + flag), { ok: false, error: 'CLIENT_ERROR invalid flag' }, flag);
    assert.equal(f.isFatal, true);
  }
});

test('long opaque tokens are noted, not refused, by the parser', () => {
  assert.ok(parse('mg foo O' + 'a'.repeat(31)).ok);
  assert.equal(f.longOpaqueAt, -1);
  assert.ok(parse('mg foo v O' + 'a'.repeat(32)).ok);
  assert.equal(f.longOpaqueAt, 3);
});

test('base64 keys are decoded into the flags', () => {
  assert.ok(parse('mg 44OG44K544OI b').ok);
  assert.equal(f.isKeyBinary, true);
  assert.equal(f.keyBuf.toString('utf8', f.keyStart, f.keyStart + f.keyLen), 'テスト');
});

test('number flags are read as memcached reads them (common/c-numbers.ts)', () => {
  assert.ok(parse('mg k T+7 N\t30').ok);
  assert.equal(f.exptime, 7);
  assert.equal(f.vivifyExptime, 30);
  assert.ok(parse('mg k T4294967297').ok);
  assert.equal(f.exptime, 1, 'int32 truncation');
  assert.equal(parse('mg k T99999999999999999999').error, 'CLIENT_ERROR bad token in command line format', 'ERANGE');
  assert.equal(parse('mg k T1a').error, 'CLIENT_ERROR bad token in command line format');
  assert.ok(parse('mg k F4294967296').ok);
  assert.equal(f.clientFlags, 0);
  assert.equal(parse('mg k F-1').error, 'CLIENT_ERROR bad command line format');
  assert.ok(parse('ma k D18446744073709551615 J-0').ok);
  assert.equal(f.delta, 18446744073709551615n);
  assert.equal(f.initial, 0n);
  assert.equal(parse('ma k D18446744073709551616').error, 'CLIENT_ERROR invalid numeric delta value');
  assert.equal(parse('ma k J-1').error, 'CLIENT_ERROR invalid numeric initial value');
});
