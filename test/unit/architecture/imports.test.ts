// The layering of DESIGN.md §1 / STYLE.md §3, checked from the import lines of src/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../support/daemon.js';

const SRC = path.join(PROJECT_ROOT, 'src');

interface ImportEdge {
  from: string; // path relative to src/, e.g. 'protocol/text/front-end.ts'
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

// `import x from`, `import type { X } from`, `export { x } from`, `import './x.js'` and
// `await import('./x.js')`: every way one file can lean on another.
const STATIC_IMPORT = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm;
const BARE_IMPORT = /^\s*import\s+()()['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*()()['"]([^'"]+)['"]\s*\)/g;

function edges(): ImportEdge[] {
  const result: ImportEdge[] = [];
  for (const file of listTs(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    const from = path.relative(SRC, file);
    for (const re of [STATIC_IMPORT, BARE_IMPORT, DYNAMIC_IMPORT]) {
      for (const m of text.matchAll(re)) {
        const spec = m[3]!;
        const isTypeOnly = m[2] !== undefined && m[2] !== '';
        const to = spec.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), spec)).replace(/\.js$/, '.ts') : spec;
        result.push({ from, to, isTypeOnly });
      }
    }
  }
  return result;
}

/**
 * The import cycles among src/ files, type-only imports included (a type cycle still ties two
 * modules together: neither can be read, moved or tested without the other). Each cycle is
 * given as the edges inside one strongly connected component, 'a.ts -> b.ts'.
 */
function cycles(list: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of list) {
    if (e.to.startsWith('node:') || !e.to.endsWith('.ts')) continue;
    const targets = next.get(e.from) ?? [];
    targets.push(e.to);
    next.set(e.from, targets);
  }
  // Tarjan's strongly connected components, iterative so no recursion depth limit applies.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  for (const root of [...next.keys()].sort()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; at: number }> = [{ node: root, at: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = next.get(frame.node) ?? [];
      if (frame.at < targets.length) {
        const to = targets[frame.at++]!;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ node: to, at: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const members = new Set<string>();
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        members.add(member);
      } while (member !== frame.node);
      const inner = new Set<string>();
      for (const from of members) for (const to of next.get(from) ?? []) if (members.has(to)) inner.add(from + ' -> ' + to);
      if (inner.size > 0) found.push([...inner].sort());
    }
  }
  return found;
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

test('the cycle check finds a cycle, a type-only one too', () => {
  const planted: ImportEdge[] = [
    { from: 'a.ts', to: 'b.ts', isTypeOnly: false },
    { from: 'b.ts', to: 'c.ts', isTypeOnly: true },
    { from: 'c.ts', to: 'a.ts', isTypeOnly: false },
    { from: 'c.ts', to: 'd.ts', isTypeOnly: false },
    { from: 'd.ts', to: 'd.ts', isTypeOnly: true },
  ];
  assert.deepEqual(cycles(planted), [['d.ts -> d.ts'], ['a.ts -> b.ts', 'b.ts -> c.ts', 'c.ts -> a.ts']]);
});

test('no import cycles among src/ files, type-only imports included', () => {
  assert.deepEqual(cycles(all), []);
});

test('auth/ and stats/ import nothing from protocol/', () => {
  const bad = all.filter((e) => (e.from.startsWith('auth/') || e.from.startsWith('stats/')) && e.to.startsWith('protocol/'));
  assert.deepEqual(bad, []);
});

test('store/store.ts re-exports nothing: what protocol/ may use of the store is declared there, and shared helpers live in common/', () => {
  const text = fs.readFileSync(path.join(SRC, 'store/store.ts'), 'utf8');
  assert.deepEqual(text.match(/^\s*export\s+(type\s+)?(\*|\{[^}]*\})\s*from\s+['"][^'"]+['"]/gm) ?? [], []);
});

test("Node's internal `_handle` is reached only in net/stream-binding.ts (one place to fix when Node changes it)", () => {
  const users = listTs(SRC)
    .filter((file) => /\b_handle\b/.test(fs.readFileSync(file, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')))
    .map((file) => path.relative(SRC, file));
  assert.deepEqual(users, ['net/stream-binding.ts']);
});
