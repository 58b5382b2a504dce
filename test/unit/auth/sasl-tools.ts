// Helpers for tests that need Debian's Cyrus SASL and Berkeley DB tools (packages sasl2-bin,
// db5.3-util). Without them a test skips, except under CI=true, where it fails: a test that
// silently skips cannot fail.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

export const SASLPASSWD2 = '/usr/sbin/saslpasswd2';
const DB_DUMP_CANDIDATES = ['/usr/bin/db5.3_dump', '/usr/bin/db_dump'];
const DB_LOAD_CANDIDATES = ['/usr/bin/db5.3_load', '/usr/bin/db_load'];

export function findDbDump(): string | null {
  return DB_DUMP_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export function findDbLoad(): string | null {
  return DB_LOAD_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** The tool's path, or null after skipping the test (failing it under CI=true). */
export function requireTool(t: TestContext, path: string | null, name: string, pkg: string): string | null {
  if (path !== null && existsSync(path)) return path;
  if (process.env['CI'] === 'true') assert.fail(`${name} is missing: apt-get install -y ${pkg}`);
  t.skip(`${name} not installed (apt-get install -y ${pkg})`);
  return null;
}

export function requireSaslpasswd2(t: TestContext): string | null {
  return requireTool(t, SASLPASSWD2, 'saslpasswd2', 'sasl2-bin');
}

/** `saslpasswd2 -p -a memcached -c -f file [-u realm] user`, password on stdin. */
export function saslpasswd2Set(tool: string, file: string, user: string, password: string, realm?: string): void {
  const args = ['-p', '-a', 'memcached', '-c', '-f', file];
  if (realm !== undefined) args.push('-u', realm);
  args.push(user);
  execFileSync(tool, args, { input: password + '\n', stdio: ['pipe', 'ignore', 'pipe'] });
}

export function saslpasswd2Delete(tool: string, file: string, user: string, realm?: string): void {
  const args = ['-d', '-a', 'memcached', '-f', file];
  if (realm !== undefined) args.push('-u', realm);
  args.push(user);
  execFileSync(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Key/value pairs as `db_dump` (bytevalue format) prints them: hex strings. */
export function dbDumpPairs(dbDump: string, file: string): Array<[string, string]> {
  const lines = execFileSync(dbDump, [file], { encoding: 'latin1' }).split('\n');
  const start = lines.indexOf('HEADER=END') + 1;
  const end = lines.indexOf('DATA=END');
  assert.ok(start > 0 && end >= start, 'db_dump output has a header and data');
  const pairs: Array<[string, string]> = [];
  for (let i = start; i < end; i += 2) pairs.push([(lines[i] ?? '').trim(), (lines[i + 1] ?? '').trim()]);
  return pairs;
}

/** `db_load` a file in db_dump's bytevalue format from pairs of Buffers. */
export function dbLoad(dbLoadTool: string, file: string, pairs: ReadonlyArray<readonly [Buffer, Buffer]>, options: readonly string[], header: readonly string[] = []): void {
  let input = 'VERSION=3\nformat=bytevalue\ntype=hash\n';
  for (const h of header) input += h + '\n';
  input += 'HEADER=END\n';
  for (const [k, v] of pairs) input += ` ${k.toString('hex')}\n ${v.toString('hex')}\n`;
  input += 'DATA=END\n';
  const args: string[] = [];
  for (const o of options) args.push('-c', o);
  execFileSync(dbLoadTool, [...args, file], { input, stdio: ['pipe', 'ignore', 'pipe'] });
}
