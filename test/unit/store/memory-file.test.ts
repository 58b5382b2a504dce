// store/memory-file.ts and Cache's image: a save and a load through real files, the clock moved
// by hand across the "downtime", and memcached's metadata rules on hand-written .meta files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RuntimeSettings } from '../../../src/config/runtime-settings.js';
import { makeSettings } from '../../../src/config/settings.js';
import { Cache } from '../../../src/store/cache.js';
import { ManualClock } from '../../../src/store/clock.js';
import { loadMemoryFile, saveMemoryFile } from '../../../src/store/memory-file.js';
import { SLAB_PAGE_SIZE } from '../../../src/store/slab-classes.js';
import { restartSettingsOf } from '../../../src/threads/warm-restart.js';
import { get, getView, set } from './helpers.js';

const T0 = 1_700_000_000;

function withDir(body: (file: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcts-memfile-'));
  try {
    body(path.join(dir, 'cache'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const settings = makeSettings({ lruCrawler: false, memoryFile: '/unused' });
/** A restore target outside any store: restoreImage() then copies the pages into its arena. */
const pageOfItsOwn = (): Buffer => Buffer.alloc(SLAB_PAGE_SIZE);

function savedStore(file: string): { casOfA: number } {
  const clock = new ManualClock(T0);
  const store = new Cache(settings, clock, new RuntimeSettings(settings));
  set(store, 'a', 'alpha', { flags: 5, exptime: 100 });
  set(store, 'b', 'beta', { exptime: 1000 });
  set(store, 'big', Buffer.alloc(700 * 1024, 'z'));
  const casOfA = getView(store, 'a')!.cas;
  clock.advance(10);
  saveMemoryFile(file, store.exportImage(), restartSettingsOf(settings), clock.nowUnixSec());
  store.close();
  return { casOfA };
}

test('save, then load 50 s later: items, flags and cas back; an item due in between has expired', () => {
  withDir((file) => {
    const { casOfA } = savedStore(file);
    // 10 s after the stores, the stop; 150 s after the stores, the start: `a` (100 s) is gone
    const clock = new ManualClock(T0 + 60);
    let store = new Cache(settings, clock, new RuntimeSettings(settings));
    let found = loadMemoryFile(file, restartSettingsOf(settings), T0 + 60, (slot) => store.restorePage(slot));
    assert.equal(found.kind, 'restored');
    assert.deepEqual(found.lines, []);
    assert.ok(!existsSync(file) && !existsSync(file + '.meta'));
    assert.equal(found.kind === 'restored' ? store.restoreImage(found.image) : 'no image', null);
    assert.equal(get(store, 'a'), 'alpha');
    assert.equal(getView(store, 'a')!.flags, 5);
    assert.equal(getView(store, 'a')!.cas, casOfA);
    assert.equal(get(store, 'big')?.length, 700 * 1024);
    clock.advance(90); // 150 s after the store
    assert.equal(get(store, 'a'), null);
    assert.equal(get(store, 'b'), 'beta');
    store.close();

    // the same again, restored at once into a store whose clock is past a's expiry, the pages
    // read outside the store and copied in
    savedStore(file);
    found = loadMemoryFile(file, restartSettingsOf(settings), T0 + 150, pageOfItsOwn);
    store = new Cache(settings, new ManualClock(T0 + 150), new RuntimeSettings(settings));
    assert.equal(found.kind === 'restored' ? store.restoreImage(found.image) : 'no image', null);
    assert.equal(get(store, 'a'), null);
    assert.equal(get(store, 'b'), 'beta');
    store.close();
  });
});

test('metadata: memcached\'s rules for tags, unknown keys, short files and a clock that went back', () => {
  withDir((file) => {
    savedStore(file);
    const meta = readFileSync(file + '.meta', 'latin1');
    const data = readFileSync(file);
    const again = (text: string, now = T0 + 60): ReturnType<typeof loadMemoryFile> => {
      writeFileSync(file + '.meta', text);
      writeFileSync(file, data);
      return loadMemoryFile(file, restartSettingsOf(settings), now, pageOfItsOwn);
    };
    // an unknown key is reported and skipped
    let r = again(meta + 'Kfuture_key 1\n');
    assert.equal(r.kind, 'restored');
    assert.deepEqual(r.lines, ['[restart] unknown/unhandled key: future_key']);
    // fewer than memcached's 17 known lines
    r = again(meta.split('\n').slice(0, 6).join('\n') + '\n');
    assert.equal(r.kind, 'clean');
    assert.deepEqual(r.lines, ['[restart] missing some metadata lines', '[restart] failed to validate metadata, starting with a clean cache']);
    // the stop lies in the future: the clock went back
    r = again(meta, T0 - 100);
    assert.equal(r.kind, 'clean');
    assert.match(r.lines[0] ?? '', /^\[restart\] restart incompatible due to setting for \[stop_time\]/);
    // a tag nobody handles: the start fails, and the file stays (memcached aborts before unlinking)
    r = again('Tother\n' + meta);
    assert.equal(r.kind, 'fatal');
    assert.deepEqual(r.lines, ['[restart] internal handler for metadata tag not found: other:', '[restart] corrupt metadata file']);
    assert.ok(existsSync(file + '.meta'));
    // another -f spelling is another slab_config, as memcached compares the strings
    writeFileSync(file + '.meta', meta);
    r = loadMemoryFile(file, { ...restartSettingsOf(settings), slabConfig: '1.250' }, T0 + 60, pageOfItsOwn);
    assert.equal(r.kind, 'clean');
    assert.equal(r.lines[0], '[restart] restart incompatible due to setting for [slab_config] [old value: 1.25]');
  });
});
