// A serving thread's logger: its own AppLogger for the lines (written straight to stderr, whole
// lines, from any thread), with the level kept in the server-wide word, so that the `verbosity`
// command on any connection changes it for every thread.

import type { AppLogger } from '../log/logger.js';
import type { ServerWide } from './server-wide.js';

/** log, its `level` now read and written through wide's verbosity word. */
export function withSharedLevel(log: AppLogger, wide: ServerWide): AppLogger {
  Object.defineProperty(log, 'level', {
    get: (): number => wide.verbosity,
    set: (level: number): void => {
      wide.verbosity = level;
    },
  });
  return log;
}
