import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atof, atoi, formatSize, parseItemSize, safeStrtol, safeStrtoul, strtolOctal } from '../../../src/config/sizes.js';

test('atoi reads like C: prefix digits, blanks, sign, garbage is 0', () => {
  assert.equal(atoi('64'), 64);
  assert.equal(atoi('64m'), 64);
  assert.equal(atoi('  12x'), 12);
  assert.equal(atoi('-5'), -5);
  assert.equal(atoi('+7'), 7);
  assert.equal(atoi('abc'), 0);
  assert.equal(atoi(''), 0);
  assert.equal(atoi('4294967297'), 1); // (int) keeps the low 32 bits
  assert.equal(atoi('99999999999999999999'), -1); // strtol saturates at LONG_MAX, low 32 bits = -1
});

test('atof and octal strtol', () => {
  assert.equal(atof('1.5'), 1.5);
  assert.equal(atof('abc'), 0);
  assert.equal(atof(' 2x'), 2);
  assert.equal(strtolOctal('700'), 0o700);
  assert.equal(strtolOctal('0660'), 0o660);
  assert.equal(strtolOctal('9'), 0);
  assert.equal(strtolOctal('78'), 7);
});

test('safe_strtoul / safe_strtol: whole numbers only', () => {
  assert.equal(safeStrtoul('12'), 12);
  assert.equal(safeStrtoul('12 '), 12);
  assert.equal(safeStrtoul('12k'), null);
  assert.equal(safeStrtoul(''), null);
  assert.equal(safeStrtoul('-1'), null);
  // memcached keeps the low 32 bits: -o lru_crawler_tocrawl=4294967297 shows 1 in stats settings.
  assert.equal(safeStrtoul('4294967296'), 0);
  assert.equal(safeStrtoul('4294967297'), 1);
  assert.equal(safeStrtoul('18446744073709551616'), null);
  assert.equal(safeStrtol('-3'), -3);
  assert.equal(safeStrtol('abc'), null);
});

test('-I sizes: k/K/m/M on the last character', () => {
  assert.equal(parseItemSize('1m'), 1024 * 1024);
  assert.equal(parseItemSize('1M'), 1024 * 1024);
  assert.equal(parseItemSize('512k'), 512 * 1024);
  assert.equal(parseItemSize('2K'), 2048);
  assert.equal(parseItemSize('2048'), 2048);
  assert.equal(parseItemSize('k'), 0);
  assert.equal(parseItemSize('abc'), 0);
  assert.equal(parseItemSize('1g'), 1); // no g suffix in memcached: atoi("1g")
  assert.ok(parseItemSize('2048m') < 0); // int overflow in memcached, refused as too small
  assert.equal(formatSize(1024 * 1024), '1m');
  assert.equal(formatSize(2048), '2k');
  assert.equal(formatSize(1000), '1000');
});
