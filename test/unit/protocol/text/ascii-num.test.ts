// Number parsing with memcached's safe_strto* acceptance rules (glibc, 64-bit longs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDouble, parseI32, parseU32, parseU64, parseU64Big } from '../../../../src/protocol/text/ascii-num.js';

function b(s: string): [Buffer, number, number] {
  const buf = Buffer.from('##' + s + '##', 'latin1');
  return [buf, 2, 2 + s.length];
}

test('parseU32 (strtoul narrowed to 32 bits)', () => {
  const cases: [string, number][] = [
    ['0', 0], ['5', 5], ['+5', 5], ['-0', 0], ['4294967295', 4294967295], ['4294967296', 0], ['4294967297', 1],
    ['18446744073709551615', 4294967295], ['-18446744073709551615', 1], ['\t7', 7], ['7\tx', 7], ['007', 7],
  ];
  for (const [s, v] of cases) assert.equal(parseU32(...b(s)), v, s);
  for (const s of ['', '-1', '-5', 'x', '5x', '0x10', '18446744073709551616', '+', '-', ' ']) assert.ok(Number.isNaN(parseU32(...b(s))), s);
});

test('parseI32 (strtol narrowed to 32 bits)', () => {
  const cases: [string, number][] = [
    ['0', 0], ['-1', -1], ['2147483647', 2147483647], ['2147483648', -2147483648], ['4294967296', 0], ['4294967298', 2],
    ['-2147483649', 2147483647], ['9223372036854775807', -1],
  ];
  for (const [s, v] of cases) assert.equal(parseI32(...b(s)), v, s);
  for (const s of ['', 'a', '1a', '9223372036854775808', '-9223372036854775809']) assert.ok(Number.isNaN(parseI32(...b(s))), s);
});

test('parseU64 / parseU64Big (strtoull)', () => {
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

test('parseDouble (strtod)', () => {
  assert.equal(parseDouble(...b('0.5')), 0.5);
  assert.equal(parseDouble(...b('2')), 2);
  assert.equal(parseDouble(...b('-1e2')), -100);
  assert.ok(Number.isNaN(parseDouble(...b('x'))));
  assert.ok(Number.isNaN(parseDouble(...b('1.5x'))));
});
