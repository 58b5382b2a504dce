import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTarget, renderDisplay } from '../../../src/cli/tool.js';

test('addresses: host, host:port, [v6]:port, unix path', () => {
  assert.deepEqual(parseTarget('127.0.0.1:11311'), { host: '127.0.0.1', port: 11311 });
  assert.deepEqual(parseTarget('localhost'), { host: 'localhost', port: 11211 });
  assert.deepEqual(parseTarget('[::1]:5000'), { host: '::1', port: 5000 });
  assert.deepEqual(parseTarget('[::1]'), { host: '::1', port: 11211 });
  assert.deepEqual(parseTarget('/run/memcached/memcached.sock'), { path: '/run/memcached/memcached.sock' });
  assert.equal(parseTarget('host:99999'), null);
});

test('display: one row per class with pages, in class order', () => {
  const items: Array<[string, string]> = [
    ['items:1:number', '5'], ['items:1:age', '12'], ['items:1:evicted', '0'], ['items:1:evicted_time', '0'], ['items:1:outofmemory', '0'],
    ['items:12:number', '2'], ['items:12:age', '3'], ['items:12:evicted', '7'], ['items:12:evicted_time', '9'], ['items:12:outofmemory', '1'],
  ];
  const slabs: Array<[string, string]> = [
    ['1:chunk_size', '96'], ['1:chunks_per_page', '10922'], ['1:total_pages', '1'], ['1:total_chunks', '10922'], ['1:used_chunks', '5'],
    ['5:chunk_size', '240'], ['5:total_pages', '0'],
    ['12:chunk_size', '1184'], ['12:chunks_per_page', '885'], ['12:total_pages', '2'], ['12:total_chunks', '1770'], ['12:used_chunks', '1770'],
    ['active_slabs', '2'], ['total_malloced', '3145728'],
  ];
  const general: Array<[string, string]> = [['curr_items', '7'], ['bytes', '4000'], ['limit_maxbytes', '67108864'], ['evictions', '7']];
  const out = renderDisplay(items, slabs, general);
  const lines = out.split('\n');
  assert.match(lines[0] ?? '', /Class\s+Chunk\s+Per page\s+Pages\s+Items/);
  assert.match(lines[1] ?? '', /^\s*1\s+96 B\s+10922\s+1\s+5\s+0%\s+12 s\s+0/);
  assert.match(lines[2] ?? '', /^\s*12\s+1\.2 KiB\s+885\s+2\s+2\s+100%\s+3 s\s+7\s+9 s\s+1$/);
  assert.ok(!/^\s*5\s/m.test(out), 'classes without pages are left out');
  assert.match(out, /Items: 7 .*Limit: 64\.0 MiB/);
});

test('display of an empty cache says so', () => {
  assert.match(renderDisplay([], [['active_slabs', '0'], ['total_malloced', '0']], []), /empty cache/);
});
