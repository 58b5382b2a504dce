// SASL over the binary protocol (-S): LIST_MECHS, AUTH and STEP as memcached 1.6.18 answers
// them with Cyrus SASL, for the mechanisms we implement: PLAIN (RFC 4616) and CRAM-MD5
// (RFC 2195: the challenge goes back with AUTH_CONTINUE, the STEP answers it). Every exchange
// starts a fresh SASL session, so it drops an earlier authentication (memcached's
// init_sasl_conn). Passwords never reach a log line.

import type { BinaryReader } from './reader.js';
import { Opcode, Status, BODY_AUTHENTICATED } from './header.js';
import { noteAuthFailure } from '../auth-throttle.js';
import { CRAM_MD5, makeCramChallenge, parseCramResponse } from '../../auth/cram-md5.js';
import { hostname as osHostname } from 'node:os';

/** memcached's MAX_SASL_MECH_LEN. */
export const MAX_SASL_MECH_LEN = 32;

// memcached stores the SASL data in a temporary item; one that would need a chunked item (or
// exceed -I) fails with "Out of memory". Item header + cas + key + NUL + data + CRLF.
const ITEM_OVERHEAD_BYTES = 48 + 8 + 1 + 2;

// Cyrus result codes, as memcached prints them at -v ("sasl result code:  N").
const SASL_OK = 0;
const SASL_CONTINUE = 1;
const SASL_FAIL = -1;
const SASL_NOMECH = -4;
const SASL_BADPROT = -5;
const SASL_BADAUTH = -13;
const SASL_NOUSER = -20;

/** The host part of CRAM-MD5 challenges (Cyrus uses the server's host name). */
const CHALLENGE_HOST = osHostname();

const Phase = {
  Idle: 0, // no exchange started (or the last start failed)
  AwaitingPlain: 1, // AUTH PLAIN without an initial response: STEP carries it
  AwaitingCram: 2, // AUTH CRAM-MD5 sent the challenge: STEP carries `user digest`
  Done: 3, // the exchange finished; a further STEP fails
} as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** Per-connection SASL state and the scratch buffer the AUTH/STEP data is gathered in. */
export class SaslState {
  phase: Phase = Phase.Idle;
  mech = '';
  data: Buffer = EMPTY;
  dataLen = 0;
  /** The CRAM-MD5 challenge last sent on this connection. */
  challenge: Buffer = EMPTY;

  reset(capacity: number): void {
    if (this.data.length < capacity) this.data = Buffer.allocUnsafe(capacity);
    this.dataLen = 0;
  }

  append(src: Buffer, start: number, n: number): void {
    src.copy(this.data, this.dataLen, start, start + n);
    this.dataLen += n;
  }
}

const EMPTY = Buffer.alloc(0);

/** SASL_LIST_MECHS: space-separated mechanism names. */
export function listSaslMechs(r: BinaryReader): void {
  const sasl = r.ctx.sasl;
  if (sasl === null) {
    r.writeError(Status.UnknownCommand, null);
    return;
  }
  r.session.isAuthenticated = false; // init_sasl_conn
  r.writeSuccess(Buffer.from(sasl.mechanisms.join(' '), 'latin1'));
}

/** SASL_AUTH / SASL_STEP: mechanism in the key, data in the value. */
export function processSaslAuth(r: BinaryReader, buf: Buffer, keyStart: number): void {
  const ctx = r.ctx;
  const keyLen = r.keyLen;
  const valueLen = r.bodyLen - keyLen;
  if (ctx.sasl === null) {
    r.writeError(Status.UnknownCommand, null);
    r.swallow(valueLen);
    return;
  }
  if (keyLen > MAX_SASL_MECH_LEN) {
    r.writeError(Status.InvalidArguments, null);
    r.swallow(valueLen);
    return;
  }
  const settings = ctx.settings;
  const itemBytes = ITEM_OVERHEAD_BYTES + keyLen + valueLen;
  if (itemBytes > settings.slabChunkMax || itemBytes > settings.itemSizeMax) {
    r.writeError(Status.OutOfMemory, null);
    r.swallow(valueLen);
    return;
  }
  const st = r.sasl;
  st.mech = buf.toString('latin1', keyStart, keyStart + keyLen);
  st.reset(valueLen);
  r.expectSasl(valueLen);
}

