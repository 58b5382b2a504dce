// One binary connection's SASL state (sasl.ts runs the exchanges over it). Its own module so
// that the binary command context can hold it without importing the SASL commands.

/** Cyrus's CRAM-MD5 steps on one connection. */
export const Cram = {
  None: 0, // no CRAM-MD5 exchange since the last AUTH
  Challenged: 1, // AUTH CRAM-MD5 sent `challenge`: the STEP carries `user digest`
  Answered: 2, // the STEP came: the mechanism has no further step (Cyrus: SASL_BADPROT)
} as const;
export type Cram = (typeof Cram)[keyof typeof Cram];

/** Per-connection SASL state and the scratch buffer the AUTH/STEP data is gathered in. */
export class SaslState {
  /** memcached's c->sasl_started: the last AUTH answered OK or CONTINUE (STEP needs it). */
  isStarted = false;
  /** Cyrus's doneflag: an exchange succeeded; a further step fails, and an AUTH clears it. */
  isDone = false;
  mech = '';
  /** The data of the request in progress; freed after each step (holds credentials). */
  data: Buffer = EMPTY;
  dataLen = 0;
  /** Where a CRAM-MD5 exchange stands: after the challenge, one STEP answers it. */
  cram: Cram = Cram.None;
  /** The CRAM-MD5 challenge last sent on this connection. */
  challenge: Buffer = EMPTY;
  /** The request's data is over MAX_SASL_DATA_BYTES: swallowed, not gathered. */
  isOversized = false;

  reset(capacity: number): void {
    this.data = capacity > 0 ? Buffer.alloc(capacity) : EMPTY;
    this.dataLen = 0;
  }

  append(src: Buffer, start: number, n: number): void {
    src.copy(this.data, this.dataLen, start, start + n);
    this.dataLen += n;
  }

  /** Wipes and drops the scratch: an idle connection keeps no buffer and no credentials. */
  release(): void {
    this.data.fill(0); // at most MAX_SASL_DATA_BYTES (an oversized request gathers nothing)
    this.data = EMPTY;
    this.dataLen = 0;
  }
}

const EMPTY = Buffer.alloc(0);
