// The runner's verdicts, on a fake suite: 82 stand-in .t files under the listed names (no
// memcached code), put where the runner finds a finished fetch, so nothing is downloaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveTool, run } from '../support/tools.js';
import { SUITE_FILES, SUITE_VERSION } from './files.js';

const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'run.js');
const PASS = 'print "1..1\\nok 1\\n";\n';

function fakeCache(overrides: Record<string, string>): string {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'mcts-fake-cache-'));
  const suite = path.join(cache, `memcached-${SUITE_VERSION}`);
  fs.mkdirSync(path.join(suite, 't'), { recursive: true });
  for (const file of Object.keys(SUITE_FILES)) fs.writeFileSync(path.join(suite, 't', file), overrides[file] ?? PASS);
  fs.writeFileSync(path.join(suite, '.complete'), 'fake\n');
  return cache;
}

async function runner(cache: string, args: string[]) {
  return run(process.execPath, [RUNNER, '--target=real', '--memcached=/bin/true', ...args], {
    env: { MEMCACHEDTS_CONFORMANCE_CACHE: cache },
    timeoutMs: 60_000,
  });
}

test('an unexpected failure fails the run and shows the output; a passing file does not', async (t) => {
  if (!haveTool(t, '/usr/bin/prove', 'prove (perl)')) return;
  const cache = fakeCache({ 'getset.t': 'print "1..2\\nok 1\\nnot ok 2 - the second check\\n";\n' });
  t.after(() => fs.rmSync(cache, { recursive: true, force: true }));
  const r = await runner(cache, ['t/getset.t', 'noreply']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^FAILED .* t\/getset\.t\n(.*\n)*.*the second check/m);
  assert.match(r.stdout, /^ok .* t\/noreply\.t$/m);
  assert.match(r.stdout, /^Unexpected failures: getset\.t$/m);
  assert.match(r.stdout, /^1 passed, 1 failed \(0 expected\); \d+s$/m);
});

test('an expected failure keeps the run green; one that passes is called out', async (t) => {
  if (!haveTool(t, '/usr/bin/prove', 'prove (perl)')) return;
  // expirations.t is the file release memcached is expected to fail.
  const cache = fakeCache({});
  t.after(() => fs.rmSync(cache, { recursive: true, force: true }));
  const passing = await runner(cache, ['expirations.t']);
  assert.equal(passing.code, 0, passing.stdout + passing.stderr);
  assert.match(passing.stdout, /^PASSES .* t\/expirations\.t .*take it off test\/conformance\/files\.ts$/m);
  assert.match(passing.stdout, /^!!! .*now PASS/m);

  fs.writeFileSync(path.join(cache, `memcached-${SUITE_VERSION}`, 't', 'expirations.t'), 'print "1..1\\nnot ok 1\\n";\n');
  const failing = await runner(cache, ['expirations.t']);
  assert.equal(failing.code, 0, failing.stdout + failing.stderr);
  assert.match(failing.stdout, /^failed .* t\/expirations\.t  expected: debugtime/m);
  assert.match(failing.stdout, /^0 passed, 1 failed \(1 expected\)/m);
});

test('a file that skips itself, or hangs past --timeout, counts as failed', async (t) => {
  if (!haveTool(t, '/usr/bin/prove', 'prove (perl)')) return;
  const cache = fakeCache({
    'getset.t': 'print "1..0 # SKIP not today\\n";\n',
    // Stands for a file waiting on a server that never answers, with a child of its own.
    'noreply.t': 'print "1..1\\n"; system("sleep 60 &"); sleep 60; print "ok 1\\n";\n',
  });
  t.after(() => fs.rmSync(cache, { recursive: true, force: true }));
  const started = Date.now();
  const r = await runner(cache, ['--timeout=2', 'getset.t', 'noreply.t']);
  assert.ok(Date.now() - started < 30_000, 'seconds, not the minute the file sleeps');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^FAILED .* t\/getset\.t \(skipped itself: ran no test\)$/m);
  assert.match(r.stdout, /^FAILED .* t\/noreply\.t \(killed after 2s\)$/m);
  assert.match(r.stdout, /^0 passed, 2 failed/m);
});

test('the list and the fetched suite must agree', async (t) => {
  if (!haveTool(t, '/usr/bin/prove', 'prove (perl)')) return;
  const cache = fakeCache({});
  t.after(() => fs.rmSync(cache, { recursive: true, force: true }));
  fs.writeFileSync(path.join(cache, `memcached-${SUITE_VERSION}`, 't', 'new-feature.t'), PASS);
  fs.rmSync(path.join(cache, `memcached-${SUITE_VERSION}`, 't', 'udp.t'));
  const r = await runner(cache, ['getset.t']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /disagree: not listed new-feature\.t; listed but absent udp\.t/);
});
