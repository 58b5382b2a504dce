// Number parsing with memcached's safe_strto* acceptance rules (glibc, 64-bit longs), the one
// module text, meta and the store's incr/decr read numbers with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  safeStrtod as parseDouble, safeStrtol as parseI32, safeStrtoll, safeStrtoul as parseU32,
  safeStrtoull as parseU64, safeStrtoullExact as parseU64Big,
} from '../../../src/common/c-numbers.js';

function b(s: string): [Buffer, number, number] {
  const buf = Buffer.from('##' + s + '##', 'latin1');
  return [buf, 2, 2 + s.length];
}

test('safeStrtoul (strtoul narrowed to 32 bits)', () => {
  const cases: [string, number][] = [
    ['0', 0], ['5', 5], ['+5', 5], ['-0', 0], ['4294967295', 4294967295], ['4294967296', 0], ['4294967297', 1],
    ['18446744073709551615', 4294967295], ['-18446744073709551615', 1], ['\t7', 7], ['7\tx', 7], ['007', 7],
  ];
  for (const [s, v] of cases) assert.equal(parseU32(...b(s)), v, s);
  for (const s of ['', '-1', '-5', 'x', '5x', '0x10', '18446744073709551616', '+', '-', ' ']) assert.ok(Number.isNaN(parseU32(...b(s))), s);
});

test('safeStrtol (strtol narrowed to 32 bits)', () => {
  const cases: [string, number][] = [
    ['0', 0], ['-1', -1], ['2147483647', 2147483647], ['2147483648', -2147483648], ['4294967296', 0], ['4294967298', 2],
    ['-2147483649', 2147483647], ['9223372036854775807', -1],
  ];
  for (const [s, v] of cases) assert.equal(parseI32(...b(s)), v, s);
  for (const s of ['', 'a', '1a', '9223372036854775808', '-9223372036854775809']) assert.ok(Number.isNaN(parseI32(...b(s))), s);
});

test('safeStrtoull / safeStrtoullExact (strtoull)', () => {
  assert.equal(parseU64Big(...b('18446744073709551615')), 18446744073709551615n);
  assert.equal(parseU64Big(...b('-18446744073709551615')), 1n);
  assert.equal(parseU64Big(...b('-0')), 0n);
  assert.equal(parseU64Big(...b('18446744073709551616')), null);
  assert.equal(parseU64Big(...b('-1')), null);
  assert.equal(parseU64Big(...b('abc')), null);
  assert.equal(parseU64(...b('123456789012')), 123456789012);
  assert.ok(parseU64(...b('9007199254740993')) >= 9007199254740992);
  assert.ok(Number.isNaN(parseU64(...b('-1'))));
});

test('safeStrtod (strtod)', () => {
  assert.equal(parseDouble(...b('0.5')), 0.5);
  assert.equal(parseDouble(...b('2')), 2);
  assert.equal(parseDouble(...b('-1e2')), -100);
  assert.ok(Number.isNaN(parseDouble(...b('x'))));
  assert.ok(Number.isNaN(parseDouble(...b('1.5x'))));
});

test('safeStrtoll (strtoll, debugtime)', () => {
  assert.equal(safeStrtoll(...b('-5')), -5);
  assert.equal(safeStrtoll(...b('+5')), 5);
  assert.equal(safeStrtoll(...b('9223372036854775807')), 9223372036854775807);
  assert.equal(safeStrtoll(...b('-9223372036854775808')), -9223372036854775808);
  for (const s of ['', '-', '5x', '9223372036854775808', '-9223372036854775809']) assert.ok(Number.isNaN(safeStrtoll(...b(s))), s);
});

// memcached reads tokens and stored values as C strings: a NUL ends the number as the end of
// the string does, and nothing after it counts (not even a '-' for the sign check).
test('a NUL ends the string: digits before it are the number, none before it is a failure', () => {
  assert.equal(parseU64Big(...b('1\0a')), 1n);
  assert.equal(parseU64Big(...b('1\0-')), 1n);
  assert.equal(parseU64Big(...b('18446744073709551615\0-')), 18446744073709551615n);
  assert.equal(parseU64Big(...b('-18446744073709551615\0')), 1n);
  assert.equal(parseU64Big(...b('\x001')), null);
  assert.equal(parseU64Big(...b(' \x001')), null);
  assert.equal(parseU64Big(...b('99999999999999999999\0')), null, 'ERANGE still');
  assert.equal(parseU64(...b('7\0x')), 7);
  assert.equal(parseU32(...b('4294967297\0x')), 1);
  assert.equal(parseI32(...b('-3\0x')), -3);
  assert.equal(safeStrtoll(...b('-3\0x')), -3);
  assert.equal(parseDouble(...b('0.25\0x')), 0.25);
  assert.ok(Number.isNaN(parseI32(...b('\0'))));
  assert.ok(Number.isNaN(parseDouble(...b('\x000.5'))));
});

test('white space after the digits ends the number; anything else fails it', () => {
  for (const s of ['1 a', '1\ta', '1\r', '1\n', '1\v', '1\f', ' 1', '\t1', '\r\n1']) assert.equal(parseU64Big(...b(s)), 1n, JSON.stringify(s));
  for (const s of ['1a', '1-', '1.5', '0x10', '1,']) assert.equal(parseU64Big(...b(s)), null, JSON.stringify(s));
});
