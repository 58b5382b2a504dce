// The layering of DESIGN.md §1 / STYLE.md §3, checked from the import lines of src/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../support/daemon.js';

const SRC = path.join(PROJECT_ROOT, 'src');

interface ImportEdge {
  from: string; // path relative to src/, e.g. 'protocol/text/reader.ts'
  to: string; // resolved path relative to src/, or the bare module name
  isTypeOnly: boolean;
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function edges(): ImportEdge[] {
  const result: ImportEdge[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm;
  for (const file of listTs(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    const from = path.relative(SRC, file);
    for (const m of text.matchAll(re)) {
      const spec = m[3]!;
      const isTypeOnly = m[2] !== undefined;
      const to = spec.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), spec)).replace(/\.js$/, '.ts') : spec;
      result.push({ from, to, isTypeOnly });
    }
  }
  return result;
}

const all = edges();

test('the tree has sources to check', () => {
  assert.ok(all.length > 20, `only ${all.length} imports found`);
});

test('store/ imports nothing outside store/ (but the Settings type, the run-time settings it reads and the common/ leaves)', () => {
  const bad = all.filter(
    (e) =>
      e.from.startsWith('store/') &&
      !e.to.startsWith('node:') &&
      !e.to.startsWith('store/') &&
      !e.to.startsWith('common/') &&
      !(e.isTypeOnly && e.to === 'config/settings.ts') &&
      e.to !== 'config/runtime-settings.ts',
  );
  assert.deepEqual(bad, []);
});

test('common/ holds leaves: they import nothing from src/', () => {
  const bad = all.filter((e) => e.from.startsWith('common/') && !e.to.startsWith('node:') && !e.to.startsWith('common/'));
  assert.deepEqual(bad, []);
});

test('protocol/ reaches the store only through store/store.ts, and never net/ or cli/', () => {
  const bad = all.filter(
    (e) =>
      e.from.startsWith('protocol/') &&
      ((e.to.startsWith('store/') && e.to !== 'store/store.ts') || e.to.startsWith('net/') || e.to.startsWith('cli/') || e.to === 'server.ts'),
  );
  assert.deepEqual(bad, []);
});

test('net/ knows sessions, not commands or the store implementation', () => {
  const bad = all.filter(
    (e) =>
      e.from.startsWith('net/') &&
      (/^protocol\/(text|binary|meta)\//.test(e.to) || (e.to.startsWith('store/') && e.to !== 'store/store.ts') || e.to.startsWith('cli/')),
  );
  assert.deepEqual(bad, []);
});

test('auth/ and stats/ do not reach net/, cli/ or the store implementation', () => {
  const bad = all.filter(
    (e) =>
      (e.from.startsWith('auth/') || e.from.startsWith('stats/')) &&
      (e.to.startsWith('net/') || e.to.startsWith('cli/') || (e.to.startsWith('store/') && e.to !== 'store/store.ts')),
  );
  assert.deepEqual(bad, []);
});

test('only cli/ imports cli/', () => {
  const bad = all.filter((e) => e.to.startsWith('cli/') && !e.from.startsWith('cli/'));
  assert.deepEqual(bad, []);
});
