// -o read_buf_mem_limit side by side with Debian's memcached 1.6.18, set up as t/conn-limits.t
// sets it (1 MiB over 32 threads: two 16 KiB buffers per connection's thread, one of them its
// read buffer, the other 13 response objects): multigets past 13 keys get `SERVER_ERROR out of
// memory writing get response`, a batch of more than 12 unflushed replies closes the
// connection with nothing written, flush points (get, mn) free the objects again, and
// response_obj_oom counts each refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairForFile, SKIP_WITHOUT_MEMCACHED } from '../support/pair.js';
import { exchangeOnce } from '../support/exchange.js';
import { Opcode } from '../../src/protocol/binary/header.js';
import { req } from '../support/binary-packets.js';

const ARGS = ['-o', 'read_buf_mem_limit=1', '-t', '32', '-R', '500'];

const pair = pairForFile({ args: ARGS });

/**
 * Everything the server sends for input on a fresh connection, until the last `last` or the
 * close. An input with several `mn` has as many `MN` replies, and the server may write the first
 * ones before it has the rest: the exchange waits for all of them (one for any other `last`).
 */
async function exchange(port: number, input: Buffer, last: string): Promise<string> {
  const wanted = Math.max(1, occurrences(input.toString('latin1'), last.toLowerCase()));
  const isComplete = (out: Buffer): boolean => {
    const text = out.toString('latin1');
    return text.endsWith(last) && occurrences(text, last) >= wanted;
  };
  const r = await exchangeOnce(port, input, { isComplete, timeoutMs: 3000 });
  const ending = { complete: '', idle: '', timeout: '<no end>', closed: '<closed>', reset: '<reset>' }[r.ending];
  return r.out.toString('latin1') + ending;
}

const repeat = (s: string, n: number): string => s.repeat(n);
const occurrences = (text: string, part: string): number => text.split(part).length - 1;
const keys = (k: string, n: number): string => Array.from({ length: n }, () => k).join(' ');

const CASES: ReadonlyArray<[string, string, string]> = [
  ['get of 13 keys fits', `set foo 0 0 1\r\nx\r\nget ${keys('foo', 13)}\r\n`, 'END\r\n'],
  ['get of 14 keys', `get ${keys('foo', 14)}\r\nmn\r\n`, 'MN\r\n'],
  ['get of 14 missing keys', `get ${keys('nope', 14)}\r\nmn\r\n`, 'MN\r\n'],
  ['get of 500 keys, as t/conn-limits.t', `get ${keys('foo', 500)}\r\nmn\r\n`, 'MN\r\n'],
  ['12 mg then mn', repeat('mg foo v\r\n', 12) + 'mn\r\n', 'MN\r\n'],
  ['13 mg then mn', repeat('mg foo v\r\n', 13) + 'mn\r\n', 'MN\r\n'],
  ['500 mg, as t/conn-limits.t', repeat('mg foo v\r\n', 500), 'MN\r\n'],
  ['20 noreply sets', repeat('set a 0 0 1 noreply\r\nx\r\n', 20) + 'mn\r\n', 'MN\r\n'],
  ['a get and mn are flush points', repeat('mg foo v\r\n', 10) + 'get foo\r\n' + repeat('mg foo v\r\n', 10) + 'mn\r\n' + repeat('mg foo v\r\n', 11) + 'mn\r\n', 'MN\r\n'],
  ['earlier flushed replies are written before the close', 'get foo\r\n' + repeat('mg foo v\r\n', 14), 'MN\r\n'],
];

test('read_buf_mem_limit=1 over -t 32: replies and closes as memcached', { skip: SKIP_WITHOUT_MEMCACHED }, async () => {
  const { ours, theirs } = pair();
  const ourPort = ours.port;
  const theirPort = theirs.port;
  for (const [name, input, last] of CASES) {
    const bytes = Buffer.from(input, 'latin1');
    const [a, b] = await Promise.all([exchange(ourPort, bytes, last), exchange(theirPort, bytes, last)]);
    assert.equal(JSON.stringify(a), JSON.stringify(b), name);
  }
  const oom = async (port: number): Promise<string> => {
    const s = await exchange(port, Buffer.from('stats\r\n'), 'END\r\n');
    return /STAT response_obj_oom (\d+)/.exec(s)?.[1] ?? 'missing';
  };
  assert.equal(await oom(ourPort), await oom(theirPort), 'response_obj_oom');
});

test('read_buf_mem_limit: binary requests past the budget close the connection as memcached', { skip: SKIP_WITHOUT_MEMCACHED }, async () => {
  const { ours, theirs } = pair();
  const ourPort = ours.port;
  const theirPort = theirs.port;
  const noopEnd = '\u0000\u0000\u0000\u0007' + '\u0000'.repeat(8); // opaque 7, cas 0
  const outcomes: string[] = [];
  for (const n of [12, 13, 20]) {
    const input = Buffer.concat([...Array.from({ length: n }, () => req(Opcode.Get, { key: 'foo' })), req(Opcode.Noop, { opaque: 7 })]);
    const [a, b] = await Promise.all([exchange(ourPort, input, noopEnd), exchange(theirPort, input, noopEnd)]);
    assert.equal(a.length, b.length, `${n} binary gets: reply length`);
    assert.equal(JSON.stringify(a), JSON.stringify(b), `${n} binary gets`);
    outcomes.push(a.endsWith('<closed>') || a.endsWith('<reset>') ? 'closed' : 'answered');
  }
  assert.deepEqual(outcomes, ['answered', 'closed', 'closed']);
});
