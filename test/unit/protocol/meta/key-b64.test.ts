// Base64 key codec: memcached's decoder quirks and standard padded encoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64, appendBase64, base64Length } from '../../../../src/protocol/meta/key-b64.js';
import { OutBuffer } from '../../../../src/protocol/out-buffer.js';

function decode(text: string): Buffer | null {
  const src = Buffer.from(text, 'latin1');
  const dst = Buffer.alloc(src.length + 4);
  const n = decodeBase64(src, 0, src.length, dst, 0);
  return n === 0 ? null : dst.subarray(0, n);
}

function encode(bytes: Buffer): string {
  const out = new OutBuffer();
  appendBase64(out, bytes, 0, bytes.length);
  const parts = out.take();
  return parts === null ? '' : Buffer.concat(parts).toString('latin1');
}

test('decodes standard base64 with and without padding', () => {
  assert.deepEqual(decode('Zm9v'), Buffer.from('foo'));
  assert.deepEqual(decode('Zm8='), Buffer.from('fo'));
  assert.deepEqual(decode('Zg=='), Buffer.from('f'));
  assert.deepEqual(decode('44OG44K544OI'), Buffer.from('テスト'));
});

test('rejects what memcached rejects', () => {
  assert.equal(decode('Zm9'), null, 'count not a multiple of 4');
  assert.equal(decode('Zm9v='), null, 'five symbols');
  assert.equal(decode('Z==='), null, 'three pads in a quad');
  assert.equal(decode('===='), null, 'four pads');
  assert.equal(decode('!!!!'), null, 'nothing in the alphabet');
});

test('skips bytes outside the alphabet and stops after the first padded quad', () => {
  assert.deepEqual(decode('Zm\x019v'), Buffer.from('foo'));
  assert.deepEqual(decode('Zg==Zm9v'), Buffer.from('f'));
});

test('round-trips every byte value and every length up to 40', () => {
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  for (let len = 1; len <= 40; len++) {
    for (let off = 0; off + len <= 256; off += 37) {
      const bytes = all.subarray(off, off + len);
      const text = encode(bytes);
      assert.equal(text, bytes.toString('base64'));
      assert.equal(text.length, base64Length(len));
      assert.deepEqual(decode(text), bytes);
    }
  }
});
