// What a binary command (commands.ts, stats.ts, sasl.ts) sees of its connection's binary front
// end: the request being handled, the reply writers, and the body to read next. front-end.ts's
// BinaryFrontEnd provides it; the commands depend on this interface rather than on the front end,
// which calls them.

import type { Session } from '../session.js';
import type { ServerContext } from '../../server-context.js';
import type { OutBuffer } from '../out-buffer.js';
import type { SaslState } from './sasl-state.js';

export interface BinaryCommandContext {
  readonly session: Session;
  readonly ctx: ServerContext;
  readonly out: OutBuffer;
  readonly sasl: SaslState;

  // The request being handled (host order); see BinaryFrontEnd.
  readonly opcode: number;
  readonly baseOpcode: number;
  readonly isQuiet: boolean;
  readonly keyLen: number;
  readonly extLen: number;
  readonly bodyLen: number;
  readonly opaque: number;
  readonly cas: number;
  /** cas for the response header (memcached's c->cas, reset per request). */
  replyCas: number;
  /** The store mode and cas of the value being streamed (expectValue). */
  readonly storeMode: number;
  readonly storeCasIn: number;

  /** Starts streaming a value of valueLen bytes into ref; completes at once when empty. */
  expectValue(ref: number, valueLen: number, mode: number, casIn: number): void;
  /** Drops the next n bytes of input (conn_swallow). */
  swallow(n: number): void;
  /** Gathers n bytes of SASL data into the scratch buffer, then runs the mechanism. */
  expectSasl(n: number): void;

  /** add_bin_header: a response header for the current request. */
  header(status: number, extLen: number, keyLen: number, bodyLen: number, cas: number): void;
  /** append_bin_stats: a STAT packet's header (Success, cas 0, no -vv dump). */
  statHeader(keyLen: number, bodyLen: number): void;
  /** write_bin_response: success with an optional body; suppressed for quiet commands. */
  writeSuccess(body: Buffer | null): void;
  /** write_bin_error: errors are sent for quiet commands too. body null = the default text. */
  writeError(status: number, body: Buffer | null): void;
}
