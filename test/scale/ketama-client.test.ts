// Client-side consistent hashing with no proxy: pylibmc (libmemcached ketama) over three nodes.
// Keys spread over all nodes, read back intact; when one node dies only its keys miss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type Daemon } from '../support/daemon.js';
import { DEBIAN_PYTHON, haveTool, run } from '../support/tools.js';

const useMemcached = process.env.SCALE_TEST_MEMCACHED === '1';

const SCRIPT = String.raw`
import sys, json, pylibmc
servers = sys.argv[1].split(',')
phase = sys.argv[2]
c = pylibmc.Client(servers, binary=False, behaviors={'ketama': True, 'remove_failed': 1, 'retry_timeout': 1, 'connect_timeout': 1000})
N = 6000
if phase == 'fill':
    for i in range(N):
        c.set('user:%d' % i, 'v%d' % i)
    ok = sum(1 for i in range(N) if c.get('user:%d' % i) == 'v%d' % i)
    print(json.dumps({'ok': ok}))
else:
    hits = 0
    wrong = 0
    for i in range(N):
        try:
            v = c.get('user:%d' % i)
        except pylibmc.Error:
            v = None
        if v is None: continue
        if v == 'v%d' % i: hits += 1
        else: wrong += 1
    print(json.dumps({'hits': hits, 'wrong': wrong}))
`;

async function currItems(d: Daemon): Promise<number> {
  const { RawClient } = await import('../support/client.js');
  const c = await RawClient.connect(d.port);
  const text = await c.request('stats\r\n');
  c.close();
  return Number(/STAT curr_items (\d+)/.exec(text)?.[1] ?? -1);
}

test('pylibmc ketama over three nodes: spread, intact, a dead node loses only its keys', { timeout: 120_000 }, async (t) => {
  if (!haveTool(t, DEBIAN_PYTHON)) return;
  if ((await run(DEBIAN_PYTHON, ['-c', 'import pylibmc'])).code !== 0) {
    if (process.env.CI === 'true') throw new Error('python3-pylibmc missing');
    t.skip('python3-pylibmc not installed');
    return;
  }
  const nodes: Daemon[] = [];
  try {
    for (let i = 0; i < 3; i++) nodes.push(await startDaemon({ memcached: useMemcached }));
    const servers = nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
    const fill = await run(DEBIAN_PYTHON, ['-c', SCRIPT, servers, 'fill']);
    assert.equal(fill.code, 0, fill.stderr);
    assert.equal(JSON.parse(fill.stdout).ok, 6000);
    const counts = await Promise.all(nodes.map(currItems));
    assert.equal(counts.reduce((a, b) => a + b, 0), 6000);
    for (const n of counts) assert.ok(n > 6000 * 0.15, `every node holds a share: ${counts}`);

    await nodes[2]!.stop();
    const after = await run(DEBIAN_PYTHON, ['-c', SCRIPT, servers, 'read']);
    assert.equal(after.code, 0, after.stderr);
    const r = JSON.parse(after.stdout) as { hits: number; wrong: number };
    assert.equal(r.wrong, 0);
    // Consistent hashing: the keys of the two live nodes are all still found.
    assert.equal(r.hits, counts[0]! + counts[1]!, `hits ${r.hits}, live nodes held ${counts[0]}+${counts[1]}`);
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
});
