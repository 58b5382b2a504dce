// The stress test's value checker must catch what it is there to catch: torn values, pieces of
// another key, a header (flags) from another write, and bytes changed anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../support/random.js';
import { baseFlags, checkValue, makePiece, PieceKind } from './stress-values.js';

const random = new SeededRandom(5);
const base = makePiece('k', 3, 7, PieceKind.Base, 50, random);
const appended = makePiece('k', 4, 1, PieceKind.Append, 20, random);
const prepended = makePiece('k', 5, 9, PieceKind.Prepend, 45, random);
const flags = baseFlags(3, 7);

test('values built by set, append and prepend verify', () => {
  assert.equal(checkValue('k', base, flags), null);
  assert.equal(checkValue('k', prepended + base + appended, flags), null);
});

test('a torn value, a foreign piece, changed bytes or foreign flags do not', () => {
  const other = makePiece('k', 3, 8, PieceKind.Base, 50, random);
  assert.notEqual(checkValue('k', base.slice(0, 30) + other.slice(30), flags), null, 'two writes mixed');
  assert.notEqual(checkValue('k', base + makePiece('j', 4, 2, PieceKind.Append, 20, random), flags), null, 'a piece of key j');
  const flipped = base.slice(0, 20) + (base[20] === 'a' ? 'b' : 'a') + base.slice(21);
  assert.notEqual(checkValue('k', flipped, flags), null, 'one byte changed');
  assert.notEqual(checkValue('k', base + appended.slice(0, -1), flags), null, 'a piece cut short');
  assert.notEqual(checkValue('k', base, baseFlags(3, 8)), null, 'flags of another write');
  assert.notEqual(checkValue('k', appended, baseFlags(4, 1)), null, 'no base piece');
  assert.notEqual(checkValue('k', '', flags), null, 'empty');
});
