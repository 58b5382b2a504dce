// Blocking writes of whole byte runs to a file descriptor. fs.writeSync on a descriptor some
// other process made non-blocking (a pipe shared with a test harness or journald) can meet
// EAGAIN; the write then waits a little and goes on, as pino's synchronous destination does,
// so a line is never cut or lost. Nothing here allocates per call.

import { writeSync } from 'node:fs';
import { sleepSync } from './sleep-sync.js';

/** How long a write that met EAGAIN waits before trying again. */
const BUSY_WRITE_MS = 100;

/** Writes bytes[start, end) to fd; other errors than EAGAIN/EBUSY are thrown (EBADF, EPIPE...). */
export function writeFully(fd: number, bytes: Uint8Array, start = 0, end = bytes.length): void {
  let at = start;
  while (at < end) {
    try {
      at += writeSync(fd, bytes, at, end - at);
    } catch (e: unknown) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EBUSY') throw e;
      sleepSync(BUSY_WRITE_MS);
    }
  }
}
