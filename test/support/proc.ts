// Small helpers the hostile-input tests share: a process's resident memory and a seeded PRNG.
import fs from 'node:fs';

/** VmRSS of a live process in kB (throws if it is gone). */
export function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** A deterministic LCG in [0, 1): the same seed gives the same inputs on every run. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
