import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameUdpReply, udpDatagramCount, udpRequestId, UDP_MAX_DATAGRAM_BYTES } from '../../../src/net/udp-frame.js';

function header(id: number, seq: number, total: number, reserved = 0): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(seq, 2);
  b.writeUInt16BE(total, 4);
  b.writeUInt16BE(reserved, 6);
  return b;
}

test('request header: id echoed; short and multi-datagram requests dropped', () => {
  assert.equal(udpRequestId(Buffer.concat([header(0x1234, 0, 1), Buffer.from('version\r\n')])), 0x1234);
  assert.equal(udpRequestId(Buffer.concat([header(7, 3, 1, 9), Buffer.from('v')])), 7); // seq/reserved ignored
  assert.equal(udpRequestId(header(7, 0, 1)), -1); // exactly 8 bytes
  assert.equal(udpRequestId(Buffer.from('abc')), -1);
  assert.equal(udpRequestId(Buffer.concat([header(7, 0, 2), Buffer.from('version\r\n')])), -1);
  assert.equal(udpRequestId(Buffer.concat([header(7, 0, 0), Buffer.from('version\r\n')])), -1);
});

test('a 3018-byte reply is 1400 + 1400 + 242 bytes, seq 0..2 of 3', () => {
  const payload = Buffer.alloc(3018);
  for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
  const out: Buffer[] = [];
  const bytes = frameUdpReply(0xbeef, payload, 0, payload.length, (d) => out.push(d));
  assert.deepEqual(out.map((d) => d.length), [1400, 1400, 242]);
  assert.equal(bytes, 3042);
  out.forEach((d, i) => {
    assert.equal(d.readUInt16BE(0), 0xbeef);
    assert.equal(d.readUInt16BE(2), i);
    assert.equal(d.readUInt16BE(4), 3);
    assert.equal(d.readUInt16BE(6), 0);
    assert.ok(d.length <= UDP_MAX_DATAGRAM_BYTES);
  });
  assert.deepEqual(Buffer.concat(out.map((d) => d.subarray(8))), payload);
});

test('datagram counts at the boundaries', () => {
  assert.equal(udpDatagramCount(0), 0);
  assert.equal(udpDatagramCount(1), 1);
  assert.equal(udpDatagramCount(1392), 1);
  assert.equal(udpDatagramCount(1393), 2);
  const out: Buffer[] = [];
  frameUdpReply(1, Buffer.alloc(1392 * 2), 0, 1392 * 2, (d) => out.push(d));
  assert.deepEqual(out.map((d) => d.length), [1400, 1400]);
  const sub: Buffer[] = [];
  frameUdpReply(1, Buffer.from('xxVERSION 1.6.18\r\nyy'), 2, 18, (d) => sub.push(d));
  assert.equal(sub[0]!.subarray(8).toString(), 'VERSION 1.6.18\r\n');
});
