// Temporary directories for tests: made on demand, removed when the test file's process exits
// (each test file runs in a process of its own).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];

process.once('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new directory in base (the system's temp dir unless given) whose name starts with prefix. */
export function makeTempDir(prefix: string, base = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(base, prefix));
  made.push(dir);
  return dir;
}
