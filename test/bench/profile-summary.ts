// Summarises a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time, and self time
// by origin (our src/, node: internals, GC/program/idle).
//
//   node dist/test/bench/profile-summary.js FILE.cpuprofile [--top 25]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileRow {
  name: string;
  where: string;
  selfMs: number;
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Share of non-idle time. */
  busyMs: number;
  top: ProfileRow[];
  byOrigin: Array<{ origin: string; selfMs: number; pct: number }>;
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const i = url.indexOf('/dist/');
  if (i >= 0) return url.slice(i + 6);
  const n = url.indexOf('/node_modules/');
  if (n >= 0) return url.slice(n + 1);
  return url.replace(/^file:\/\//, '');
}

function origin(f: CallFrame): string {
  const n = f.functionName;
  if (n === '(idle)') return '(idle)';
  if (n === '(garbage collector)') return '(garbage collector)';
  if (n === '(program)') return '(program: native, kernel calls, not JS)';
  if (f.url.startsWith('node:')) return 'node: internals (net, stream, buffer)';
  if (f.url.includes('/node_modules/')) return 'node_modules';
  if (f.url.includes('/dist/src/')) return 'memcachedts src/' + (f.url.split('/dist/src/')[1]?.split('/')[0] ?? '');
  if (f.url === '') return '(native builtins)';
  return 'other JS';
}

export function summarize(profile: CpuProfile, topN = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas && profile.samples.length === profile.timeDeltas.length) {
    // A sample's time is the delta to the *next* sample.
    const s = profile.samples;
    const d = profile.timeDeltas;
    for (let i = 0; i < s.length; i++) {
      const dt = i + 1 < d.length ? d[i + 1]! : 0;
      selfUs.set(s[i]!, (selfUs.get(s[i]!) ?? 0) + Math.max(0, dt));
    }
  } else {
    const total = profile.endTime - profile.startTime;
    let hits = 0;
    for (const n of profile.nodes) hits += n.hitCount ?? 0;
    for (const n of profile.nodes) selfUs.set(n.id, ((n.hitCount ?? 0) * total) / Math.max(1, hits));
  }
  const fn = new Map<string, ProfileRow>();
  const orig = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const f = node.callFrame;
    total += us;
    if (f.functionName === '(idle)') idle += us;
    const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName}@${where}`;
    const row = fn.get(key) ?? { name: f.functionName || '(anonymous)', where, selfMs: 0, pct: 0 };
    row.selfMs += us / 1000;
    fn.set(key, row);
    const o = origin(f);
    orig.set(o, (orig.get(o) ?? 0) + us / 1000);
  }
  const busyMs = (total - idle) / 1000;
  const rows = [...fn.values()].filter((r) => r.name !== '(idle)').sort((a, b) => b.selfMs - a.selfMs);
  for (const r of rows) r.pct = busyMs > 0 ? (100 * r.selfMs) / busyMs : 0;
  const byOrigin = [...orig.entries()]
    .map(([o, ms]) => ({ origin: o, selfMs: ms, pct: o === '(idle)' ? Number.NaN : busyMs > 0 ? (100 * ms) / busyMs : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: total / 1000, busyMs, top: rows.slice(0, topN), byOrigin };
}

export function formatSummary(s: ProfileSummary): string {
  const lines: string[] = [];
  lines.push(`profiled ${s.totalMs.toFixed(0)} ms, busy (non-idle) ${s.busyMs.toFixed(0)} ms`);
  lines.push('');
  lines.push('self time by origin (% of busy):');
  for (const o of s.byOrigin) lines.push(`  ${o.selfMs.toFixed(0).padStart(7)} ms ${Number.isNaN(o.pct) ? '      ' : (o.pct.toFixed(1) + '%').padStart(6)}  ${o.origin}`);
  lines.push('');
  lines.push('top functions by self time (% of busy):');
  for (const r of s.top) lines.push(`  ${r.selfMs.toFixed(0).padStart(7)} ms ${(r.pct.toFixed(1) + '%').padStart(6)}  ${r.name}  ${r.where}`);
  return lines.join('\n');
}

export function summarizeFile(file: string, topN = 25): ProfileSummary {
  return summarize(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile, topN);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: profile-summary FILE.cpuprofile [--top N]');
    process.exit(64);
  }
  const ti = process.argv.indexOf('--top');
  const top = ti > 0 ? Number(process.argv[ti + 1]) : 25;
  console.log(formatSummary(summarizeFile(file, top)));
}
