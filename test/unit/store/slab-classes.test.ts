import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { computeSlabClasses, describeSlabClass } from '../../../src/store/slab-classes.js';
import { makeStore } from './helpers.js';

test('default classes: 96 bytes first, 524288 last (39 classes)', () => {
  const g = computeSlabClasses(48, 1.25, 512 * 1024);
  assert.equal(g.chunkSize[1], 96);
  assert.equal(g.perSlab[1], 10922);
  assert.equal(g.chunkSize[2], 120);
  assert.equal(g.largest, 39);
  assert.equal(g.chunkSize[39], 524288);
  assert.equal(g.perSlab[39], 2);
  assert.equal(describeSlabClass(1, 96, 10922), 'slab class   1: chunk size        96 perslab   10922');
});

// Compared with the real binary when it is installed (Debian's memcached -vv prints the table).
const MEMCACHED = '/usr/bin/memcached';

/** Starts memcached -vv without listeners and returns its stderr once the table is out. */
function slabTable(args: string[], max: number): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(MEMCACHED, ['-u', 'nobody', '-p', '0', '-U', '0', '-vv', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const done = (): void => {
      clearTimeout(timer);
      p.kill('SIGKILL');
      resolve(err);
    };
    const timer = setTimeout(done, 3000);
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString('latin1');
      // the largest class (slab_chunk_max) is the table's last line
      const last = err.indexOf(`chunk size ${String(max).padStart(9)} perslab`);
      if (last >= 0 && err.indexOf('\n', last) >= 0) done();
    });
    p.once('exit', done);
  });
}
const cases: Array<{ args: string[]; n: number; f: number; max: number }> = [
  { args: [], n: 48, f: 1.25, max: 512 * 1024 },
  { args: ['-n', '10', '-f', '1.1'], n: 10, f: 1.1, max: 512 * 1024 },
  { args: ['-f', '2'], n: 48, f: 2, max: 512 * 1024 },
  { args: ['-I', '2m'], n: 48, f: 1.25, max: 512 * 1024 },
  { args: ['-n', '100', '-f', '1.5', '-o', 'slab_chunk_max=65536'], n: 100, f: 1.5, max: 65536 },
];
for (const c of cases) {
  test(`describeSlabClasses matches memcached -vv ${c.args.join(' ')}`, { skip: !existsSync(MEMCACHED) }, async () => {
    const stderr = await slabTable(c.args, c.max);
    const want = stderr.split('\n').filter((l) => l.startsWith('slab class'));
    assert.ok(want.length > 5, stderr);
    const { store } = makeStore({ chunkSizeMin: c.n, growthFactor: c.f, slabChunkMax: c.max });
    const got: string[] = [];
    store.describeSlabClasses((l) => got.push(l));
    store.close();
    assert.deepEqual(got, want);
  });
}
