// The binary protocol's 24-byte header, its opcodes and status codes (memcached 1.6.18's
// protocol_binary.h), and the writer that builds a response header and appends it to an OutBuffer.
//
//  byte  0       1       2       3
//      +-------+-------+-------+-------+
//   0  | magic | opcode|    keylen     |
//   4  | extlen| dtype | vbucket/status|
//   8  |           bodylen             |
//  12  |            opaque             |
//  16  |              cas              |
//  20  |                               |
//      +-------+-------+-------+-------+

import type { OutBuffer } from '../out-buffer.js';
import { putUint32BE } from '../../common/big-endian.js';

export const HEADER_BYTES = 24;

export const Magic = {
  Request: 0x80,
  Response: 0x81,
} as const;

export const Opcode = {
  Get: 0x00, // 0x00
  Set: 0x01, // 0x01
  Add: 0x02, // 0x02
  Replace: 0x03, // 0x03
  Delete: 0x04, // 0x04
  Increment: 0x05, // 0x05
  Decrement: 0x06, // 0x06
  Quit: 0x07, // 0x07
  Flush: 0x08, // 0x08
  GetQ: 0x09, // 0x09
  Noop: 0x0a, // 0x0a
  Version: 0x0b, // 0x0b
  GetK: 0x0c, // 0x0c
  GetKQ: 0x0d, // 0x0d
  Append: 0x0e, // 0x0e
  Prepend: 0x0f, // 0x0f
  Stat: 0x10, // 0x10
  SetQ: 0x11, // 0x11
  AddQ: 0x12, // 0x12
  ReplaceQ: 0x13, // 0x13
  DeleteQ: 0x14, // 0x14
  IncrementQ: 0x15, // 0x15
  DecrementQ: 0x16, // 0x16
  QuitQ: 0x17, // 0x17
  FlushQ: 0x18, // 0x18
  AppendQ: 0x19, // 0x19
  PrependQ: 0x1a, // 0x1a
  Verbosity: 0x1b, // 0x1b: in the header file, not implemented by memcached (Unknown command)
  Touch: 0x1c, // 0x1c
  Gat: 0x1d, // 0x1d
  GatQ: 0x1e, // 0x1e
  SaslListMechs: 0x20, // 0x20
  SaslAuth: 0x21, // 0x21
  SaslStep: 0x22, // 0x22
  GatK: 0x23, // 0x23
  GatKQ: 0x24, // 0x24
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

export const Status = {
  Success: 0x00, // 0x00
  KeyNotFound: 0x01, // 0x01 "Not found"
  KeyExists: 0x02, // 0x02 "Data exists for key."
  TooLarge: 0x03, // 0x03 "Too large."
  InvalidArguments: 0x04, // 0x04 "Invalid arguments"
  NotStored: 0x05, // 0x05 "Not stored."
  DeltaBadValue: 0x06, // 0x06 "Non-numeric server-side value for incr or decr"
  AuthError: 0x20, // 0x20 "Auth failure."
  AuthContinue: 0x21, // 0x21 (no body)
  UnknownCommand: 0x81, // 0x81 "Unknown command"
  OutOfMemory: 0x82, // 0x82 "Out of memory" (or a specific text)
} as const;
export type Status = (typeof Status)[keyof typeof Status];

// Error bodies, memcached's exact texts (write_bin_error).
export const BODY_NOT_FOUND = Buffer.from('Not found', 'latin1');
export const BODY_EXISTS = Buffer.from('Data exists for key.', 'latin1');
export const BODY_TOO_LARGE = Buffer.from('Too large.', 'latin1');
export const BODY_EINVAL = Buffer.from('Invalid arguments', 'latin1');
export const BODY_NOT_STORED = Buffer.from('Not stored.', 'latin1');
export const BODY_DELTA_BADVAL = Buffer.from('Non-numeric server-side value for incr or decr', 'latin1');
export const BODY_AUTH_ERROR = Buffer.from('Auth failure.', 'latin1');
export const BODY_UNKNOWN_COMMAND = Buffer.from('Unknown command', 'latin1');
export const BODY_ENOMEM = Buffer.from('Out of memory', 'latin1');
// out_of_memory() strips "SERVER_ERROR " from the ascii text and sends the rest.
export const BODY_ENOMEM_ALLOCATING = Buffer.from('Out of memory allocating item', 'latin1');
export const BODY_ENOMEM_INCR = Buffer.from('Out of memory incrementing value', 'latin1');
export const BODY_ENOMEM_NEW_ITEM = Buffer.from('Out of memory allocating new item', 'latin1');
export const BODY_AUTHENTICATED = Buffer.from('Authenticated', 'latin1');

/** The default body for a status, as write_bin_error chooses it when given no text. */
export function errorBody(status: number): Buffer {
  switch (status) {
    case Status.KeyNotFound:
      return BODY_NOT_FOUND;
    case Status.KeyExists:
      return BODY_EXISTS;
    case Status.TooLarge:
      return BODY_TOO_LARGE;
    case Status.InvalidArguments:
      return BODY_EINVAL;
    case Status.NotStored:
      return BODY_NOT_STORED;
    case Status.DeltaBadValue:
      return BODY_DELTA_BADVAL;
    case Status.AuthError:
      return BODY_AUTH_ERROR;
    case Status.UnknownCommand:
      return BODY_UNKNOWN_COMMAND;
    default:
      return BODY_ENOMEM;
  }
}

/**
 * Builds a response header in b[0, HEADER_BYTES) (where a -vv dump can read it back) and
 * appends it to out. cas is a number below 2^53 (the store's).
 */
export function writeResponseHeader(
  out: OutBuffer,
  b: Buffer,
  opcode: number,
  keyLen: number,
  extLen: number,
  status: number,
  bodyLen: number,
  opaque: number,
  cas: number,
): void {
  b[0] = Magic.Response;
  b[1] = opcode;
  b[2] = keyLen >>> 8;
  b[3] = keyLen & 0xff;
  b[4] = extLen;
  b[5] = 0; // datatype: raw bytes
  b[6] = status >>> 8;
  b[7] = status & 0xff;
  putUint32BE(b, 8, bodyLen >>> 0);
  putUint32BE(b, 12, opaque >>> 0);
  if (cas === 0) {
    putUint32BE(b, 16, 0);
    putUint32BE(b, 20, 0);
  } else {
    const hi = Math.floor(cas / 4294967296);
    putUint32BE(b, 16, hi >>> 0);
    putUint32BE(b, 20, (cas - hi * 4294967296) >>> 0);
  }
  out.appendBytes(b, 0, HEADER_BYTES);
}

/** memcached's -vv dump of a header: 6 lines of 4 bytes each, `prefix` before each line. */
export function hexDumpHeader(bytes: Uint8Array, start: number, firstLine: string, linePrefix: string): string {
  let s = firstLine;
  for (let i = 0; i < HEADER_BYTES; i++) {
    if (i % 4 === 0) s += '\n' + linePrefix;
    const v = bytes[start + i]!;
    s += v < 16 ? ' 0x0' + v.toString(16) : ' 0x' + v.toString(16);
  }
  return s;
}
