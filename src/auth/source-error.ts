// Why a password file cannot be used, in words an admin can act on: the reason and, for a
// permission problem, the commands that fix it for the user this process runs as (after -u the
// daemon is no longer root, and a file that root made 0600 or 0640 root:root is out of reach).
// Messages never quote file contents: a line may hold a password.

import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { errnoCode, errorMessage } from '../errors.js';

/** Which step failed: reaching the file (stat) or reading its bytes. */
export type FileStep = 'stat' | 'read';

/** The user this process runs as now, for messages: `memcache (uid 112)`. */
export function currentUserLabel(): string {
  const uid = process.getuid?.() ?? -1;
  try {
    return `${userInfo().username} (uid ${uid})`;
  } catch {
    return `uid ${uid}`;
  }
}

function currentUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'USER');
  }
}

/** The reason an fs call on `path` failed, with a fix where there is an obvious one. */
export function describeFileError(path: string, e: unknown, step: FileStep): string {
  switch (errnoCode(e)) {
    case 'ENOENT':
      return 'file not found';
    case 'EISDIR':
      return 'is a directory, not a password file';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    case 'EACCES':
    case 'EPERM':
      if (step === 'stat') {
        return `permission denied: a directory on the path cannot be searched by ${currentUserLabel()}; ` +
          `run: chmod o+x ${dirname(path)} (and its parents)`;
      }
      return `permission denied: ${currentUserLabel()} cannot read it; run: chown ${currentUserName()}: ${path} && chmod 640 ${path}`;
    default:
      return errorMessage(e);
  }
}
