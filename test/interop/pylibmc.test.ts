// pylibmc (libmemcached; Debian python3-pylibmc), text and binary protocol, against the daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../support/daemon.js';
import { DEBIAN_PYTHON, haveTool, run } from '../support/tools.js';

const SCRIPT = String.raw`
import sys, pylibmc
binary = sys.argv[2] == 'binary'
c = pylibmc.Client(['127.0.0.1:' + sys.argv[1]], binary=binary)
c.set('k', 'v')
assert c.get('k') == 'v'
c.set_multi({'a': 1, 'b': 'two', 'c': b'three'})
assert c.get_multi(['a', 'b', 'c', 'zz']) == {'a': 1, 'b': 'two', 'c': b'three'}
assert c.add('k', 'x') is False
assert c.replace('k', 'w') is True
c.set('n', 10)
assert c.incr('n', 5) == 15
assert c.decr('n', 100) == 0
assert c.delete('k') is True
assert c.get('k') is None
c.set('big', b'y' * 400000)
assert c.get('big') == b'y' * 400000
c.set('t', 'x', time=100)
assert c.touch('t', 200) is True
st = c.get_stats()
assert st[0][1]['version'] == b'1.6.18', st
c.flush_all()
assert c.get('a') is None
print('OK')
`;

for (const proto of ['text', 'binary']) {
  test(`pylibmc ${proto} protocol scenario`, async (t) => {
    if (!haveTool(t, DEBIAN_PYTHON)) return;
    const probe = await run(DEBIAN_PYTHON, ['-c', 'import pylibmc']);
    if (probe.code !== 0) {
      if (process.env.CI === 'true') throw new Error('python3-pylibmc missing');
      t.skip('python3-pylibmc not installed');
      return;
    }
    const d = await startDaemon();
    try {
      const r = await run(DEBIAN_PYTHON, ['-c', SCRIPT, String(d.port), proto]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^OK$/m);
    } finally {
      await d.stop();
    }
  });
}
