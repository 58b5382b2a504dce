import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUITE_FILES } from './files.js';
import { makeBuildDir } from './stand-ins.js';
import { within } from '../support/wait.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function fakeSuite(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcts-fake-suite-'));
  fs.mkdirSync(path.join(dir, 't'));
  return dir;
}

test('the list: 82 files of 1.6.18, 68 run, every file left out or expected to fail has a reason', () => {
  const plans = Object.values(SUITE_FILES);
  assert.equal(plans.length, 82);
  assert.equal(plans.filter((p) => p.kind === 'run').length, 68);
  for (const [file, plan] of Object.entries(SUITE_FILES)) {
    assert.match(file, /^[\w-]+\.t$/);
    if (plan.kind === 'left-out') assert.ok(plan.why.length > 10, file);
    else for (const reason of [plan.expectedFailure, plan.failsOnRelease]) assert.ok(reason === undefined || reason.length > 10, file);
  }
});

test('memcached-debug for release memcached drops `-o relaxed_privileges` and passes everything else', (t) => {
  const suite = fakeSuite();
  // A "memcached" that prints its arguments one per line.
  const echo = path.join(suite, 'echo-args');
  fs.writeFileSync(echo, '#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n', { mode: 0o755 });
  const dir = makeBuildDir(suite, { kind: 'real', exe: echo, threads: null });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.after(() => fs.rmSync(suite, { recursive: true, force: true }));
  assert.equal(fs.realpathSync(path.join(dir, 't')), fs.realpathSync(path.join(suite, 't')));
  const args = ['-l', '127.0.0.1', '-o', 'no_modern', '-U', '0', '-u', 'root', '-o', 'relaxed_privileges', '-p', '1 2'];
  const r = spawnSync(path.join(dir, 'memcached-debug'), args, { encoding: 'utf8' });
  assert.equal(r.stdout, '[-l]\n[127.0.0.1]\n[-o]\n[no_modern]\n[-U]\n[0]\n[-u]\n[root]\n[-p]\n[1 2]\n');
});

test('--threads puts -t N before the arguments MemcachedTest.pm passes, so a file\'s own -t wins', (t) => {
  const suite = fakeSuite();
  const echo = path.join(suite, 'echo-args');
  fs.writeFileSync(echo, '#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n', { mode: 0o755 });
  const dir = makeBuildDir(suite, { kind: 'real', exe: echo, threads: 4 });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.after(() => fs.rmSync(suite, { recursive: true, force: true }));
  const r = spawnSync(path.join(dir, 'memcached-debug'), ['-t', '1', '-U', '0'], { encoding: 'utf8' });
  assert.equal(r.stdout, '[-t]\n[4]\n[-t]\n[1]\n[-U]\n[0]\n');
});

test('memcached-debug for memcachedts runs bin/memcachedts.js, whose -h shows what MemcachedTest.pm looks for', (t) => {
  const suite = fakeSuite();
  const dir = makeBuildDir(suite, { kind: 'ours', daemonJs: path.join(REPO_ROOT, 'bin', 'memcachedts.js'), threads: null });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.after(() => fs.rmSync(suite, { recursive: true, force: true }));
  const r = spawnSync(path.join(dir, 'memcached-debug'), ['-h'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  // unix-socket: the suite then talks over a unix socket; sasl: binary-sasl.t runs.
  assert.match(r.stdout, /unix-socket/);
  assert.match(r.stdout, /sasl/i);
  // These would make files for absent features run (extstore, proxy).
  assert.doesNotMatch(r.stdout, /ext_path|proxy_config/);
});

test('timedrun passes SIGINT to its command and exits with its status; ends it at the time limit', async (t) => {
  const suite = fakeSuite();
  const dir = makeBuildDir(suite, { kind: 'real', exe: '/bin/true', threads: null });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.after(() => fs.rmSync(suite, { recursive: true, force: true }));
  const timedrun = path.join(dir, 'timedrun');

  // MemcachedTest.pm stops a server by signalling timedrun's pid with SIGINT.
  // (The command gives up by itself after ~30 s, so that a failed run leaves nothing behind.)
  const command = 'trap "exit 3" INT; echo up; i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done';
  const child = spawn(timedrun, ['60', 'sh', '-c', command], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.stdout.destroy());
  const exited = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
  await within(new Promise<void>((resolve) => child.stdout.once('data', () => resolve())), 10_000, 'the command to start');
  child.kill('SIGINT');
  assert.equal(await within(exited, 10_000, 'timedrun to exit'), 3);

  const started = Date.now();
  const r = spawnSync(timedrun, ['1', 'sleep', '60'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0x80 | 15, 'killed by SIGTERM');
  assert.ok(Date.now() - started < 20_000, 'seconds, not the command\'s minute');
});
