// conn_yields as memcached 1.6.18 counts it (t/issue_61.t): a yield each time a connection used
// up its -R requests in one event, whether or not input is left. The same pipelines go to
// Debian's memcached and to memcachedts; the counters must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDaemon, MEMCACHED_BIN } from '../support/daemon.js';
import { RawClient } from '../support/client.js';

interface Case {
  name: string;
  reqsPerEvent: number;
  /** Each entry is written at once, then its replies are read before the next. */
  batches: Array<{ send: string; replyBytes: number }>;
}

const SET6 = 'set foobar 0 0 5\r\nBubba\r\n'.repeat(6);
const VERSION = 'VERSION 1.6.18\r\n';

const CASES: Case[] = [
  { name: '-R 1, six pipelined sets (t/issue_61.t)', reqsPerEvent: 1, batches: [{ send: SET6, replyBytes: 'STORED\r\n'.length * 6 }] },
  { name: '-R 3, ten pipelined versions', reqsPerEvent: 3, batches: [{ send: 'version\r\n'.repeat(10), replyBytes: VERSION.length * 10 }] },
  {
    name: '-R 2, batches of 1, 2 and 3: a turn that ends with the input at R requests counts one',
    reqsPerEvent: 2,
    batches: [
      { send: 'version\r\n', replyBytes: VERSION.length },
      { send: 'version\r\nversion\r\n', replyBytes: VERSION.length * 2 },
      { send: 'version\r\nversion\r\nversion\r\n', replyBytes: VERSION.length * 3 },
    ],
  },
  {
    name: '-R 1, one request per write: each counts',
    reqsPerEvent: 1,
    batches: [1, 2, 3].map(() => ({ send: 'version\r\n', replyBytes: VERSION.length })),
  },
];

async function yieldsAfter(c: Case, memcached: boolean): Promise<number> {
  const d = await startDaemon({ args: ['-R', String(c.reqsPerEvent)], memcached });
  try {
    const sock = await RawClient.connect(d.port);
    for (const b of c.batches) {
      sock.send(b.send);
      await sock.read(b.replyBytes);
    }
    const stats = await sock.request('stats\r\n');
    sock.close();
    const m = /STAT conn_yields (\d+)\r\n/.exec(stats);
    assert.ok(m !== null, stats);
    return Number(m[1]);
  } finally {
    await d.stop();
  }
}

for (const c of CASES) {
  test(`conn_yields like memcached: ${c.name}`, async (t) => {
    if (!fs.existsSync(MEMCACHED_BIN)) {
      t.skip('no /usr/bin/memcached');
      return;
    }
    const theirs = await yieldsAfter(c, true);
    const ours = await yieldsAfter(c, false);
    assert.equal(ours, theirs);
  });
}

test('conn_yields: -R 1 and six pipelined sets count at least five yields (t/issue_61.t)', async () => {
  assert.ok((await yieldsAfter(CASES[0]!, false)) >= 5);
});
