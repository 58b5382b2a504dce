// Drives a Session the way net/ does, without sockets: every test that feeds bytes to a session
// and looks at what the socket would be sent goes through feed().
import type { Session } from '../../src/protocol/session.js';
import { SessionAction } from '../../src/protocol/reader-contract.js';

/** More -R turns than any test input needs: a resume loop that gets here does not end. */
const MAX_TURNS_PER_CHUNK = 1_000_000;

export interface Fed {
  /** The bytes net/ would write, in order. */
  out: Buffer;
  /** The action of the last onData or resume. */
  action: SessionAction;
}

/** Everything the session has queued for the socket, as one Buffer (and clears it). */
export function takeOutput(s: Session): Buffer {
  const parts = s.out.take();
  return parts === null ? Buffer.alloc(0) : Buffer.concat(parts);
}

/**
 * One onData per chunk, as net/ does with other clients connected: the replies are written at
 * each -R yield, then the session resumes (never while an authentication attempt holds it
 * parked). A CloseNow batch is dropped unwritten; a close ends the feed.
 */
export function feed(s: Session, chunks: readonly Buffer[]): Fed {
  const outs: Buffer[] = [];
  let action: SessionAction = SessionAction.Continue;
  for (const chunk of chunks) {
    action = s.onData(chunk);
    for (let turns = 0; action === SessionAction.Continue && s.hasYielded && !s.isParked; turns++) {
      if (turns === MAX_TURNS_PER_CHUNK) throw new Error('the -R resume loop does not end');
      outs.push(takeOutput(s));
      action = s.resume();
    }
    const batch = takeOutput(s);
    if (action !== SessionAction.CloseNow) outs.push(batch);
    if (action !== SessionAction.Continue) break;
  }
  return { out: Buffer.concat(outs), action };
}