/** process_bin_complete_sasl_auth: run the mechanism over the gathered data. */
export function completeSaslAuth(r: BinaryReader): void {
  const ctx = r.ctx;
  const s = r.session;
  const st = r.sasl;
  const log = ctx.log;
  s.isAuthenticated = false; // init_sasl_conn: every exchange starts unauthenticated
  const dataLen = st.dataLen;
  if (log.level >= 1) log.line('mech:  ``' + st.mech + "'' with " + dataLen + ' bytes of data');

  let result = SASL_FAIL;
  let user = '';
  if (r.opcode === Opcode.SaslAuth) {
    if (!isOffered(r, st.mech)) {
      result = SASL_NOMECH;
      st.phase = Phase.Idle;
      if (log.level >= 1) log.line("SASL (severity 2): Couldn't find mech " + st.mech);
    } else if (st.mech.toUpperCase() === CRAM_MD5) {
      if (dataLen === 0) {
        result = SASL_CONTINUE;
        st.challenge = makeCramChallenge(CHALLENGE_HOST);
        st.phase = Phase.AwaitingCram;
      } else {
        result = SASL_BADPROT; // the server speaks first in CRAM-MD5
        st.phase = Phase.Idle;
        if (log.level >= 1) log.line('SASL (severity 2): Remote sent first but mech does not allow it.');
      }
    } else if (dataLen === 0) {
      result = SASL_CONTINUE; // PLAIN without an initial response: the client STEPs with it
      st.phase = Phase.AwaitingPlain;
    } else {
      const v = checkPlain(r, st.data, dataLen);
      result = v.result;
      user = v.user;
      st.phase = result === SASL_OK ? Phase.Done : Phase.Idle;
    }
  } else if (st.phase === Phase.Idle) {
    if (log.level >= 1) log.line(s.conn.id + ': SASL_STEP called but sasl_server_start not called for this connection!');
  } else if (st.phase === Phase.Done) {
    if (log.level >= 1) log.line('SASL (severity 1): attempting server step after doneflag');
  } else if (st.phase === Phase.AwaitingCram) {
    const v = checkCram(r, st.data, dataLen, st.challenge);
    result = v.result;
    user = v.user;
    st.phase = Phase.Done;
  } else {
    const v = checkPlain(r, st.data, dataLen);
    result = v.result;
    user = v.user;
    st.phase = Phase.Done;
  }
  st.data.fill(0, 0, dataLen); // do not keep credentials around
  st.dataLen = 0;

  if (log.level >= 1) log.line('sasl result code:  ' + result);
  const counters = ctx.counters;
  switch (result) {
    case SASL_OK:
      s.isAuthenticated = true;
      counters.auth_cmds++;
      r.writeSuccess(BODY_AUTHENTICATED);
      return;
    case SASL_CONTINUE:
      // The mechanism's next message: empty for PLAIN, the challenge for CRAM-MD5.
      if (st.phase === Phase.AwaitingCram) {
        r.header(Status.AuthContinue, 0, 0, st.challenge.length, 0);
        r.out.appendBytes(st.challenge, 0, st.challenge.length);
      } else {
        r.header(Status.AuthContinue, 0, 0, 0, 0);
      }
      return;
    default:
      counters.auth_cmds++;
      counters.auth_errors++;
      if (log.level >= 1) {
        log.line('Unknown sasl response:  ' + result);
        // Who failed, from where; never the password.
        log.line('SASL authentication failed for user ' + JSON.stringify(user) + ' (mech ' + JSON.stringify(st.mech) +
          ') from ' + s.conn.peer);
      }
      r.writeError(Status.AuthError, null);
      noteAuthFailure(s, null); // logged above; may delay this reply (auth-throttle.ts)
  }
}

function isOffered(r: BinaryReader, mech: string): boolean {
  const wanted = mech.toUpperCase(); // Cyrus matches mechanism names case-insensitively
  const offered = r.ctx.sasl!.mechanisms;
  for (let i = 0; i < offered.length; i++) if (offered[i]!.toUpperCase() === wanted) return true;
  return false;
}

/** RFC 4616: [authzid] NUL authcid NUL passwd, exactly two NULs. */
function checkPlain(r: BinaryReader, data: Buffer, len: number): { result: number; user: string } {
  const nul1 = data.indexOf(0, 0);
  const nul2 = nul1 < 0 || nul1 >= len ? -1 : data.indexOf(0, nul1 + 1);
  if (nul1 < 0 || nul1 >= len || nul2 < 0 || nul2 >= len) {
    if (r.ctx.log.level >= 1) r.ctx.log.line('SASL (severity 2): Can only find author (no password)');
    return { result: SASL_BADPROT, user: '' };
  }
  const nul3 = data.indexOf(0, nul2 + 1);
  const user = data.toString('utf8', nul1 + 1, nul2);
  if (nul3 >= 0 && nul3 < len) {
    if (r.ctx.log.level >= 1) r.ctx.log.line('SASL (severity 2): Got more data than we were expecting in the PLAIN plugin');
    return { result: SASL_BADPROT, user };
  }
  const authzid = data.toString('utf8', 0, nul1);
  const password = data.toString('utf8', nul2 + 1, len);
  const ok = r.ctx.sasl!.checkPlain(authzid, user, password);
  if (!ok && r.ctx.log.level >= 1) r.ctx.log.line('SASL (severity 2): Password verification failed');
  return { result: ok ? SASL_OK : SASL_BADAUTH, user };
}

/** CRAM-MD5's answer: `user digest`, the digest keyed with the user's stored password. */
function checkCram(r: BinaryReader, data: Buffer, len: number, challenge: Buffer): { result: number; user: string } {
  const log = r.ctx.log;
  const response = parseCramResponse(data, len);
  if (response === null) {
    if (log.level >= 1) log.line('SASL (severity 2): need authentication name');
    return { result: SASL_BADPROT, user: '' };
  }
  const verdict = r.ctx.sasl!.checkCramMd5(response.user, challenge, data, response.digestStart, len);
  if (verdict === undefined) return { result: SASL_NOUSER, user: response.user };
  if (!verdict && log.level >= 1) log.line('SASL (severity 2): incorrect digest response');
  return { result: verdict ? SASL_OK : SASL_BADAUTH, user: response.user };
}
