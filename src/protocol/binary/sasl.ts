// SASL over the binary protocol (-S): LIST_MECHS, AUTH and STEP as memcached 1.6.18 answers
// them with Cyrus SASL, for the mechanisms we implement: PLAIN (RFC 4616) and CRAM-MD5
// (RFC 2195: the challenge goes back with AUTH_CONTINUE, the STEP answers it). Every exchange
// starts unauthenticated (memcached's init_sasl_conn), and Cyrus's per-connection state is
// kept as it behaves: once an exchange has succeeded, the next AUTH fails ("attempting server
// step after doneflag") and clears that state, so a connection cannot switch users by sending
// AUTH again. Passwords are checked through the server's throttle (auth-throttle.ts), off the
// event loop, and never reach a log line.

import type { BinaryCommandContext } from './command-context.js';
import { Cram } from './sasl-state.js';
import { Opcode, Status, BODY_AUTHENTICATED } from './header.js';
import { runAuthAttempt } from '../auth-attempt.js';
import { CRAM_MD5, makeCramChallenge, parseCramResponse } from '../../auth/cram-md5.js';
import { hostname as osHostname } from 'node:os';

/** memcached's MAX_SASL_MECH_LEN. */
export const MAX_SASL_MECH_LEN = 32;

/**
 * PLAIN data longer than this is refused unchecked (Auth failure, as a wrong password): real
 * credentials are far shorter (memcached's password files hold 255-byte lines), and SASLprep
 * of long fields costs milliseconds of event loop (~35 ms at 120k characters).
 */
export const MAX_SASL_DATA_BYTES = 4096;

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

/** SASL_LIST_MECHS: space-separated mechanism names. */
export function listSaslMechs(r: BinaryCommandContext): void {
  const sasl = r.ctx.sasl;
  if (sasl === null) {
    r.writeError(Status.UnknownCommand, null);
    return;
  }
  r.session.isAuthenticated = false; // init_sasl_conn
  r.writeSuccess(Buffer.from(sasl.mechanisms.join(' '), 'latin1'));
}

/** SASL_AUTH / SASL_STEP: mechanism in the key, data in the value. */
export function processSaslAuth(r: BinaryCommandContext, buf: Buffer, keyStart: number): void {
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
  if (valueLen > MAX_SASL_DATA_BYTES) {
    // Refused before any work: the value is dropped as it arrives, never gathered.
    st.isOversized = true;
    st.reset(0);
    st.dataLen = valueLen;
    r.swallow(valueLen);
    completeSaslAuth(r);
    return;
  }
  st.isOversized = false;
  st.reset(valueLen);
  r.expectSasl(valueLen);
}

/** The verdict of one AUTH/STEP before any password check. */
const Next = {
  Check: 0, // run PLAIN over the data
  Refuse: 1, // a failure decided without a check (result in `code`)
  Continue: 2, // AUTH PLAIN without an initial response: the client STEPs with it
  Challenge: 3, // AUTH CRAM-MD5: the server sends its challenge
  CheckCram: 4, // STEP after a CRAM-MD5 challenge: check `user digest`
} as const;

