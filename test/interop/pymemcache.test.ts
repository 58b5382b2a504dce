// pymemcache (Debian python3-pymemcache) scenario against the real daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../support/daemon.js';
import { DEBIAN_PYTHON, haveTool, run } from '../support/tools.js';

const SCRIPT = String.raw`
import sys
from pymemcache.client.base import Client
c = Client(('127.0.0.1', int(sys.argv[1])), connect_timeout=3, timeout=3)
out = []
assert c.set('k1', b'v1') is True
assert c.get('k1') == b'v1'
c.set_many({'a': b'1', 'b': b'2', 'c': b'3'})
assert c.get_many(['a', 'b', 'c', 'missing']) == {'a': b'1', 'b': b'2', 'c': b'3'}
v, cas = c.gets('k1')
assert v == b'v1' and int(cas) > 0
assert c.cas('k1', b'v2', cas) is True
assert c.cas('k1', b'v3', cas) is False
assert c.get('k1') == b'v2'
c.set('n', b'10')
assert c.incr('n', 5) == 15
assert c.decr('n', 20) == 0
assert c.incr('nokey', 1) is None
assert c.touch('k1', 100, noreply=False) is True
assert c.touch('nokey', 100, noreply=False) is False
assert c.delete('k1', noreply=False) is True
assert c.get('k1') is None
assert c.delete('k1', noreply=False) is False
# noreply (pymemcache's default for set/delete) still stores
c.set('nr', b'x', noreply=True)
assert c.get('nr') == b'x'
assert c.add('nr', b'y', noreply=False) is False
assert c.replace('nr', b'z', noreply=False) is True
assert c.append('nr', b'!', noreply=False) is True
assert c.prepend('nr', b'<', noreply=False) is True
assert c.get('nr') == b'<z!'
big = b'x' * 500000
assert c.set('big', big, noreply=False) is True
assert c.get('big') == big
assert c.version() == b'1.6.18'
st = c.stats()
assert st[b'curr_items'] >= 5 and b'get_hits' in st
c.flush_all(noreply=False)
assert c.get('nr') is None
print('OK')
`;

test('pymemcache: set/get/get_many/cas/incr/decr/touch/delete/noreply', async (t) => {
  if (!haveTool(t, DEBIAN_PYTHON)) return;
  const probe = await run(DEBIAN_PYTHON, ['-c', 'import pymemcache']);
  if (probe.code !== 0) {
    if (process.env.CI === 'true') throw new Error('python3-pymemcache missing');
    t.skip('python3-pymemcache not installed');
    return;
  }
  const d = await startDaemon();
  try {
    const r = await run(DEBIAN_PYTHON, ['-c', SCRIPT, String(d.port)]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^OK$/m);
  } finally {
    await d.stop();
  }
});
