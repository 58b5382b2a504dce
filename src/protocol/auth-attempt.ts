// One authentication attempt of a connection (-S SASL, -Y ascii auth) run through the
// server's AuthThrottle (auth-throttle.ts): admitted, delayed or refused, checked, and its
// reply held back after a failure, with the session parked meanwhile. Apart from the throttle
// itself, which knows sources and counts, not sessions.

import type { Session } from './session.js';
import { NOW, peerAddress } from './auth-throttle.js';

/** Verdict of a check: true = right credentials. */
export type AuthCheck = () => boolean;
export type AsyncAuthCheck = () => Promise<boolean>;

/**
 * One authentication attempt of `session` through the server's throttle: waits first when
 * its source is over the failure threshold (or is refused unchecked), runs `check` (an async
 * one in a check slot), then calls finish(ok), which writes the reply; a failure's reply may
 * then wait for the server-wide budget. The session is parked whenever any of this is not
 * immediate. `user` names the user in the -v failure line (null: the caller logs it).
 */
export function runAuthAttempt(
  session: Session,
  user: string | null,
  check: AuthCheck | { readonly async: AsyncAuthCheck },
  finish: (ok: boolean) => void,
): void {
  const ctx = session.ctx;
  const throttle = ctx.authThrottle;
  const key = peerAddress(session.conn.peer);
  // UDP has no connection to hold back (and -S refuses UDP): checked at once, never delayed.
  const canWait = session.conn.transport !== 'udp';
  const complete = (ok: boolean): void => {
    if (session.isClosed) return;
    finish(ok);
    let holdMs = 0;
    if (!ok) {
      holdMs = throttle.onFailure(key, Date.now());
      const log = ctx.log;
      if (log.level >= 1 && user !== null) {
        log.line('<' + session.conn.id + ' authentication failed for user ' + JSON.stringify(user) + ' from ' + session.conn.peer);
      }
    }
    if (holdMs > 0 && canWait) {
      session.park();
      setTimeout(() => session.unpark(), holdMs).unref();
    } else {
      session.unpark();
    }
  };
  const run = (): void => {
    if (session.isClosed) return;
    if (typeof check === 'function') {
      let ok = false;
      try {
        ok = check();
      } catch {
        ok = false; // a check never throws on bad input; fail closed if one does
      }
      complete(ok);
      return;
    }
    const asyncCheck = check.async;
    session.park();
    throttle.acquire(
      key,
      () => {
        let p: Promise<boolean>;
        try {
          p = asyncCheck();
        } catch {
          p = Promise.resolve(false);
        }
        p.then(
          (ok) => {
            throttle.release(key);
            complete(ok);
          },
          () => {
            throttle.release(key);
            complete(false);
          },
        );
      },
      () => session.isClosed,
    );
  };

  const admission = canWait ? throttle.admit(key, Date.now()) : NOW;
  if (admission.waitMs === 0 && !admission.isRefused) {
    run();
    return;
  }
  if (admission.waitMs === Math.min(throttle.options.baseDelayMs, throttle.options.maxDelayMs) || admission.isRefused) {
    noteThrottled(session, key, admission.isRefused);
  }
  session.park();
  setTimeout(() => {
    if (admission.isRefused) complete(false);
    else run();
  }, admission.waitMs).unref();
}

function noteThrottled(session: Session, key: string, isRefused: boolean): void {
  const o = session.ctx.authThrottle.options;
  const log = session.ctx.log;
  if (!isRefused) {
    log.warn('repeated authentication failures from ' + key + ': delaying replies up to ' + o.maxDelayMs + ' ms');
  } else if (log.level >= 1) {
    log.line('<' + session.conn.id + ' too many authentication attempts from ' + key + ': refused unchecked');
  }
}
