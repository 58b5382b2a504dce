// The node flags a bin script's shebang gives (`#!/usr/bin/env -S node --flag ...`), so that
// tests and benchmarks that start it as `node <script>` run it as the installed command runs.
import { readFileSync } from 'node:fs';

export function nodeFlagsOf(script: string): string[] {
  const first = readFileSync(script, 'latin1').split('\n', 1)[0]!;
  const m = /^#!\S*env -S node\s+(.*)$/.exec(first);
  return m === null ? [] : m[1]!.trim().split(/\s+/);
}
