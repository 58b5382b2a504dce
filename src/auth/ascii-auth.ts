// `-Y FILE`: memcached's ascii authentication. The file holds `user:password` lines (at most 8
// are read, each at most 255 bytes, as memcached's authfile.c); the client authenticates with
// `set <any> <flags> <exptime> <len>\r\nuser pass\r\n`. SIGHUP calls reload(). A reload that
// fails drops the users (memcached keeps them: a deleted user would keep working, issue #14 C)
// until the file can be read again. Passwords are compared in constant time, never logged.

import fs from 'node:fs';
import crypto from 'node:crypto';
import { errorMessage, libcErrorText } from '../errors.js';
import { describeFileError } from './source-error.js';
import { describeStatus } from './source-status.js';
import type { SourceStatus } from './source-status.js';

/** `-Y` ascii authentication: user:pass lines, at most 8 entries. */
export interface AsciiAuthenticator {
  /** Checks a `user pass` token; returns 'ok', 'fail' or 'format' (bad token). */
  check(token: Buffer, start: number, end: number): 'ok' | 'fail' | 'format';
  /** Re-read the file (SIGHUP); a failure leaves nobody authenticated until it is readable. */
  reload(): void;
  /** How many users the file holds, or why it authenticates nobody (absent: not tracked). */
  status?(): SourceStatus;
}

const MAX_ENTRIES = 8;
const MAX_LINE_BYTES = 255; // fgets into a 256-byte entry

interface Entry {
  readonly user: Buffer;
  readonly pass: Buffer;
}

export class AsciiAuthFileError extends Error {
  readonly code: 'AUTHFILE_OPENFAIL' | 'AUTHFILE_MALFORMED';
  /** Why, in our words, with the chown/chmod to run when it is a permission problem. */
  hint = '';
  path = '';
  constructor(code: 'AUTHFILE_OPENFAIL' | 'AUTHFILE_MALFORMED', message: string) {
    super(message);
    this.name = 'AsciiAuthFileError';
    this.code = code;
  }
}

/** Parses the file text as memcached does; throws AsciiAuthFileError on a malformed entry. */
export function parseAuthFile(data: Buffer, path: string): Entry[] {
  const entries: Entry[] = [];
  let pos = 0;
  while (pos < data.length && entries.length < MAX_ENTRIES) {
    // One fgets: up to and including '\n', at most 255 bytes.
    let end = pos;
    while (end < data.length && end - pos < MAX_LINE_BYTES && data[end] !== 0x0a) end++;
    if (end < data.length && data[end] === 0x0a && end - pos < MAX_LINE_BYTES) end++;
    let colon = -1;
    for (let i = pos; i < end; i++) {
      const b = data[i];
      if (b === 0) break;
      if (b === 0x3a) {
        colon = i;
        break;
      }
    }
    if (colon < 0) {
      throw new AsciiAuthFileError('AUTHFILE_MALFORMED', `Authfile [${path}] has a malformed entry. Should be 'user:password'`);
    }
    let passEnd = colon + 1;
    while (passEnd < end && data[passEnd] !== 0x0a && data[passEnd] !== 0x0d && data[passEnd] !== 0) passEnd++;
    entries.push({ user: Buffer.from(data.subarray(pos, colon)), pass: Buffer.from(data.subarray(colon + 1, passEnd)) });
    pos = end;
  }
  return entries;
}

function loadFile(path: string): Entry[] {
  let data: Buffer;
  try {
    data = fs.readFileSync(path);
  } catch (e: unknown) {
    // memcached: vperror("Could not open authfile [%s] for reading, error %s", file, strerror(errno)).
    const text = libcErrorText(e);
    const why = text === undefined ? errorMessage(e) : `${text}: ${text}`;
    const err = new AsciiAuthFileError('AUTHFILE_OPENFAIL', `Could not open authfile [${path}] for reading, error ${why}`);
    err.hint = describeFileError(path, e, 'read');
    err.path = path;
    throw err;
  }
  return parseAuthFile(data, path);
}

function sameBytes(a: Buffer, b: Buffer, bStart: number, bEnd: number): boolean {
  if (bEnd - bStart !== a.length) return false;
  return crypto.timingSafeEqual(a, b.subarray(bStart, bEnd));
}

class FileAsciiAuth implements AsciiAuthenticator {
  private readonly path: string;
  private readonly logWarn: (msg: string) => void;
  private entries: Entry[];
  private current: SourceStatus;

  constructor(path: string, logWarn: (msg: string) => void) {
    this.path = path;
    this.logWarn = logWarn;
    this.entries = loadFile(path);
    this.current = { state: 'loaded', users: this.entries.length };
  }

  check(token: Buffer, start: number, end: number): 'ok' | 'fail' | 'format' {
    // The C code tokenizes the data as a string: it ends at a NUL, splits on spaces.
    for (let i = start; i < end; i++) {
      if (token[i] === 0) {
        end = i;
        break;
      }
    }
    let p = start;
    while (p < end && token[p] === 0x20) p++;
    const userStart = p;
    while (p < end && token[p] !== 0x20) p++;
    const userEnd = p;
    while (p < end && token[p] === 0x20) p++;
    const passStart = p;
    while (p < end && token[p] !== 0x20) p++;
    const passEnd = p;
    if (userEnd === userStart || passEnd === passStart) return 'format';
    let ok = false;
    for (const e of this.entries) {
      // Compare every entry (no early exit) so timing does not tell which user exists.
      const userOk = sameBytes(e.user, token, userStart, userEnd);
      const passOk = sameBytes(e.pass, token, passStart, passEnd);
      if (userOk && passOk) ok = true;
    }
    return ok ? 'ok' : 'fail';
  }

  reload(): void {
    const before = this.current;
    try {
      this.entries = loadFile(this.path);
      this.current = { state: 'loaded', users: this.entries.length };
      if (before.state === 'failed') this.logWarn(`${this.path}: usable now, ${describeStatus(this.current)}`);
    } catch (e: unknown) {
      this.entries = []; // fail closed: nobody authenticates until the file is usable again
      const reason = e instanceof AsciiAuthFileError && e.hint !== '' ? e.hint : e instanceof Error ? e.message : String(e);
      this.current = { state: 'failed', reason };
      if (before.state !== 'failed' || before.reason !== reason) {
        this.logWarn(`${this.path}: ${reason}; no one can authenticate with this file until it is fixed`);
      }
    }
  }

  status(): SourceStatus {
    return this.current;
  }
}

/**
 * Reads the -Y file once more, now as the user the daemon runs as (memcached reads it only after
 * dropping to -u). Throws AsciiAuthFileError when that user cannot read it or it is malformed.
 */
export function checkAsciiAuthFile(path: string): void {
  loadFile(path);
}

/** memcached's start-up line, then ours with the fix when there is one. */
export function asciiAuthStartupMessage(e: unknown): string {
  if (e instanceof AsciiAuthFileError && e.hint !== '') return `${e.message}\n${e.path}: ${e.hint}`;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Loads the -Y file (throws AsciiAuthFileError when it cannot be read or is malformed, with
 * memcached's start-up message). Later reload() failures go to `logWarn`.
 */
export function createAsciiAuth(path: string, logWarn: (msg: string) => void = () => {}): AsciiAuthenticator {
  return new FileAsciiAuth(path, logWarn);
}
