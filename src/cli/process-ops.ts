// Process-level operations memcached does in C and Node has no direct call for: looking a user
// up (getpwnam), the open-file limit (getrlimit), the pidfile, and dropping privileges.

import { execFileSync } from 'node:child_process';
import { chownSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { StartupError, ExitCode, errnoCode, errorMessage } from '../errors.js';

export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

function parsePasswdLine(line: string, name: string): PasswdEntry | null {
  const f = line.split(':');
  if (f.length < 4 || f[0] !== name) return null;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return null;
  return { name, uid, gid };
}

/**
 * getpwnam(): /etc/passwd first, then `getent passwd` for NSS sources (LDAP, sssd, systemd
 * dynamic users). A numeric name that no entry matches is not taken as a uid, as in memcached.
 */
export function lookupUser(name: string, passwdPath = '/etc/passwd'): PasswdEntry | null {
  if (name === '' || name.includes(':') || name.includes('\n')) return null;
  try {
    for (const line of readFileSync(passwdPath, 'utf8').split('\n')) {
      const e = parsePasswdLine(line, name);
      if (e !== null) return e;
    }
  } catch {
    // no readable /etc/passwd: ask NSS below
  }
  try {
    const out = execFileSync('getent', ['passwd', name], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    return parsePasswdLine(out.split('\n')[0] ?? '', name);
  } catch {
    return null;
  }
}

export function isRoot(): boolean {
  return process.getuid?.() === 0 || process.geteuid?.() === 0;
}

/** Soft RLIMIT_NOFILE from /proc/self/limits, or null when it cannot be read (not Linux). */
export function openFileLimit(limitsPath = '/proc/self/limits'): number | null {
  try {
    const text = readFileSync(limitsPath, 'utf8');
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
    if (m === null) return null;
    return m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return null;
  }
}

/** memcached's save_pid: write PATH.tmp, rename over PATH; a failure is reported, not fatal. */
export function writePidFile(path: string, pid: number, owner: PasswdEntry | null): string | null {
  const tmp = `${path}.tmp`;
  try {
    writeFileSync(tmp, `${pid}\n`, { mode: 0o644 });
    // Owned by the -u user, so the unprivileged daemon can remove it (also from sticky /tmp).
    if (owner !== null) chownSync(tmp, owner.uid, owner.gid);
    renameSync(tmp, path);
    return null;
  } catch (e: unknown) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean
    }
    return `Could not open the pid file ${path} for writing: ${errorMessage(e)}`;
  }
}

/** Removes the pidfile if it still names this process. */
export function removePidFile(path: string, pid: number): void {
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (text !== String(pid)) return;
    unlinkSync(path);
  } catch (e: unknown) {
    if (errnoCode(e) !== 'ENOENT') process.stderr.write(`Could not remove the pid file ${path}: ${errorMessage(e)}\n`);
  }
}

/** Groups, then gid, then uid: after this the process cannot regain root. */
export function dropPrivileges(user: PasswdEntry): void {
  try {
    (process as NodeJS.Process & { initgroups?: (user: string, extraGroup: number) => void }).initgroups?.(user.name, user.gid);
    process.setgid?.(user.gid);
    process.setuid?.(user.uid);
  } catch {
    throw new StartupError(`failed to assume identity of user ${user.name}`, ExitCode.OsErr);
  }
}
