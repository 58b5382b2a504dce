// A process's resident memory, for the hostile-input tests' growth bounds.
import fs from 'node:fs';

/** VmRSS of a live process in kB (throws if it is gone). */
export function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}