/** process_bin_complete_sasl_auth: run the mechanism over the gathered data. */
export function completeSaslAuth(r: BinaryCommandContext): void {
  const ctx = r.ctx;
  const s = r.session;
  const st = r.sasl;
  const log = ctx.log;
  s.isAuthenticated = false; // init_sasl_conn: every exchange starts unauthenticated
  const dataLen = st.dataLen;
  const isAuth = r.opcode === Opcode.SaslAuth;
  if (log.level >= 1) log.line('mech:  ``' + st.mech + "'' with " + dataLen + ' bytes of data');

  let next: number = Next.Check;
  let code = SASL_FAIL;
  if (isAuth) {
    st.cram = Cram.None; // every AUTH starts a new exchange
    if (!isOffered(r, st.mech)) {
      if (log.level >= 1) log.line("SASL (severity 2): Couldn't find mech " + st.mech);
      next = Next.Refuse;
      code = SASL_NOMECH;
    } else if (st.mech.toUpperCase() === CRAM_MD5) {
      if (dataLen !== 0) {
        if (log.level >= 1) log.line('SASL (severity 2): Remote sent first but mech does not allow it.');
        next = Next.Refuse;
        code = SASL_BADPROT; // the server speaks first in CRAM-MD5
      } else if (st.isDone) {
        // Cyrus steps at once for a server-first mechanism: the doneflag check fails it.
        if (log.level >= 1) log.line('SASL (severity 1): attempting server step after doneflag');
        next = Next.Refuse;
      } else {
        next = Next.Challenge;
      }
    } else if (dataLen === 0) {
      next = Next.Continue;
    } else if (st.isDone) {
      if (log.level >= 1) log.line('SASL (severity 1): attempting server step after doneflag');
      next = Next.Refuse;
    }
    // A failed start resets Cyrus's state (sasl_server_start); a CONTINUE leaves it.
    if (next === Next.Refuse) {
      st.isDone = false;
      st.isStarted = false;
    }
  } else if (!st.isStarted) {
    if (log.level >= 1) log.line(s.conn.id + ': SASL_STEP called but sasl_server_start not called for this connection!');
    next = Next.Refuse;
  } else if (st.isDone) {
    if (log.level >= 1) log.line('SASL (severity 1): attempting server step after doneflag');
    next = Next.Refuse;
  } else if (st.cram === Cram.Answered) {
    // A further STEP of the same CRAM-MD5 exchange: never read as PLAIN (memcached fails it).
    next = Next.Refuse;
    code = SASL_BADPROT;
  } else if (st.cram === Cram.Challenged) {
    next = Next.CheckCram;
  }
  if ((next === Next.Check || next === Next.CheckCram) && st.isOversized) {
    if (log.level >= 1) log.line('SASL (severity 2): ' + st.mech + ' data of ' + dataLen + ' bytes is over ' + MAX_SASL_DATA_BYTES + ': refused unchecked');
    next = Next.Refuse;
    code = SASL_BADAUTH;
  }

  if (next === Next.Continue || next === Next.Challenge) {
    st.isStarted = true;
    st.release();
    if (log.level >= 1) log.line('sasl result code:  ' + SASL_CONTINUE);
    if (next === Next.Challenge) {
      // The mechanism's first message: the challenge the STEP must answer.
      st.challenge = makeCramChallenge(CHALLENGE_HOST);
      st.cram = Cram.Challenged;
      r.header(Status.AuthContinue, 0, 0, st.challenge.length, 0);
      r.out.appendBytes(st.challenge, 0, st.challenge.length);
    } else {
      r.header(Status.AuthContinue, 0, 0, 0, 0);
    }
    return;
  }
  if (st.cram === Cram.Challenged) st.cram = Cram.Answered; // the challenge is used up
  if (next === Next.Refuse) {
    st.release();
    runAuthAttempt(s, null, refuse, () => finishSasl(r, code, '', isAuth));
    return;
  }
  if (next === Next.CheckCram) {
    checkCram(r, dataLen, isAuth);
    return;
  }
  const plain = parsePlain(r, st.data, dataLen);
  st.release(); // the fields are copied out; the scratch goes
  if (!plain.isWellFormed) {
    runAuthAttempt(s, null, refuse, () => finishSasl(r, SASL_BADPROT, plain.user, isAuth));
    return;
  }
  const sasl = ctx.sasl!;
  const { authzid, user, password } = plain;
  const verify = sasl.verifyPlain;
  const check = verify !== undefined
    ? { async: (): Promise<boolean> => verify.call(sasl, authzid, user, password) }
    : (): boolean => sasl.checkPlain(authzid, user, password);
  runAuthAttempt(s, null, check, (ok) => {
    if (!ok && log.level >= 1) log.line('SASL (severity 2): Password verification failed');
    finishSasl(r, ok ? SASL_OK : SASL_BADAUTH, user, isAuth);
  });
}

function refuse(): boolean {
  return false;
}

