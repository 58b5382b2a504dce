// The contract between a session and its protocol front ends (the readers): what a reader
// does with the input, what it tells net/ to do next, and who finishes a value block. Its own
// module so that the session, the front ends and the commands can all depend on it without
// depending on one another.

import type { ItemRef } from '../store/store.js';

export const SessionAction = {
  Continue: 0,
  CloseAfterFlush: 1, // write what is in out, then close (memcached's close_after_write)
  CloseNow: 2, // close without writing more
} as const;
export type SessionAction = (typeof SessionAction)[keyof typeof SessionAction];

/**
 * A protocol front end. read() consumes bytes of buf[start, end) and returns how many;
 * 0 means it needs more input, or that it swapped session.reader (the loop then retries).
 * Offsets move only on progress. Errors go on the wire as values; a fatal one sets
 * session.action. Readers keep no reference to buf after returning.
 */
export interface ProtocolReader {
  read(buf: Buffer, start: number, end: number): number;
  /** Unconsumed bytes this reader will hold while waiting for the rest of a request. */
  maxPendingBytes(): number;
  /** Forgets a half-read request (UDP: every datagram starts afresh). */
  reset(): void;
  /**
   * Called when the session continues after a -R yield: memcached flushed its replies at the
   * yield (conn_new_cmd -> conn_mwrite), whether or not net/ wrote them out in between.
   */
  onResume?(): void;
  /**
   * len bytes arrived at the start of the buffer the session's ValueSink.directTarget() gave
   * (already in place): the front end that started the value block takes them.
   */
  readInPlace?(buf: Buffer, len: number): void;
}

/**
 * Called by the text front end when a value block a text or meta command announced is
 * complete. The type parameter is the Session (a parameter, so that this module needs no
 * import of session.ts).
 */
export interface ValueConsumer<Session> {
  /** ok = the block ended with \r\n. ref < 0 means the value was swallowed, not stored. */
  finishValue(session: Session, ref: ItemRef, ok: boolean): void;
}
