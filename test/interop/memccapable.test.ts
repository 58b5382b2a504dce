// libmemcached's conformance test (Debian: memccapable) against the real daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from '../support/daemon.js';
import { haveTool, run } from '../support/tools.js';

const MEMCCAPABLE = '/usr/bin/memccapable';

for (const mode of ['-a', '-b'] as const) {
  test(`memccapable ${mode}: every ${mode === '-a' ? 'ascii' : 'binary'} test passes`, async (t) => {
    if (!haveTool(t, MEMCCAPABLE, 'memccapable (libmemcached-tools)')) return;
    const d = await startDaemon();
    try {
      const r = await run(MEMCCAPABLE, [mode, '-h', '127.0.0.1', '-p', String(d.port), '-t', '5']);
      const out = r.stdout + r.stderr;
      const failed = out.split('\n').filter((l) => /\[(fail|FAIL)\]/.test(l));
      assert.deepEqual(failed, [], out);
      assert.match(out, /All tests passed/, out);
      assert.equal(r.code, 0, out);
    } finally {
      await d.stop();
    }
  });
}
