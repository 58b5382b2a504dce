// The serving loop's snapshot (SnapshotTaker) as the metrics thread rebuilds it (StatsSnapshot):
// every line `stats` and `stats settings` print reads back the same, line names and text values
// travel only when they change, a class that fills up is sent, and the buffer handed back is
// filled again rather than replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emitGeneralStats, emitSettingsStats } from '../../src/stats/render.js';
import { SnapshotTaker } from '../../src/metrics/snapshot-taker.js';
import { StatsSnapshot, statNumber, type StatValue } from '../../src/metrics/stats-snapshot.js';
import type { SnapshotMessage } from '../../src/metrics/snapshot-wire.js';
import { RawClient } from '../support/client.js';
import { startOnLoopback } from '../support/server.js';

/** What the metrics thread keeps between snapshots, and the view it rebuilds. */
class Receiver {
  readonly stats = new StatsSnapshot();
  names: readonly string[] = [];
  texts: readonly (string | null)[] = [];

  load(m: SnapshotMessage): void {
    if (m.names !== undefined) this.names = m.names;
    if (m.texts !== undefined) this.texts = m.texts;
    this.stats.load(this.names, this.texts, new Float64Array(m.values));
  }
}

/** Lines whose value moves by itself between two reads. */
const MOVING = new Set(['rusage_user', 'rusage_system', 'uptime', 'time']);

test('a snapshot reads back as stats prints it; names and texts travel only when they change', async () => {
  const srv = await startOnLoopback();
  const taker = new SnapshotTaker(srv.ctx);
  const c = await RawClient.connect(srv.port);
  try {
    const rx = new Receiver();
    const first = taker.take(null);
    assert.ok(first.names !== undefined && first.texts !== undefined, 'the first snapshot names its lines');
    rx.load(first);

    for (const [emit, group] of [[emitGeneralStats, rx.stats.general], [emitSettingsStats, rx.stats.settings]] as const) {
      const printed = new Map<string, StatValue>();
      emit(srv.ctx, (name, value) => printed.set(name, value));
      // general also gets `stats slabs`' active_slabs and total_malloced, after `stats`' own lines
      assert.deepEqual([...group.keys()].slice(0, printed.size), [...printed.keys()]);
      for (const [name, value] of printed) {
        if (MOVING.has(name)) continue;
        const got = group.get(name);
        if (typeof value === 'string' && !Number.isFinite(Number(value))) assert.equal(got, value, name);
        else assert.equal(statNumber(group, name), Number(value), name);
      }
    }
    assert.equal(rx.stats.general.get('version'), srv.ctx.settings.version);

    assert.equal(await c.request('set k 0 0 3\r\nabc\r\n', 'STORED'), 'STORED\r\n');
    const second = taker.take(first.values);
    assert.equal(second.values, first.values, 'the buffer handed back is filled again');
    assert.ok(second.names !== undefined, 'a class that fills up adds lines: names are sent');
    rx.load(second);
    assert.equal(rx.stats.items.classes.length, 1);
    const cls = rx.stats.items.classes[0]!;
    assert.equal(rx.stats.items.value(cls, rx.stats.items.column('number')), 1);
    assert.equal(statNumber(rx.stats.general, 'curr_items'), 1);

    assert.equal(await c.request('set k2 0 0 3\r\nxyz\r\n', 'STORED'), 'STORED\r\n');
    const third = taker.take(second.values);
    assert.equal(third.names, undefined, 'same lines: names are not sent again');
    assert.equal(third.texts, undefined, 'same texts: not sent again');
    rx.load(third);
    assert.equal(rx.stats.items.value(cls, rx.stats.items.column('number')), 2);
    assert.equal(statNumber(rx.stats.general, 'curr_items'), 2);
  } finally {
    c.close();
    taker.close();
    await srv.close(false);
  }
});