/** The reply and the bookkeeping once the verdict is known (at once, or after a wait). */
function finishSasl(r: BinaryCommandContext, result: number, user: string, isAuth: boolean): void {
  const s = r.session;
  const st = r.sasl;
  const log = r.ctx.log;
  const counters = r.ctx.counters;
  if (log.level >= 1) log.line('sasl result code:  ' + result);
  if (result === SASL_OK) {
    st.isDone = true;
    st.isStarted = true;
    s.isAuthenticated = true;
    counters.auth_cmds++;
    r.writeSuccess(BODY_AUTHENTICATED);
    return;
  }
  if (isAuth) st.isStarted = false; // sasl_started = (result == OK || result == CONTINUE)
  counters.auth_cmds++;
  counters.auth_errors++;
  if (log.level >= 1) {
    log.line('Unknown sasl response:  ' + result);
    // Who failed, from where; never the password.
    log.line('SASL authentication failed for user ' + JSON.stringify(user) + ' (mech ' + JSON.stringify(st.mech) + ') from ' + s.conn.peer);
  }
  r.writeError(Status.AuthError, null);
}

function isOffered(r: BinaryCommandContext, mech: string): boolean {
  const wanted = mech.toUpperCase(); // Cyrus matches mechanism names case-insensitively
  const offered = r.ctx.sasl!.mechanisms;
  for (let i = 0; i < offered.length; i++) if (offered[i]!.toUpperCase() === wanted) return true;
  return false;
}

interface PlainMessage {
  isWellFormed: boolean;
  authzid: string;
  /** Also for a malformed message when it names one (the failure log line). */
  user: string;
  password: string;
}

/** RFC 4616: [authzid] NUL authcid NUL passwd, exactly two NULs. */
function parsePlain(r: BinaryCommandContext, data: Buffer, len: number): PlainMessage {
  const nul1 = data.indexOf(0, 0);
  const nul2 = nul1 < 0 || nul1 >= len ? -1 : data.indexOf(0, nul1 + 1);
  if (nul1 < 0 || nul1 >= len || nul2 < 0 || nul2 >= len) {
    if (r.ctx.log.level >= 1) r.ctx.log.line('SASL (severity 2): Can only find author (no password)');
    return { isWellFormed: false, authzid: '', user: '', password: '' };
  }
  const nul3 = data.indexOf(0, nul2 + 1);
  const user = data.toString('utf8', nul1 + 1, nul2);
  if (nul3 >= 0 && nul3 < len) {
    if (r.ctx.log.level >= 1) r.ctx.log.line('SASL (severity 2): Got more data than we were expecting in the PLAIN plugin');
    return { isWellFormed: false, authzid: '', user, password: '' };
  }
  return { isWellFormed: true, authzid: data.toString('utf8', 0, nul1), user, password: data.toString('utf8', nul2 + 1, len) };
}

/**
 * CRAM-MD5's answer: `user digest`, the digest keyed with the user's stored password. The check
 * goes through the throttle like PLAIN's (an HMAC is cheap: it runs on the event loop).
 */
function checkCram(r: BinaryCommandContext, len: number, isAuth: boolean): void {
  const st = r.sasl;
  const s = r.session;
  const log = r.ctx.log;
  const response = parseCramResponse(st.data, len);
  if (response === null) {
    st.release();
    if (log.level >= 1) log.line('SASL (severity 2): need authentication name');
    runAuthAttempt(s, null, refuse, () => finishSasl(r, SASL_BADPROT, '', isAuth));
    return;
  }
  // The scratch is wiped now; the check may run after a throttle wait.
  const digest = Buffer.from(st.data.subarray(response.digestStart, len));
  const challenge = st.challenge;
  st.release();
  const sasl = r.ctx.sasl!;
  const user = response.user;
  let failure = SASL_BADAUTH;
  const check = (): boolean => {
    const verdict = sasl.checkCramMd5(user, challenge, digest, 0, digest.length);
    if (verdict === undefined) failure = SASL_NOUSER;
    return verdict === true;
  };
  runAuthAttempt(s, null, check, (ok) => {
    if (!ok && failure === SASL_BADAUTH && log.level >= 1) log.line('SASL (severity 2): incorrect digest response');
    finishSasl(r, ok ? SASL_OK : failure, user, isAuth);
  });
}
