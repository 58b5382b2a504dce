// putUint32BE writes the same four bytes as Buffer.writeUInt32BE, at any offset, for the whole
// unsigned 32-bit range, and touches nothing around them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { putUint32BE } from '../../../src/common/big-endian.js';

test('putUint32BE matches Buffer.writeUInt32BE and leaves the neighbours alone', () => {
  const values = [0, 1, 0xff, 0x100, 0x01020304, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
  for (let i = 0; i < 200; i++) values.push(Math.floor(Math.random() * 2 ** 32));
  for (const v of values) {
    for (const at of [0, 1, 3, 8]) {
      const want = Buffer.alloc(16, 0xaa);
      want.writeUInt32BE(v, at);
      const got = Buffer.alloc(16, 0xaa);
      putUint32BE(got, at, v);
      assert.deepEqual(got, want, `v=${v} at=${at}`);
    }
  }
});
