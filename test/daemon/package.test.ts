// The package tarball (`npm pack`) is what admins install globally: it must carry the built
// dist/ and install with no compile step (no TypeScript, no sources in it), and its commands run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../support/daemon.js';
import { run } from '../support/tools.js';

test('npm pack carries dist/ and no sources; the tarball installs without a build and runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memcachedts-pack-'));
  try {
    // dist/ is already built by the test run; --ignore-scripts keeps pack from compiling again.
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: PROJECT_ROOT, timeoutMs: 60_000 });
    assert.equal(pack.code, 0, pack.stderr);
    const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const paths = info!.files.map((f) => f.path);
    for (const needed of ['bin/memcachedts.js', 'dist/src/cli/main.js', 'dist/src/server.js', 'contrib/memcachedts.service']) {
      assert.ok(paths.includes(needed), `${needed} is in the tarball`);
    }
    assert.deepEqual(paths.filter((p) => p.endsWith('.ts') || p.startsWith('src/') || p.includes('/test/')), []);
    // --prefer-offline: npm ci caches the tarballs but not the registry's package documents,
    // which a global install of a tarball asks for; on a fresh machine they come from the registry.
    // Installing runs no tsc: the tarball has no tsconfig and no typescript, so a build would fail.
    const prefix = join(dir, 'prefix');
    const install = await run('npm', ['install', '-g', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', prefix, join(dir, info!.filename)], { timeoutMs: 120_000 });
    assert.equal(install.code, 0, install.stderr);
    const version = await run(join(prefix, 'bin/memcachedts'), ['-V'], { timeoutMs: 15_000 });
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^memcachedts \S+ \(memcached 1\.6\.18 compatible\)\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
