// `-Y FILE`: memcached's ascii authentication. The file holds `user:password` lines (at most 8
// are read, each at most 255 bytes, as memcached's authfile.c); the client authenticates with
// `set <any> <flags> <exptime> <len>\r\nuser pass\r\n`. SIGHUP calls reload(); a reload that
// fails keeps the users already loaded. Passwords are compared in constant time, never logged.

import fs from 'node:fs';
import crypto from 'node:crypto';
import type { AsciiAuthenticator } from '../protocol/context.js';

const MAX_ENTRIES = 8;
const MAX_LINE_BYTES = 255; // fgets into a 256-byte entry

interface Entry {
  readonly user: Buffer;
  readonly pass: Buffer;
}

export class AsciiAuthFileError extends Error {
  readonly code: 'AUTHFILE_OPENFAIL' | 'AUTHFILE_MALFORMED';
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
    const reason = e instanceof Error ? e.message : String(e);
    throw new AsciiAuthFileError('AUTHFILE_OPENFAIL', `Could not open authfile [${path}] for reading: ${reason}`);
  }
  return parseAuthFile(data, path);
}

function sameBytes(a: Buffer, b: Buffer, bStart: number, bEnd: number): boolean {
  if (bEnd - bStart !== a.length) return false;
  return crypto.timingSafeEqual(a, b.subarray(bStart, bEnd));
}

class FileAsciiAuth implements AsciiAuthenticator {
  private readonly path: string;
  private entries: Entry[];

  constructor(path: string) {
    this.path = path;
    this.entries = loadFile(path);
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
    try {
      this.entries = loadFile(this.path);
    } catch {
      // memcached keeps the loaded users when a reload fails.
    }
  }
}

/** Loads the -Y file (throws AsciiAuthFileError when it cannot be read or is malformed). */
export function createAsciiAuth(path: string): AsciiAuthenticator {
  return new FileAsciiAuth(path);
}
