// contrib/memcachedts-alerts.yml: valid for Prometheus (promtool check rules), and every alert
// fires on series named as /metrics names them (promtool test rules, alerts.promtest.yml).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PROJECT_ROOT } from '../support/daemon.js';
import { haveTool, run } from '../support/tools.js';

const PROMTOOL = '/usr/bin/promtool';

test('promtool check rules accepts the example alert rules', async (t) => {
  if (!haveTool(t, PROMTOOL, 'promtool (Debian package prometheus)')) return;
  const r = await run(PROMTOOL, ['check', 'rules', path.join(PROJECT_ROOT, 'contrib/memcachedts-alerts.yml')], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: 7 rules found/);
});

test('promtool test rules: evictions, hit ratio, connections, refusals, auth failures, throttling, down', async (t) => {
  if (!haveTool(t, PROMTOOL, 'promtool (Debian package prometheus)')) return;
  const r = await run(PROMTOOL, ['test', 'rules', path.join(PROJECT_ROOT, 'test/metrics/alerts.promtest.yml')], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS/);
});
