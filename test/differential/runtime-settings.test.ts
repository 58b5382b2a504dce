// Run-time admin commands against Debian's memcached 1.6.18 and memcachedts: the same replies,
// and the same `stats settings` afterwards (the port aside). Their effect on the running store is
// tested in test/unit/protocol/runtime-commands.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startDaemon, MEMCACHED_BIN } from '../support/daemon.js';
import { RawClient } from '../support/client.js';

const COMMANDS = [
  'lru_crawler enable', // already running: memcached refuses a second crawler thread
  'lru_crawler disable',
  'lru_crawler disable',
  'lru mode flat',
  'lru mode bogus',
  'lru temp_ttl 10',
  'lru temp_ttl x',
  'lru tune 10 10 0.1 0.3',
  'lru tune 50 50 1 1',
  'lru tune 10 10 0 1',
  'slabs automove ratio 0.5',
  'slabs automove ratio',
  'slabs automove 3',
  'slabs automove 2',
  'slabs automove x',
  'lru_crawler sleep 50',
  'lru_crawler tocrawl 7',
];

async function transcript(memcached: boolean, args: string[], commands: string[]): Promise<string> {
  const d = await startDaemon({ args, memcached });
  try {
    const c = await RawClient.connect(d.port);
    let out = '';
    for (const cmd of commands) {
      c.send(cmd + '\r\n');
      out += cmd + ' -> ' + (await c.line()) + '\n';
    }
    const settings = await c.request('stats settings\r\n');
    c.close();
    return out + settings.replace(/STAT tcpport \d+\r\n/, '');
  } finally {
    await d.stop();
  }
}

async function compare(t: { skip(msg: string): void }, args: string[], commands: string[]): Promise<void> {
  if (!fs.existsSync(MEMCACHED_BIN)) {
    t.skip('no /usr/bin/memcached');
    return;
  }
  const theirs = await transcript(true, args, commands);
  const ours = await transcript(false, args, commands);
  assert.equal(ours, theirs);
}

test('run-time admin commands: replies and stats settings afterwards as memcached', async (t) => {
  await compare(t, [], COMMANDS);
});

test('-o slab_automove_ratio and slab_automove_window are kept (stats settings), then lru_crawler enable', async (t) => {
  await compare(t, ['-o', 'slab_automove_ratio=0.3,slab_automove_window=7,no_lru_crawler'], ['lru_crawler enable', 'slabs automove ratio 0.25']);
});
