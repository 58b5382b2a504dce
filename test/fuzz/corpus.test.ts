// Replays every input in test/fuzz/corpus/ (hostile seeds, and any input a fuzz run ever
// found crashing, hanging or desyncing): whole and split at every byte offset, never a throw,
// and afterwards a fresh session works and the store is intact. Add a found input as
// corpus/<protocol>-<what>.bin; the file name is the test name. A name ending -batchdep.bin
// marks an input whose replies depend on packet boundaries in memcached 1.6.18 too (a get
// with a too-long key drops the replies queued in the same batch): only no-throw and health
// are checked for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../support/daemon.js';
import { freshContext, drive, checkHealthy, splitAt } from './gen.js';

const DIR = path.join(PROJECT_ROOT, 'test/fuzz/corpus');
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.bin')).sort();

test('the corpus is there', () => {
  assert.ok(files.length >= 10, `${files.length} corpus files in ${DIR}`);
});

for (const file of files) {
  test(`corpus ${file}`, () => {
    const input = fs.readFileSync(path.join(DIR, file));
    const ctx = freshContext();
    const whole = drive(ctx, [input]);
    assert.equal(checkHealthy(ctx), null);
    ctx.store.close();
    for (let k = 1; k < input.length; k++) {
      const c = freshContext();
      const split = drive(c, splitAt(input, k));
      if (whole.idle && whole.action === 0 && !file.endsWith('-batchdep.bin')) assert.ok(split.out.equals(whole.out), `split at ${k} changes the replies`);
      if (k % 64 === 0 || k === input.length - 1) assert.equal(checkHealthy(c), null, `split at ${k}`);
      c.store.close();
    }
  });
}
