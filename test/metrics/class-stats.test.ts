// ClassStats, the per-class rows a scrape reads `stats slabs` and `stats items` into: a field a
// class did not print this scrape reads NaN, a class that printed nothing is not listed, and
// text values read as memcached_exporter reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClassStats } from '../../src/metrics/stats-snapshot.js';
import { SlabLabelSets } from '../../src/metrics/label-sets.js';
import type { StatValue } from '../../src/metrics/stats-snapshot.js';

/** One scrape's worth of `<class>:<field> <value>` lines, in the order given. */
function scrape(group: ClassStats, lines: ReadonlyArray<readonly [number, string, StatValue]>): void {
  group.begin();
  for (const [cls, field, value] of lines) group.set(cls, field, value);
}

test('a scrape lists the classes that printed, once each, in their order, with their numbers', () => {
  const group = new ClassStats();
  scrape(group, [[5, 'number', 7], [5, 'age', 30], [2, 'number', 1], [2, 'evicted', '4']]);
  assert.deepEqual(group.classes, [5, 2]);
  const number = group.column('number');
  assert.equal(group.value(5, number), 7);
  assert.equal(group.value(2, number), 1);
  assert.equal(group.value(2, group.column('evicted')), 4);
  assert.ok(Number.isNaN(group.value(5, group.column('evicted'))), 'class 5 printed no evicted');
  assert.equal(group.column('never_printed'), -1);
});

test('the next scrape forgets what was not printed again', () => {
  const group = new ClassStats();
  scrape(group, [[1, 'number', 3], [1, 'number_temp', 2], [9, 'number', 8]]);
  scrape(group, [[1, 'number', 4]]);
  assert.deepEqual(group.classes, [1]);
  assert.equal(group.value(1, group.column('number')), 4);
  assert.ok(Number.isNaN(group.value(1, group.column('number_temp'))));
  assert.ok(Number.isNaN(group.value(9, group.column('number'))));
});

test('yes/no read as 1/0, text that is not a number as NaN', () => {
  const group = new ClassStats();
  scrape(group, [[3, 'flag_on', 'yes'], [3, 'flag_off', 'no'], [3, 'seconds', '1.500000'], [3, 'name', 'hot']]);
  assert.equal(group.value(3, group.column('flag_on')), 1);
  assert.equal(group.value(3, group.column('flag_off')), 0);
  assert.equal(group.value(3, group.column('seconds')), 1.5);
  assert.ok(Number.isNaN(group.value(3, group.column('name'))));
});

test('label sets are made once per class and index and then handed out again', () => {
  const sets = new SlabLabelSets(2, (slab, i) => ({ slab, lru: i === 0 ? 'hot' : 'cold' }));
  const first = sets.at(12, 1);
  assert.deepEqual(first, { slab: '12', lru: 'cold' });
  assert.equal(sets.at(12, 1), first, 'the same object, so prom-client reuses its text');
  assert.notEqual(sets.at(12, 0), first);
  assert.deepEqual(sets.at(13, 0), { slab: '13', lru: 'hot' });
  assert.ok(Object.isFrozen(first));
});
