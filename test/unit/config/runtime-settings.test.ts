import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeSettings } from '../../../src/config/runtime-settings.js';
import { makeSettings } from '../../../src/config/settings.js';

test('run-time settings start from Settings and are one set of shared words for every holder', () => {
  const settings = makeSettings({ memLimitBytes: 96 * 1024 * 1024, hotLruPct: 25, tempLru: true, temporaryTtl: 30, lruCrawler: false });
  const own = new RuntimeSettings(settings);
  assert.equal(own.memLimitBytes, 96 * 1024 * 1024);
  assert.equal(own.hotLruPct, 25);
  assert.equal(own.warmLruPct, settings.warmLruPct);
  assert.equal(own.slabAutomoveRatio, settings.slabAutomoveRatio);
  assert.equal(own.tempLru, true);
  assert.equal(own.lruCrawler, false);
  assert.equal(own.oldestLive, 0);

  const attached = new RuntimeSettings(own.buffer);
  assert.equal(attached.temporaryTtl, 30);
  own.lruSegmented = false;
  own.oldestCas = 2 ** 52 + 1;
  attached.detailEnabled = true;
  attached.hotMaxFactor = 0.35;
  assert.equal(attached.lruSegmented, false);
  assert.equal(attached.oldestCas, 2 ** 52 + 1);
  assert.equal(own.detailEnabled, true);
  assert.equal(own.hotMaxFactor, 0.35);
});
